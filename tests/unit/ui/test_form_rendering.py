"""Forms look the same everywhere (issue 16, item 1): no colon after a label, a
visible required marker, a prompt instead of "---------" as the empty choice.
The project's field and option templates do it (FORM_RENDERER = TemplatesSetting)."""

import pytest
from django import forms
from django.utils import translation


class SampleForm(forms.Form):
    name = forms.CharField(label="Name")
    note = forms.CharField(label="Note", required=False)
    colour = forms.ChoiceField(label="Colour", choices=[("", "---------"), ("r", "Red")])
    kind = forms.ChoiceField(
        label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )


def test_labels_have_no_colon_and_required_fields_are_marked():
    with translation.override("fi"):
        html = SampleForm().as_div()
    assert 'for="id_name">Name <span class="required-marker">(pakollinen)</span></label>' in html
    assert 'for="id_note">Note</label>' in html
    assert "Name:" not in html and "Note:" not in html
    assert "<legend>Kind <span" in html


def test_the_empty_choice_is_a_prompt_not_dashes():
    with translation.override("sv"):
        html = SampleForm().as_div()
    assert "---------" not in html
    assert '<option value="" selected>Välj</option>' in html


@pytest.mark.django_db
def test_a_product_page_form_has_no_colons(client_for, applicant, draft_case):
    html = client_for(applicant).get(f"/cases/{draft_case.pk}/").content.decode()
    assert ":</label>" not in html and ":</legend>" not in html
