"""Pages of the development acts: public list, act and feed; the organisation's form;
the coordinators' review list. Views are thin: rules live in ``services``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sparring import access, list_cache
from sparring.cases.selectors import visible_case
from sparring.formtools import add_errors
from sparring.languages import activate_case_language

from . import followup, selectors, services
from .forms import ActFilterForm, ActForm, FollowUpForm, ReturnForm, VersionForm
from .models import DevelopmentAct

PAGE_SIZE = 20
FEED_SIZE = 50


@login_not_required
def act_list(request: HttpRequest) -> HttpResponse:
    """The public page: published acts, filtered by theme, sector and region, paginated."""
    filters = ActFilterForm(request.GET or None)
    values = filters.values() if request.GET else {"theme": "", "sector": "", "region": ""}
    acts = selectors.published_acts(**values)
    page = Paginator(acts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "outcomes/act_list.html",
        {"page": page, "filters": filters, "filtered": any(values.values())},
    )


@login_not_required
def act_detail(request: HttpRequest, public_id) -> HttpResponse:
    """One published act (a withdrawn or unpublished one is not found)."""
    act = get_object_or_404(
        DevelopmentAct.objects.select_related("sector", "theme"),
        public_id=public_id,
        status=DevelopmentAct.Status.PUBLISHED,
    )
    return render(request, "outcomes/act_detail.html", {"act": act})


class ActFeed(Feed):
    """The latest published acts as an Atom feed, for the programme's website."""

    feed_type = Atom1Feed
    title = gettext_lazy("Development acts")
    subtitle = gettext_lazy("What organisations changed after their sparring.")

    def link(self) -> str:
        return reverse("sparring:act_list")

    def items(self):
        return selectors.published_acts()[:FEED_SIZE]

    def item_title(self, item: DevelopmentAct) -> str:
        return item.title

    def item_description(self, item: DevelopmentAct) -> str:
        return f"{item.organisation_name}: {item.what_changed}"

    def item_link(self, item: DevelopmentAct) -> str:
        return reverse("sparring:act_detail", args=[item.public_id])

    def item_guid(self, item: DevelopmentAct) -> str:
        return f"urn:uuid:{item.public_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: DevelopmentAct):
        return item.published_at

    def item_updateddate(self, item: DevelopmentAct):
        return item.published_at

    def item_author_name(self, item: DevelopmentAct) -> str:
        return item.organisation_name

    def item_categories(self, item: DevelopmentAct):
        return [str(x) for x in (item.theme, item.sector) if x is not None]


_render_act_feed = ActFeed()


@login_not_required
def act_feed(request: HttpRequest) -> HttpResponse:
    """The Atom feed (``ActFeed``), rendered once for each state of the published acts
    (``selectors.published_acts_version``), language and address and then served from the
    cache (``list_cache.cached``; issue 17: rendering 50 entries on every request took
    7 ms). An act published, withdrawn or returned shows at once; a renamed theme or sector
    (an entry's category) within ``SPARRING_LIST_CACHE_SECONDS``."""
    rendered = {}

    def render_feed():
        response = _render_act_feed(request)
        rendered["response"] = response
        if response.status_code != 200:
            return None  # not kept
        headers = {name: response[name] for name in _FEED_HEADERS if response.has_header(name)}
        return response.content, headers

    version = (get_language(), request.build_absolute_uri("/"), selectors.published_acts_version())
    cached_feed = list_cache.cached("acts-feed", version, render_feed)
    if "response" in rendered or cached_feed is None:
        return rendered["response"]
    content, headers = cached_feed
    response = HttpResponse(content)
    for name, value in headers.items():
        response[name] = value
    return response


#: The feed response's own headers that a cached copy carries.
_FEED_HEADERS = ("Content-Type", "Last-Modified")


def act_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The organisation writes (or changes) its development act on a closed case."""
    case = visible_case(request, pk)
    if not services.can_write_act(request.user, case):
        raise PermissionDenied
    act = services.act_of(case)
    initial = {"version": act.version} if act else {}
    if act:
        initial.update(
            title=act.title, what_was_done=act.what_was_done, what_changed=act.what_changed
        )
    form = ActForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.act_submit(
                actor=request.user,
                case=case,
                title=data["title"],
                what_was_done=data["what_was_done"],
                what_changed=data["what_changed"],
                consent=data["consent"],
                version=data["version"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("The development act was sent: a coordinator reads it before it is published."),
            )
            return redirect("sparring:case_detail", pk=case.pk)
    return render(
        request,
        "outcomes/act_form.html",
        {"form": form, "case": case, "act": act},
        status=400 if form.errors else 200,
    )


@require_POST
def act_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The organisation (or a coordinator) withdraws the act of the case."""
    case = visible_case(request, pk)
    act = get_object_or_404(DevelopmentAct, case=case)
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise services.StaleAct()
        services.act_withdraw(actor=request.user, act=act, version=form.cleaned_data["version"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The development act was withdrawn from the public page."))
    return redirect("sparring:case_detail", pk=case.pk)


def act_review(request: HttpRequest) -> HttpResponse:
    """The coordinators' list of acts waiting for approval (paginated, oldest first)."""
    if not access.is_coordinator(request.user):
        raise PermissionDenied
    page = Paginator(selectors.acts_to_review(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "outcomes/act_review.html", {"page": page})


@require_POST
def act_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """A coordinator publishes an act or returns it with a comment."""
    if not access.is_coordinator(request.user):
        raise PermissionDenied
    act = get_object_or_404(DevelopmentAct, pk=pk)
    try:
        if action == "publish":
            form = VersionForm(request.POST)
            if not form.is_valid():
                raise services.StaleAct()
            services.act_publish(actor=request.user, act=act, version=form.cleaned_data["version"])
            messages.success(request, _("The development act is published."))
        elif action == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Say what to change: the organisation is told."))
            services.act_return(
                actor=request.user,
                act=act,
                comment=form.cleaned_data["comment"],
                version=form.cleaned_data["version"],
            )
            messages.success(request, _("The development act was returned to the organisation."))
        else:
            raise PermissionDenied
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("sparring:act_review")


@login_not_required
def follow_up_answer(request: HttpRequest, token: str) -> HttpResponse:
    """Answer the follow-up survey through a single-use link (no login), in the case's
    language unless the visitor has chosen another."""
    try:
        invitation = followup.invitation_for(token)
    except followup.FollowUpError as error:
        return render(
            request, "outcomes/follow_up_message.html", {"message": error.message}, status=410
        )
    follow_up = invitation.follow_up
    activate_case_language(request, follow_up.case)
    form = FollowUpForm(
        request.POST if request.method == "POST" else None, actions=follow_up.actions
    )
    if request.method == "POST" and form.is_valid():
        try:
            followup.follow_up_answer(token=token, data=form.answer())
        except followup.FollowUpError as error:
            return render(
                request, "outcomes/follow_up_message.html", {"message": error.message}, status=409
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("sparring:follow_up_thanks")
    return render(
        request,
        "outcomes/follow_up_form.html",
        {"form": form, "follow_up": follow_up, "case": follow_up.case, "invitation": invitation},
        status=400 if form.errors else 200,
    )


@login_not_required
def follow_up_thanks(request: HttpRequest) -> HttpResponse:
    """After answering (a page of its own, so that reloading sends nothing again)."""
    return render(
        request,
        "outcomes/follow_up_message.html",
        {"message": _("Thank you! Your answer was saved.")},
    )
