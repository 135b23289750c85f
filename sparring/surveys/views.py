"""The survey pages: the anonymous answer form, and the applicant's survey actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sparring import access
from sparring.cases import selectors
from sparring.languages import activate_case_language

from . import services as surveys
from .forms import SurveyAnswerForm, SurveyParticipantsForm

COOKIE = "sparring_survey_{}"


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@login_not_required
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """Answer the survey (no login; nothing about the person is stored)."""
    try:
        survey, link = surveys.resolve(token)
    except surveys.SurveyError as error:
        return render(
            request, "sparring/survey_message.html", {"message": error.message}, status=404
        )
    activate_case_language(request, survey.case)
    cookie = COOKIE.format(survey.pk)
    if not survey.is_open():
        return render(
            request,
            "sparring/survey_message.html",
            {"message": surveys.SurveyClosed.message},
            status=410,
        )
    if request.method == "POST" and surveys.survey_answer_saved(
        survey=survey, submission_token=request.POST.get("submission_token", "")
    ):
        return _thanks(request, cookie)  # the same form sent again: one answer, thanked again
    if (link is not None and link.answered) or (link is None and request.COOKIES.get(cookie)):
        return render(
            request, "sparring/survey_message.html", {"message": surveys.AlreadyAnswered.message}
        )
    form = SurveyAnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.survey_answer(
                token=token,
                data=form.cleaned_data,
                client=_client(request),
                already_in_browser=bool(request.COOKIES.get(cookie)),
                submission_token=form.cleaned_data.get("submission_token"),
            )
        except surveys.SurveyError as error:
            return render(
                request, "sparring/survey_message.html", {"message": error.message}, status=409
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return _thanks(request, cookie)
    return render(
        request,
        "sparring/survey_form.html",
        {"survey": survey, "case": survey.case, "form": form},
        status=400 if form.errors else 200,
    )


def _thanks(request: HttpRequest, cookie: str) -> HttpResponse:
    response = render(
        request,
        "sparring/survey_message.html",
        {"message": _("Thank you! Your answer was saved."), "thanks": True},
    )
    response.set_cookie(cookie, "1", max_age=60 * 60 * 24 * 60, samesite="Lax", httponly=True)
    return response


@require_POST
def survey_participants(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_page(access.visible_cases(request.user), pk)
    form = SurveyParticipantsForm(request.POST)
    if form.is_valid():
        try:
            count = surveys.survey_add_participants(
                actor=request.user, case=case, emails=form.cleaned_data["emails"]
            )
            messages.success(
                request,
                _("Personal links were sent to %(count)s new addresses.") % {"count": count},
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        except surveys.SurveyError as error:
            messages.warning(request, error.message)
    else:
        messages.error(request, _("Give at least one e-mail address."))
    return redirect("sparring:case_detail", pk=case.pk)


@require_POST
def survey_remind(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_page(access.visible_cases(request.user), pk)
    try:
        count = surveys.survey_remind(actor=request.user, case=case)
        messages.success(
            request,
            _("A reminder was sent to %(count)s participants who have not answered.")
            % {"count": count},
        )
    except surveys.SurveyError as error:
        messages.warning(request, error.message)
    return redirect("sparring:case_detail", pk=case.pk)
