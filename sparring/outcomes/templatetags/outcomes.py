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


@register.inclusion_tag("outcomes/includes/case_follow_up.html")
def follow_up_box(case):
    """The follow-up survey on the case page: when it was sent, and the answers (the
    page itself is only shown to those who may see the case)."""
    from ..models import FollowUp

    follow_up = (
        FollowUp.objects.filter(case=case).prefetch_related("answers", "invitations").first()
    )
    answers = []
    if follow_up is not None:
        for answer in follow_up.answers.all():
            answers.append(
                {
                    "answer": answer,
                    "actions": list(
                        zip(
                            follow_up.actions,
                            [answer.Done(value).label for value in answer.actions_done],
                            strict=False,
                        )
                    ),
                }
            )
    return {"follow_up": follow_up, "answers": answers}
