"""Reading development acts: the public list and feed, the coordinators' review list."""

from django.db.models import Count, Max, QuerySet, Sum

from sparring.models import Sector, Theme
from sparring.regions import Region

from .models import DevelopmentAct


def published_acts(
    *, sector: str = "", theme: str = "", region: str = ""
) -> QuerySet[DevelopmentAct]:
    """Published acts, newest first, filtered by sector and theme code and region code
    (unknown values filter nothing). Sector and theme come with the row (one query)."""
    acts = DevelopmentAct.objects.filter(status=DevelopmentAct.Status.PUBLISHED).select_related(
        "sector", "theme"
    )
    if sector and Sector.objects.filter(code=sector).exists():
        acts = acts.filter(sector__code=sector)
    if theme and Theme.objects.filter(code=theme).exists():
        acts = acts.filter(theme__code=theme)
    if region in Region.values:
        acts = acts.filter(region=region)
    return acts.order_by("-published_at", "-pk")


def acts_to_review() -> QuerySet[DevelopmentAct]:
    """Acts waiting for a coordinator's approval, oldest first."""
    return (
        DevelopmentAct.objects.filter(status=DevelopmentAct.Status.SUBMITTED)
        .select_related("case", "sector", "theme")
        .order_by("updated", "pk")
    )


def published_acts_version() -> tuple:
    """A value that changes whenever the published acts change (issue 17: the feed is
    rendered once per change, ``views.act_feed``): how many there are, the latest
    ``updated`` of them, their largest ``pk`` and the sum of their ``version``. An act
    published, withdrawn, returned or sent again by its organisation changes its
    ``updated`` and ``version`` and enters or leaves the set (``services``). One
    aggregate query over the published acts."""
    return tuple(
        DevelopmentAct.objects.filter(status=DevelopmentAct.Status.PUBLISHED)
        .aggregate(n=Count("pk"), latest=Max("updated"), last=Max("pk"), versions=Sum("version"))
        .values()
    )
