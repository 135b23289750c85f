"""Forms of the development act: the organisation's, the coordinator's, the public filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sparring.models import Sector, Theme
from sparring.regions import Region

from .models import DevelopmentAct


class ActForm(forms.Form):
    """The organisation writes what the sparring led to, and consents to publishing it."""

    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("A short name for the act, e.g. “Shared ground rules for the ward”."),
    )
    what_was_done = forms.CharField(
        label=_("What was done"),
        max_length=1500,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("At most 1 500 characters. Write no names of people and no contact details."),
    )
    what_changed = forms.CharField(
        label=_("What changed"),
        max_length=1500,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("At most 1 500 characters. Write no names of people and no contact details."),
    )
    consent = forms.BooleanField(
        label=_(
            "I consent, on behalf of my organisation, to publishing these texts with the "
            "organisation's name, sector, theme and region on the public page of development "
            "acts and in its feed. The organisation can withdraw the act at any time."
        ),
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReturnForm(forms.Form):
    """The coordinator returns an act with a comment."""

    comment = forms.CharField(
        label=_("What should be changed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    """An action that needs nothing but the version the page was made from."""

    version = forms.IntegerField(widget=forms.HiddenInput)


def _choices(model):
    return [("", _("All")), *((item.code, item.name()) for item in model.objects.all())]


class ActFilterForm(forms.Form):
    """The public page's filters; unknown values are ignored, never an error."""

    theme = forms.ChoiceField(label=_("Theme"), required=False)
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = _choices(Theme)
        self.fields["sector"].choices = _choices(Sector)
        self.fields["region"].choices = [("", _("All")), *Region.choices]

    def values(self) -> dict[str, str]:
        """The valid filter values (empty for an unknown or missing one)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name, "") for name in ("theme", "sector", "region")}


__all__ = ["ActFilterForm", "ActForm", "DevelopmentAct", "ReturnForm", "VersionForm"]
