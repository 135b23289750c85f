"""The consultant's calendar feed: the page that makes and revokes its link, and the feed
itself (no login: the secret in the address opens it; unknown or revoked is a 404)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from procurement.models import CalendarFeed
from sparring import access

from .calendar import consultant_feed
from .services import calendar_feed as feeds


@never_cache
def calendar_feed_page(request: HttpRequest) -> HttpResponse:
    """GET: whether a link exists. POST ``action=create``: a new link, shown once (the old
    one stops working); ``action=revoke``: no link."""
    if not access.is_consultant(request.user):
        raise PermissionDenied
    consultant = request.user.consultant
    feed_url = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            token = feeds.calendar_feed_create(actor=request.user)
            feed_url = settings.SITE_URL.rstrip("/") + reverse(
                "sparring:calendar_feed", args=[token]
            )
        elif action == "revoke":
            if feeds.calendar_feed_revoke(actor=request.user):
                messages.success(request, _("The calendar link was revoked; it no longer works."))
            return redirect("sparring:calendar_feed_page")
        else:
            return redirect("sparring:calendar_feed_page")
    feed = CalendarFeed.objects.filter(consultant=consultant).first()
    return render(
        request,
        "sparring/calendar_feed.html",
        {"feed": feed, "feed_url": feed_url, "consultant": consultant},
    )


@login_not_required
@never_cache
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Every day of the consultant whose secret ``token`` is, as iCalendar."""
    consultant = feeds.feed_consultant(token)
    if consultant is None:
        raise Http404
    response = HttpResponse(
        consultant_feed(consultant, feeds.feed_days(consultant)),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="sparraus.ics"'
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
