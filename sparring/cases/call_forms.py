"""The coordinator's form for a call for applications."""

from django import forms
from django.utils.translation import gettext_lazy as _

from procurement.models import FrameworkAgreement
from sparring.models import Call, Theme
from sparring.validators import DateTimeFormField

from .services.calls import CALL_FIELDS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class CallForm(forms.ModelForm):
    """Title and description in fi/sv/en, times, delivery period, budget, agreement, themes."""

    class Meta:
        model = Call
        fields = [*CALL_FIELDS, "themes"]
        widgets = {
            "opens_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_FORMAT
            ),
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_FORMAT
            ),
            "delivery_starts": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "delivery_ends": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 4}),
            "description_sv": forms.Textarea(attrs={"rows": 4}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "themes": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "title_sv": _(
                "Shown to readers who use the service in Swedish; empty: the Finnish title."
            ),
            "title_en": _(
                "Shown to readers who use the service in English; empty: the Finnish title."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("opens_at", "closes_at"):
            self.fields[name].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%d.%m.%Y %H.%M"]
        for name in ("delivery_starts", "delivery_ends"):
            self.fields[name].input_formats = ["%Y-%m-%d", "%d.%m.%Y"]
        self.fields["agreement"].queryset = FrameworkAgreement.objects.filter(active=True)
        self.fields["themes"].queryset = Theme.objects.filter(active=True)
        self.fields["day_budget"].widget.attrs.update(min=1)

    def _post_clean(self):
        # The service validates the model (and the budget against approved days).
        pass

    def service_fields(self) -> dict:
        """The cleaned values the call service takes (everything but the themes)."""
        return {name: self.cleaned_data[name] for name in CALL_FIELDS}


class ReopenForm(forms.Form):
    """A new closing time for a call that has closed."""

    closes_at = DateTimeFormField(
        label=_("Applications close"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
