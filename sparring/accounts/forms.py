"""Forms of signing in and of people: password reset, invitations, requests for access."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from procurement.models import Supplier
from sparring.formtools import QuickSelect
from sparring.models import Organisation, User
from sparring.regions import Region
from sparring.validators import normalise_business_id, validate_business_id


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, for checking the address only: the request is recorded and
    handled in the background (``security.password_reset_request``,
    ``services.password_reset_send``), the same whether or not the address is known,
    so the page does not reveal who has an account."""

    error_messages = {
        "invalid": _("Enter the e-mail address you log in with, for example name@municipality.fi.")
    }

    def save(self, *args, **kwargs):
        """Never sends inline: see ``security.password_reset_request``."""
        raise NotImplementedError("password resets go through security.password_reset_request")


class SetPasswordForm(auth_forms.SetPasswordForm):
    """The reset link's form: the new password is recorded in the audit trail."""

    def save(self, commit=True):
        from django.db import transaction

        from .services import password_reset_done

        with transaction.atomic():
            user = super().save(commit=commit)
            if commit:
                password_reset_done(user=user)
        return user


class InvitationAcceptForm(forms.Form):
    """The invited person chooses a password."""

    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("The two passwords differ."))
        return data


def role_choices(actor) -> list[tuple[str, str]]:
    """The roles ``actor`` may give: a coordinator only by a superuser."""
    return [
        (value, label)
        for value, label in User.Role.choices
        if value != User.Role.COORDINATOR or actor.is_superuser
    ]


class InviteForm(forms.Form):
    """A coordinator invites a person by e-mail with a role."""

    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"))
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.all(),
        required=False,
        help_text=_("For an applicant: the organisation they act for."),
        widget=QuickSelect,  # every organisation of the programme (issue 17)
    )
    supplier = forms.ModelChoiceField(
        label=_("Supplier"),
        queryset=Supplier.objects.filter(active=True),
        required=False,
        help_text=_("For a consultant: the supplier they work for."),
    )
    language = forms.ChoiceField(
        label=_("Language of the e-mails"), choices=settings.LANGUAGES, initial="fi"
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(actor)
        self.fields["email"].widget.attrs["autocomplete"] = "off"


class AccessRequestForm(forms.Form):
    """The public page: an organisation not yet registered asks for access."""

    business_id = forms.CharField(
        label=_("Business ID"),
        max_length=20,
        help_text=_("Y-tunnus, for example 0201256-6."),
    )
    name_fi = forms.CharField(label=_("Official name in Finnish"), max_length=200)
    name_sv = forms.CharField(
        label=_("Official name in Swedish"),
        max_length=200,
        required=False,
        help_text=_("Bilingual municipalities: the Swedish name, for example Esbo stad."),
    )
    kind = forms.ChoiceField(label=_("Kind of organisation"), choices=Organisation.Kind.choices)
    region = forms.ChoiceField(label=_("Region"), choices=[("", "—"), *Region.choices])
    first_name = forms.CharField(label=_("Your first name"), max_length=150)
    last_name = forms.CharField(label=_("Your last name"), max_length=150)
    title = forms.CharField(label=_("Your job title"), max_length=200, required=False)
    email = forms.EmailField(label=_("Your work e-mail"))
    phone = forms.CharField(label=_("Your phone"), max_length=40, required=False)
    language = forms.ChoiceField(
        label=_("Language of the e-mails"), choices=settings.LANGUAGES, initial="fi"
    )

    AUTOCOMPLETE = {
        "first_name": "given-name",
        "last_name": "family-name",
        "email": "email",
        "phone": "tel",
        "title": "organization-title",
        "name_fi": "organization",
        "name_sv": "off",
        "business_id": "off",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, value in self.AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = value

    def clean_business_id(self) -> str:
        """The Business ID in its normalised form 1234567-8, whatever the spelling."""
        value = self.cleaned_data["business_id"].strip()
        validate_business_id(value)
        return normalise_business_id(value)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the person)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class SubjectAccessForm(forms.Form):
    email = forms.EmailField(
        label=_("The person's e-mail address"),
        help_text=_(
            "Everything held about the person with this address: accounts, cases, requests for access, survey codes sent, e-mails and actions. Survey answers are anonymous and cannot be found."
        ),
    )
