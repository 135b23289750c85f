"""Forms of the mini-competition."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sparring.validators import DateTimeFormField

from .models import Consultant


class CompetitionOpenForm(forms.Form):
    deadline = DateTimeFormField(
        label=_("Offers by"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d.%m.%Y %H.%M", "%d.%m.%Y %H:%M"],
    )
    price_weight = forms.IntegerField(
        label=_("Weight of price (%)"),
        min_value=0,
        max_value=100,
        initial=30,
        help_text=_("The rest is the weight of quality, scored 0–10 against the criteria."),
    )
    criteria = forms.CharField(
        label=_("Quality criteria"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}),
        help_text=_(
            "What the offers are scored on, e.g. the approach's fit to the goal and experience."
        ),
    )


class TenderForm(forms.Form):
    day_price = forms.DecimalField(
        label=_("Day price (EUR, VAT 0%)"), min_value=1, max_digits=8, decimal_places=2
    )
    proposed_dates = forms.CharField(
        label=_("Proposed dates"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )
    approach = forms.CharField(
        label=_("Approach"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 8000}),
        help_text=_("How you would carry out the sparring against the stated criteria."),
    )


class AwardForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    consultant = forms.ModelChoiceField(
        label=_("Consultant"),
        queryset=Consultant.objects.none(),
        required=False,
        help_text=_("Leave empty to call off the best offer; another choice is an override."),
    )
    justification = forms.CharField(
        label=_("Justification for the override"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 4000}),
    )

    def __init__(self, *args, tenders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tenders = list(tenders)
        for tender in self.tenders:
            self.fields[f"score_{tender.pk}"] = forms.IntegerField(
                label=_("Quality score of %(supplier)s (0–10)")
                % {"supplier": tender.supplier.name},
                min_value=0,
                max_value=10,
            )
        self.fields["consultant"].queryset = Consultant.objects.filter(
            pk__in=[t.consultant_id for t in self.tenders]
        ).select_related("user", "supplier")

    def scores(self) -> dict[int, int]:
        return {t.pk: self.cleaned_data[f"score_{t.pk}"] for t in self.tenders}
