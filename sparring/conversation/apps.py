from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationConfig(AppConfig):
    """The case conversation: messages between the parties of a case, internal notes."""

    name = "sparring.conversation"
    label = "conversation"
    verbose_name = _("Case conversation")
