"""The participants' code and answer forms, the participants' addresses, the sheet of codes."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SurveyAnswer


class SurveyAnswerForm(forms.ModelForm):
    class Meta:
        model = SurveyAnswer
        fields = ["overall", "goal_reached", "facilitation", "usefulness", "best", "improve"]
        widgets = {
            "overall": forms.RadioSelect,
            "goal_reached": forms.RadioSelect,
            "facilitation": forms.RadioSelect,
            "usefulness": forms.RadioSelect,
            "best": forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
            "improve": forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        }
        labels = {
            "overall": _("Overall grade of the sparring (1 = poor, 5 = excellent)"),
            "goal_reached": _("How well was the goal reached? (1–5)"),
            "facilitation": _("How good was the facilitation? (1–5)"),
            "usefulness": _("How useful was the sparring for your work? (1–5)"),
            "best": _("What was best?"),
            "improve": _("What should be improved?"),
        }

    # The participant's one-time code, carried from the code page in the POST body.
    code = forms.CharField(max_length=40, widget=forms.HiddenInput)
    # A one-time value per form shown: the same form sent twice is one answer.
    submission_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("submission_token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        for name in ("goal_reached", "facilitation", "usefulness"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0] != ""]
            self.fields[name].required = False
        self.fields["overall"].choices = [c for c in self.fields["overall"].choices if c[0] != ""]

    def _get_validation_exclusions(self):
        # The grades are checked by their fields' choices here and the answer again by the
        # survey service; the form does not ask the database to evaluate the grade's check
        # constraint as well (a query per answer, issue 17).
        return super()._get_validation_exclusions() | {"overall"}


class SurveyParticipantsForm(forms.Form):
    emails = forms.CharField(
        label=_("Participants' e-mail addresses"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line, or separated by commas. Each gets a personal link; the answers stay anonymous."
        ),
    )


class SurveyCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your one-time code"),
        max_length=40,
        help_text=_("As printed on your slip or in your e-mail, e.g. ABCD-EFGH-JKLM."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class SurveySheetForm(forms.Form):
    count = forms.IntegerField(
        label=_("Number of codes to print"),
        min_value=1,
        max_value=150,
        help_text=_(
            "One per participant who has no code by e-mail. The codes are shown once: print the page."
        ),
    )
