"""The homes' "new messages" box: ``{% load conversation_tags %}{% unread_messages %}``."""

from django import template

from sparring.conversation.selectors import cases_with_unread

register = template.Library()

#: How many cases the box lists, newest message first; when more cases have new
#: messages, the box links to all of them: the case list filtered with
#: ``messages=new`` (``cases.filters.CaseFilter.filter_messages``).
SHOWN = 20


@register.inclusion_tag("sparring/includes/unread_messages.html", takes_context=True)
def unread_messages(context) -> dict:
    """The cases with messages new to the page's user (nothing shown when none), at most
    ``SHOWN``; ``more_unread``: more cases have new messages (one more is read to know)."""
    user = context["request"].user
    rows = cases_with_unread(user, limit=SHOWN + 1)
    return {"unread_cases": rows[:SHOWN], "more_unread": len(rows) > SHOWN}
