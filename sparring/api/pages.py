"""The API tokens page: each person makes and revokes their own personal API tokens;
coordinators also see everyone's tokens in force and may revoke any of them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from sparring import access

from . import services
from .forms import TokenCreateForm
from .models import ApiToken

PAGE_SIZE = 25


def _revocable_token(request: HttpRequest) -> ApiToken:
    """One of the user's own tokens, or for a coordinator anyone's; else not found."""
    tokens = ApiToken.objects.select_related("user")
    if not access.is_coordinator(request.user):
        tokens = tokens.filter(user=request.user)
    try:
        return tokens.get(pk=int(request.POST.get("token", "")))
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
            token = _revocable_token(request)
            if services.api_token_revoke(actor=request.user, token=token):
                if token.user_id == request.user.pk:
                    message = _("The token “%(name)s” was revoked.") % {"name": token.name}
                else:
                    message = _("The token “%(name)s” of %(person)s was revoked.") % {
                        "name": token.name,
                        "person": token.user.get_full_name() or token.user.username,
                    }
                messages.success(request, message)
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
    others = None
    if access.is_coordinator(request.user):
        # Everyone else's tokens still in force, for revoking one that leaked.
        others = Paginator(
            ApiToken.objects.filter(revoked_at__isnull=True)
            .exclude(user=request.user)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk"),
            PAGE_SIZE,
        ).get_page(request.GET.get("page"))
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens, "secret": secret, "page": others},
        status=status,
    )
