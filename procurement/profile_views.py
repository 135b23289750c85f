"""A consultant keeps their own availability, expertise and languages up to date."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from sparring import clock
from sparring.views import RoleRequiredMixin

from . import services
from .forms import ProfileForm, UnavailabilityForm
from .models import Consultant, Unavailability


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _own_period(consultant: Consultant, raw_pk: str | None) -> Unavailability:
    """One of the consultant's own periods; anyone else's is not found."""
    try:
        pk = int(raw_pk or "")
    except ValueError:
        raise Http404 from None
    try:
        return Unavailability.objects.get(pk=pk, consultant=consultant)
    except Unavailability.DoesNotExist:
        raise Http404 from None


class ProfileView(RoleRequiredMixin, View):
    """The consultant's own page: expertise, languages, regions, capacity, absences."""

    permission_required = "sparring.deliver"
    template_name = "procurement/profile.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        consultant = request.user.consultant
        return self.render_page(
            request, ProfileForm(instance=consultant), UnavailabilityForm(), status=200
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        consultant = request.user.consultant
        intent = request.POST.get("intent")
        if intent == "profile":
            form = ProfileForm(request.POST, instance=consultant)
            if form.is_valid():
                try:
                    services.consultant_profile_update(
                        actor=request.user,
                        consultant=consultant,
                        themes=form.cleaned_data["themes"],
                        languages=form.cleaned_data["languages"],
                        regions=form.cleaned_data["regions"],
                        works_remotely=form.cleaned_data["works_remotely"],
                        capacity_per_month=form.cleaned_data["capacity_per_month"],
                    )
                    messages.success(request, _("Your profile was saved."))
                    return redirect("procurement:profile")
                except ValidationError as error:
                    _add_errors(form, error)
            # the bound form changed the in-memory record: show the stored one elsewhere
            consultant.refresh_from_db()
            return self.render_page(request, form, UnavailabilityForm(), status=400)
        if intent == "add_period":
            form = UnavailabilityForm(request.POST)
            if form.is_valid():
                try:
                    services.unavailability_add(
                        actor=request.user,
                        consultant=consultant,
                        starts=form.cleaned_data["starts"],
                        ends=form.cleaned_data["ends"],
                        note=form.cleaned_data["note"],
                    )
                    messages.success(request, _("The unavailable period was added."))
                    return redirect("procurement:profile")
                except ValidationError as error:
                    _add_errors(form, error)
            return self.render_page(request, ProfileForm(instance=consultant), form, status=400)
        if intent == "remove_period":
            period = _own_period(consultant, request.POST.get("period"))
            try:
                services.unavailability_remove(
                    actor=request.user, consultant=consultant, period=period
                )
            except Unavailability.DoesNotExist:
                raise Http404 from None
            messages.success(request, _("The unavailable period was removed."))
            return redirect("procurement:profile")
        return HttpResponseBadRequest(_("Unknown action."))

    def render_page(self, request, profile_form, period_form, status: int) -> HttpResponse:
        consultant = request.user.consultant
        periods = consultant.unavailable_periods.filter(ends__gte=clock.today())
        return render(
            request,
            self.template_name,
            {
                "consultant": consultant,
                "profile_form": profile_form,
                "period_form": period_form,
                "periods": periods,
            },
            status=status,
        )


profile = ProfileView.as_view()
