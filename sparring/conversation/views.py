"""The conversation's page part: writing a message (the case page shows the conversation)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sparring import access
from sparring.cases.selectors import visible_case
from sparring.cases.views import render_case_page
from sparring.formtools import add_errors

from . import services
from .forms import MessageForm
from .models import Audience


@require_POST
def message_post(request: HttpRequest, pk: int) -> HttpResponse:
    """Write a message on case ``pk``: 404 for a case the user may not see, 403 for one
    they see but are no party of (a consultant with an open offer only); a form with
    errors is shown again on the case page (400), its text kept."""
    case = visible_case(request, pk)
    party = access.message_party(request.user, case)
    if party is None:
        raise PermissionDenied
    form = MessageForm(request.POST, party=party)
    if form.is_valid():
        try:
            message = services.message_post(
                actor=request.user,
                case=case,
                audience=form.cleaned_data["audience"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("The note was saved.")
                if message.audience == Audience.INTERNAL
                else _("The message was sent."),
            )
            return redirect(reverse("sparring:case_detail", args=[case.pk]) + "#conversation")
    return render_case_page(request, case, message_form=form, status=400)
