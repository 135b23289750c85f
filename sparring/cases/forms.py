"""Forms of the case's steps: the application, decisions, call-off, dates, days, closing."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from procurement.models import Consultant
from sparring.models import ALLOWED_ATTACHMENT_TYPES, Case, Sector, Theme
from sparring.validators import DateFormField
from sparring.workdays import day_label, day_off_reason


class VersionedForm(forms.Form):
    """Carries the case version the page was made from, so a stale page is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class HandForm(VersionedForm):
    """Hand the case to a named colleague (an active coordinator)."""

    to = forms.ModelChoiceField(label=_("Colleague"), queryset=None)
    note = forms.CharField(
        label=_("Note for the colleague (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, case=None, **kwargs):
        from .services.assignment import colleagues

        super().__init__(*args, **kwargs)
        queryset = colleagues()
        if case is not None and case.handler_id:
            queryset = queryset.exclude(pk=case.handler_id)
        self.fields["to"].queryset = queryset
        self.fields["to"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class ApplicationForm(forms.ModelForm):
    """The application: what the organisation needs and who takes part."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Case
        fields = [
            "unit",
            "whole_organisation",
            "sector",
            "theme",
            "development_need",
            "goal",
            "target_group",
            "estimated_participants",
            "requested_days",
            "preferred_period",
            "language",
            "contact_name",
            "contact_email",
            "contact_phone",
            "staff_representative",
        ]
        widgets = {
            "development_need": forms.Textarea(attrs={"rows": 5, "maxlength": 4000}),
            "goal": forms.Textarea(attrs={"rows": 4, "maxlength": 4000}),
            "target_group": forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
            "requested_days": forms.RadioSelect,
            "language": forms.RadioSelect,
        }
        help_texts = {
            "development_need": _("What should change in the work community, and why now?"),
            "goal": _("What should be different after the sparring?"),
            "estimated_participants": _("About how many people take part."),
            "requested_days": _("Sparring takes one or two days."),
            "preferred_period": _("For example: weeks 40–44, or spring 2027."),
        }

    def __init__(self, *args, call=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.filter(active=True)
        themes = Theme.objects.filter(active=True)
        if call is not None and call.themes.exists():
            # The themes the call offers (and the case's own, should it be one no longer offered).
            own = Q(pk=self.instance.theme_id) if self.instance.theme_id else Q(pk__in=[])
            themes = Theme.objects.filter(Q(active=True, calls=call) | own).distinct()
        self.fields["theme"].queryset = themes
        # A draft saves with any subset of the fields; sending checks them (clean).
        for field in self.Meta.fields:
            if field != "language":  # a choice with a default
                self.fields[field].required = False
        self.fields["estimated_participants"].min_value = 1
        self.fields["estimated_participants"].widget.attrs.update(min=1, max=1000)
        # one bound each way (the model's own "at least 0" would be a second error for -5)
        participants = self.fields["estimated_participants"]
        participants.validators = [
            v
            for v in participants.validators
            if not isinstance(v, MinValueValidator | MaxValueValidator)
        ] + [MinValueValidator(1), MaxValueValidator(1000)]
        self.fields["requested_days"].choices = [(1, _("1 day")), (2, _("2 days"))]
        for name in (
            "unit",
            "contact_name",
            "contact_email",
            "contact_phone",
            "staff_representative",
        ):
            self.fields[name].widget.attrs.setdefault("autocomplete", AUTOCOMPLETE.get(name, "off"))

    def clean(self):
        from .services.application import missing_to_submit

        data = super().clean()
        if data.get("whole_organisation"):
            data["sector"] = None
        if self.data.get("intent") == "submit":
            for field, message in missing_to_submit(data).items():
                if field not in self.errors:
                    self.add_error(field, message)
        return data

    def case_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


AUTOCOMPLETE = {
    "contact_name": "name",
    "contact_email": "email",
    "contact_phone": "tel",
    "unit": "organization-title",
}


class DecisionForm(VersionedForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            ("approve", _("Approve")),
            ("return", _("Return for amendment")),
            ("reject", _("Reject")),
        ],
    )
    approved_days = forms.TypedChoiceField(
        label=_("Days approved"),
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
        choices=[(1, _("1 day")), (2, _("2 days"))],
    )
    comment = forms.CharField(
        label=_("Comment to the applicant"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}),
        help_text=_("Required when you return or reject the application."),
    )


class CallOffForm(VersionedForm):
    """Take the method's proposal, or choose another eligible consultant and say why."""

    consultant = forms.ModelChoiceField(
        label=_("Consultant"),
        queryset=Consultant.objects.none(),
        required=False,
        help_text=_("Leave as proposed, or choose another eligible consultant (an override)."),
    )
    justification = forms.CharField(
        label=_("Justification for the override"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}),
        help_text=_("Required when you choose someone other than the proposed consultant."),
    )

    def __init__(self, *args, case: Case, ranked=None, proposed=None, **kwargs):
        super().__init__(*args, **kwargs)
        eligible = [c.consultant for c in (ranked or []) if c.eligible]
        if ranked is None:  # bound from a POST: the service checks eligibility again
            queryset = Consultant.objects.all()
        else:
            queryset = Consultant.objects.filter(pk__in=eligible)
        self.fields["consultant"].queryset = queryset.select_related("user", "supplier")
        self.fields["consultant"].label_from_instance = lambda c: (
            f"{c} ({c.supplier.display_name()})"
        )
        if proposed is not None:
            self.fields["consultant"].initial = proposed.consultant


class OfferAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Your answer"),
        widget=forms.RadioSelect,
        choices=[("accept", _("I accept the case")), ("decline", _("I decline"))],
    )
    reason = forms.CharField(
        label=_("Reason for declining"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )


class DayForm(forms.Form):
    date = DateFormField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_time = forms.TimeField(
        label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=_("Ends"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=200)
    remote_link = forms.URLField(
        label=_("Remote link"), required=False, max_length=200, assume_scheme="https"
    )
    non_working_confirmed = forms.BooleanField(
        label=_("Hold the day on this date although it is not a working day"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The confirmation is asked only for a weekend or a holiday, naming it.
        day = self._posted_date()
        if day and day_off_reason(day):
            # "torstai 24.12.2026 (Jouluaatto)", "lauantai 5.12.2026"
            self.fields["non_working_confirmed"].help_text = day_label(day)
        else:
            del self.fields["non_working_confirmed"]

    def _posted_date(self):
        if not self.is_bound:
            return None
        try:
            return self.fields["date"].clean(self.data.get(self.add_prefix("date")))
        except forms.ValidationError:
            return None

    def clean(self):
        data = super().clean()
        if (
            data.get("start_time")
            and data.get("end_time")
            and data["end_time"] <= data["start_time"]
        ):
            self.add_error("end_time", _("A day must end after it starts."))
        if not (data.get("place") or data.get("remote_link")):
            self.add_error("place", _("Give a place or a remote link."))
        return data


class ConfirmDatesForm(VersionedForm):
    answer = forms.ChoiceField(
        label=_("The proposed dates"),
        widget=forms.RadioSelect,
        choices=[("confirm", _("Confirm these dates")), ("other", _("Ask for other dates"))],
    )
    comment = forms.CharField(
        label=_("Which dates would suit you?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )


class DayHeldForm(forms.Form):
    participants = forms.IntegerField(label=_("Participants"), min_value=1, max_value=1000)


class DayRescheduleForm(DayForm):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class DayCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=1000)


class CloseForm(VersionedForm):
    comment = forms.CharField(
        label=_("Closing comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )


class StopForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
        help_text=_("Everyone involved in the case sees the reason."),
    )


def _allowed_types_help() -> str:
    return _(
        "Allowed file types: %(types)s (PDF, Word, Excel, PowerPoint, OpenDocument text, "
        "plain text, PNG or JPEG image); at most 10 MB and 5 files. The content must be of "
        "the type the name says."
    ) % {"types": ", ".join(sorted(ALLOWED_ATTACHMENT_TYPES))}


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Add a file"),
        help_text=lazy(_allowed_types_help, str)(),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(sorted(ALLOWED_ATTACHMENT_TYPES))}
        ),
    )


# ==============================================================================
# The feedback survey
# ==============================================================================
