"""Forms of the development act: the organisation's, the coordinator's, the public filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sparring.models import Sector, Theme
from sparring.regions import Region

from .models import FollowUpAnswer


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


__all__ = ["ActFilterForm", "ActForm", "FollowUpForm", "ReturnForm", "VersionForm"]


class FollowUpForm(forms.Form):
    """The follow-up survey: one question per recommended action, then what changed,
    the impact and whether the respondent would recommend sparring."""

    what_changed = forms.CharField(
        label=_("What has changed in your work community since the sparring?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("At most 2 000 characters."),
    )
    impact = forms.TypedChoiceField(
        label=_("How much impact has the sparring had? (1 = none, 5 = a great deal)"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    recommend = forms.TypedChoiceField(
        label=_("Would you recommend sparring to another work community?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.action_names = []
        for index, action in enumerate(actions):
            name = f"action_{index}"
            self.fields[name] = forms.ChoiceField(
                label=action,
                choices=FollowUpAnswer.Done.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Say whether this action was carried out.")},
            )
            self.action_names.append(name)
        # the actions first, in the report's order
        self.order_fields([*self.action_names, "what_changed", "impact", "recommend"])

    def answer(self) -> dict:
        """The cleaned answer in the form ``followup.follow_up_answer`` takes."""
        data = self.cleaned_data
        return {
            "actions_done": [data[name] for name in self.action_names],
            "what_changed": data.get("what_changed", ""),
            "impact": data["impact"],
            "recommend": data["recommend"],
        }
