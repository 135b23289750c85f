"""The API tokens page: each person makes and revokes their own personal API tokens."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import services
from .forms import TokenCreateForm
from .models import ApiToken


def _own_token(request: HttpRequest) -> ApiToken:
    """One of the user's own tokens; anyone else's is not found."""
    try:
        pk = int(request.POST.get("token", ""))
        return ApiToken.objects.get(pk=pk, user=request.user)
    except (ValueError, ApiToken.DoesNotExist):
        raise Http404 from None


@never_cache
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List, make (the secret shown once) and revoke the user's API tokens."""
    form = TokenCreateForm()
    secret = None
    status = 200
    if request.method == "POST":
        intent = request.POST.get("intent")
        if intent == "revoke":
            token = _own_token(request)
            if services.api_token_revoke(actor=request.user, token=token):
                messages.success(
                    request, _("The token “%(name)s” was revoked.") % {"name": token.name}
                )
            return redirect("api_tokens")
        if intent == "create":
            form = TokenCreateForm(request.POST)
            if form.is_valid():
                try:
                    _token, secret = services.api_token_create(
                        actor=request.user, name=form.cleaned_data["name"]
                    )
                    form = TokenCreateForm()
                except ValidationError as error:
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
            if form.errors:
                status = 400
        else:
            status = 400
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created", "-pk")
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens, "secret": secret},
        status=status,
    )
