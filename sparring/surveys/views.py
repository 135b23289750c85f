"""The survey pages: the code and answer pages (no login), and the applicant's survey actions.

The participant's one-time code travels only in POST bodies (typed, or filled in
from the mailed link's URL fragment by static/js/survey.js): no survey page has
a token in its path or query, so no access log keeps one.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from sparring import access
from sparring.cases import selectors
from sparring.client_address import client_address
from sparring.languages import activate_case_language

from . import services as surveys
from .forms import SurveyAnswerForm, SurveyCodeForm, SurveyParticipantsForm, SurveySheetForm

STATUS = {
    surveys.WrongCode: 400,
    surveys.AlreadyAnswered: 409,
    surveys.SurveyClosed: 410,
    surveys.TooManyAnswers: 429,
}


def _status(error: surveys.SurveyError) -> int:
    return STATUS.get(type(error), 400)


@login_not_required
@never_cache
def survey(request: HttpRequest, token: str = "") -> HttpResponse:
    """Answer the survey with a one-time code (no login; nothing about the person is stored).

    GET: the code page (a code from an old link's path is filled in). POST without
    ``step=answer``: check the code, then the answer form. POST with it: the answer.
    """
    client = client_address(request)
    if request.method != "POST":
        form = SurveyCodeForm(initial={"code": token} if token else None)
        return render(request, "sparring/survey_code.html", {"form": form})
    code = request.POST.get("code", "")
    if request.POST.get("step") != "answer":
        form = SurveyCodeForm(request.POST)
        if not form.is_valid():
            return render(request, "sparring/survey_code.html", {"form": form}, status=400)
        try:
            survey, _link = surveys.survey_check_code(code=form.cleaned_data["code"], client=client)
        except surveys.SurveyError as error:
            form.add_error("code", str(error.message))
            return render(
                request, "sparring/survey_code.html", {"form": form}, status=_status(error)
            )
        return _answer_page(request, survey, SurveyAnswerForm(initial={"code": code}))
    form = SurveyAnswerForm(request.POST)
    # The same form sent again is one answer, thanked again: a valid one is recognised
    # by ``survey_answer`` (its submission token), one that no longer validates here.
    if not form.is_valid() and surveys.survey_answer_saved(
        code=code, submission_token=request.POST.get("submission_token", "")
    ):
        return _thanks(request)
    if form.is_valid():
        try:
            surveys.survey_answer(
                code=form.cleaned_data["code"],
                data=form.cleaned_data,
                client=client,
                submission_token=form.cleaned_data.get("submission_token"),
            )
        except surveys.SurveyError as error:
            return _refused(request, error, form)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return _thanks(request)
    try:
        survey, _link = surveys.survey_check_code(code=code, client=client)
    except surveys.SurveyError as error:
        return _refused(request, error, form)
    return _answer_page(request, survey, form, status=400)


def _refused(request, error: surveys.SurveyError, form) -> HttpResponse:
    """A closed survey or a used code: said so. A wrong code or too many tries: the code
    page again, with the answer kept in the form (nothing typed is lost)."""
    if isinstance(error, (surveys.SurveyClosed, surveys.AlreadyAnswered)):
        return _message(request, error.message, _status(error))
    code_form = SurveyCodeForm(request.POST)
    code_form.is_valid()
    code_form.add_error("code", str(error.message))
    return render(
        request,
        "sparring/survey_code.html",
        {"form": code_form, "kept": form},
        status=_status(error),
    )


def _answer_page(request, survey, form, status=200) -> HttpResponse:
    """The answer form, in the case's language unless the visitor chose one (the code
    page before it cannot know the case: it follows the browser)."""
    activate_case_language(request, survey.case)
    return render(
        request,
        "sparring/survey_form.html",
        {"survey": survey, "case": survey.case, "form": form},
        status=status,
    )


def _message(request, message, status) -> HttpResponse:
    return render(request, "sparring/survey_message.html", {"message": message}, status=status)


def _thanks(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sparring/survey_message.html",
        {"message": _("Thank you! Your answer was saved."), "thanks": True},
    )


@require_POST
def survey_participants(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_page(access.visible_cases(request.user), pk)
    form = SurveyParticipantsForm(request.POST)
    if form.is_valid():
        try:
            count = surveys.survey_add_participants(
                actor=request.user, case=case, emails=form.cleaned_data["emails"]
            )
        except ValidationError as error:
            form.add_error("emails", error.messages)
        except surveys.SurveyError as error:
            messages.warning(request, error.message)
            return redirect("sparring:case_detail", pk=case.pk)
        else:
            messages.success(
                request,
                _("Personal codes were sent to %(count)s new addresses.") % {"count": count},
            )
            return redirect("sparring:case_detail", pk=case.pk)
    # An error: the case page again with the addresses as typed, and what to correct.
    from sparring.cases.views import render_case_page

    return render_case_page(request, case, status=400, survey_participants_form=form)


@require_POST
@never_cache
def survey_codes(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable sheet of one-time codes (shown once; only their hashes are kept)."""
    case = selectors.case_page(access.visible_cases(request.user), pk)
    form = SurveySheetForm(request.POST)
    if form.is_valid():
        try:
            codes = surveys.survey_issue_codes(
                actor=request.user, case=case, count=form.cleaned_data["count"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        except surveys.SurveyError as error:
            messages.warning(request, error.message)
        else:
            return render(
                request,
                "sparring/survey_codes.html",
                {
                    "case": case,
                    "survey": case.survey,
                    "codes": codes,
                    "survey_url": surveys.survey_page_url(),
                },
            )
    else:
        messages.error(request, _("A sheet has 1–150 codes."))
    return redirect("sparring:case_detail", pk=case.pk)


@require_POST
def survey_remind(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_page(access.visible_cases(request.user), pk)
    try:
        surveys.survey_remind(actor=request.user, case=case)
        messages.success(
            request,
            _("Reminders were sent to the participants with a mailed code who have not answered."),
        )
    except surveys.SurveyError as error:
        messages.warning(request, error.message)
    return redirect("sparring:case_detail", pk=case.pk)
