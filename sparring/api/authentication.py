"""Personal API tokens in the Authorization header: ``Authorization: Bearer spr_…``."""

from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from sparring import clock

from .models import ApiToken, token_hash

KEYWORDS = ("bearer", "token")
# last_used_at is written at most this often per token (it is for the owner's
# information, not an audit of every request).
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate a request by a personal API token.

    No Authorization header: not this scheme (the session may still authenticate).
    A header with an unknown, revoked or malformed token, or one whose owner is
    no longer active: 401. The token acts as its owner, with the owner's role
    and permissions at the time of the request.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from None
        token = (
            ApiToken.objects.select_related("user", "user__consultant", "user__organisation")
            .filter(key_hash=token_hash(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = clock.now()
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token scheme in the OpenAPI document."""

    target_class = "sparring.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made on the API tokens page (/account/api-tokens/).",
        }
