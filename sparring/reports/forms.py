"""The report form."""

from django import forms

from .models import Report


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
            name: forms.Textarea(attrs={"rows": 4, "maxlength": 8000})
            for name in ["refined_goal", "implementation", "themes_covered", "results", "follow_up"]
        }
