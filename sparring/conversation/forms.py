"""The message form of the case conversation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sparring import access

from .models import BODY_MAX_LENGTH, Audience


class MessageForm(forms.Form):
    """A message: whom it is for (the choices of the writer's party) and its text."""

    audience = forms.ChoiceField(
        label=_("To"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose whom the message is for."),
            "invalid_choice": _("Choose whom the message is for."),
        },
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": BODY_MAX_LENGTH}),
        help_text=_("At most 4 000 characters. The recipients are told by e-mail."),
        error_messages={
            "required": _("Write the message first: it is empty."),
            "max_length": _(
                "The message is %(show_value)s characters long; at most %(limit_value)s fit."
            ),
        },
    )

    def __init__(self, *args, party: str, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = access.MESSAGE_AUDIENCES.get(party, ())
        self.fields["audience"].choices = [(a.value, a.label) for a in Audience if a in allowed]
        if "audience" not in self.initial and allowed:
            self.initial["audience"] = allowed[0]
