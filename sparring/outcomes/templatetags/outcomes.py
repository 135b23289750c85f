"""The case page's box of the development act: ``{% development_act_box case %}``."""

from django import template

from sparring import access

from .. import services
from ..forms import ReturnForm, VersionForm

register = template.Library()


@register.inclusion_tag("outcomes/includes/case_act.html", takes_context=True)
def development_act_box(context, case):
    """What the reader may see and do about the case's development act: the organisation
    writes, changes or withdraws it; a coordinator sees its state and approves it on the
    review page. Nothing for anyone else, nor before the case has closed."""
    user = context["request"].user
    act = services.act_of(case)
    can_write = services.can_write_act(user, case)
    coordinator = access.is_coordinator(user)
    return {
        "request": context["request"],
        "case": case,
        "act": act,
        "show": can_write or (coordinator and act is not None),
        "can_write": can_write,
        "coordinator": coordinator,
        "withdraw_form": VersionForm(initial={"version": act.version}) if act else None,
        "return_form": ReturnForm(initial={"version": act.version}) if act else None,
    }


@register.simple_tag
def acts_waiting_count() -> int:
    """How many development acts wait for a coordinator's approval (one query)."""
    from ..selectors import acts_to_review

    return acts_to_review().count()
