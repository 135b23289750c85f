"""Forms of the framework agreement: consultants, their profile and unavailable periods."""

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from sparring import clock
from sparring.models import Theme, User
from sparring.regions import Region

from .models import ConflictOfInterest, Consultant, Unavailability
from .services import qualification_errors


class QualificationsMixin(forms.ModelForm):
    """Themes, languages and regions as checkboxes, validated as the call-off needs them."""

    languages = forms.MultipleChoiceField(
        label=capfirst(Consultant._meta.get_field("languages").verbose_name),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    regions = forms.MultipleChoiceField(
        label=capfirst(Consultant._meta.get_field("regions").verbose_name),
        choices=Region.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        themes = self.fields["themes"]
        themes.widget = forms.CheckboxSelectMultiple()
        # Inactive themes stay on offer only to a consultant who already has them.
        current = self.instance.themes.all() if self.instance.pk else Theme.objects.none()
        themes.queryset = Theme.objects.filter(Q(active=True) | Q(pk__in=current)).distinct()

    def capacity_total_for_check(self, data: dict) -> int | None:
        return data.get("capacity_total", self.instance.capacity_total)

    def clean(self):
        data = super().clean()
        errors = qualification_errors(
            languages=data.get("languages"),
            regions=data.get("regions"),
            works_remotely=bool(data.get("works_remotely")),
            capacity_per_month=data.get("capacity_per_month"),
            capacity_total=self.capacity_total_for_check(data),
        )
        for field, message in errors.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return data


class ConsultantForm(QualificationsMixin):
    """The coordinator's form for a consultant of a supplier (on the staff pages)."""

    class Meta:
        model = Consultant
        fields = [
            "user",
            "supplier",
            "active",
            "themes",
            "languages",
            "regions",
            "works_remotely",
            "capacity_per_month",
            "capacity_total",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # viewflow's staff layout draws multiple choices as its own multi-select
        # (it has no checkbox-list element); our own pages keep the checkboxes.
        for name in ("themes", "languages", "regions"):
            self.fields[name].widget = forms.SelectMultiple(choices=self.fields[name].choices)
        # Only a user with the consultant role logs in as a consultant, and only once.
        self.fields["user"].queryset = (
            User.objects.filter(role=User.Role.CONSULTANT)
            .filter(Q(consultant__isnull=True) | Q(pk=self.instance.user_id))
            .order_by("last_name", "first_name", "username")
        )

    def capacity_total_for_check(self, data: dict) -> int | None:
        return data.get("capacity_total")


class ProfileForm(QualificationsMixin):
    """The consultant's own profile: what they can be called off for."""

    class Meta:
        model = Consultant
        fields = ["themes", "languages", "regions", "works_remotely", "capacity_per_month"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["languages"].help_text = _("The languages you can deliver sparring in.")
        self.fields["regions"].help_text = _(
            "The regions you travel to. If you also work remotely, tick that too."
        )


class UnavailabilityForm(forms.ModelForm):
    """A period when the consultant takes no sparring days."""

    class Meta:
        model = Unavailability
        fields = ["starts", "ends", "note"]
        widgets = {
            "starts": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {"note": _("Optional, e.g. holiday. Coordinators see the note.")}

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends < starts:
            self.add_error("ends", _("The period must end on or after the day it starts."))
        elif ends and ends < clock.today():
            self.add_error("ends", _("The period is already over; give a current or future one."))
        return data


class ConflictOfInterestForm(forms.ModelForm):
    """A consultant who must not be called off for an organisation; the recorder is the user."""

    class Meta:
        model = ConflictOfInterest
        fields = ["consultant", "organisation", "reason"]
