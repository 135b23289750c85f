"""The report form."""

from django import forms
from django.utils.translation import gettext as _

from .models import REPORT_MAX_LINES, REPORT_TEXT_LIMITS, Report, report_text_errors


class ReportForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Report
        fields = [
            "participants",
            "refined_goal",
            "implementation",
            "themes_covered",
            "results",
            "follow_up",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 6, "data-counter": ""})
            for name in REPORT_TEXT_LIMITS
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, limit in REPORT_TEXT_LIMITS.items():
            field = self.fields[name]
            field.max_length = limit
            field.widget.attrs["maxlength"] = limit  # the model's column allows more
            field.help_text = _("At most %(limit)s characters and %(lines)s lines.") % {
                "limit": limit,
                "lines": REPORT_MAX_LINES,
            }

    def clean(self):
        data = super().clean()
        for name, message in report_text_errors(data).items():
            if name not in self.errors:
                self.add_error(name, message)
        return data
