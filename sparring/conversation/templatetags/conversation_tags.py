"""The homes' "new messages" box: ``{% load conversation_tags %}{% unread_messages %}``."""

from django import template

from sparring.conversation.selectors import cases_with_unread

register = template.Library()


@register.inclusion_tag("sparring/includes/unread_messages.html", takes_context=True)
def unread_messages(context) -> dict:
    """The cases with messages new to the page's user (nothing shown when none)."""
    user = context["request"].user
    return {"unread_cases": cases_with_unread(user)}
