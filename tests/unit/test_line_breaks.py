"""What the browser's maxlength accepts, the server accepts (issue 18, item 3).

A browser counts a line break in a <textarea> as one character against its
maxlength, and submits it as CR LF. Every Textarea with a length limit, in every
form of the product and every form the staff pages and the admin make from the
models, takes a text at its limit with CR LF line breaks.
"""

import importlib
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.test import RequestFactory
from django.utils import timezone

from sparring.middleware import LineBreaksMiddleware, normalise_line_breaks

PACKAGES = ("sparring", "procurement", "workflow")


def browser_text(limit: int, paragraph: int = 97) -> str:
    """``limit`` characters as the browser counts them: paragraphs separated by blank lines."""
    text = ""
    n = 0
    while len(text) < limit:
        text += ("\n\n" if text else "") + f"Kappale {n}: " + "sparraus " * paragraph
        n += 1
    return text[:limit].rstrip() + "x" * (limit - len(text[:limit].rstrip()))


def posted(data: dict) -> dict:
    """``data`` as the server sees it after the browser's CR LF and the middleware."""
    request = RequestFactory().post("/", {k: v.replace("\n", "\r\n") for k, v in data.items()})
    seen = {}

    def view(request):
        seen.update(request.POST.items())

    LineBreaksMiddleware(view)(request)
    return seen


def project_forms():
    """Every form class defined in the product's packages."""
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            importlib.import_module(info.name)
    seen = set()
    stack = [forms.BaseForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.split(".")[0] in PACKAGES and sub not in seen:
                seen.add(sub)
                yield sub


def limited_textareas():
    """(where, field) for each Textarea with a max_length: declared forms and model fields."""
    for form in project_forms():
        for name, field in form.base_fields.items():
            if isinstance(field.widget, forms.Textarea) and getattr(field, "max_length", None):
                yield f"{form.__module__}.{form.__name__}.{name}", field
    for model in apps.get_models():
        if model.__module__.split(".")[0] not in PACKAGES:
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.TextField) and field.max_length:
                yield f"{model._meta.label}.{field.name}", field.formfield()


LIMITED = sorted(limited_textareas(), key=lambda item: item[0])


def test_the_product_has_limited_textareas_to_check():
    names = [where for where, _field in LIMITED]
    assert any(where.endswith("ReportForm.implementation") for where in names)
    assert any(where.endswith("SurveyAnswerForm.best") for where in names)
    assert any(where.endswith("Case.goal") for where in names)  # the staff pages and the admin


@pytest.mark.parametrize(("where", "field"), LIMITED, ids=[w for w, _f in LIMITED])
def test_a_text_at_the_browsers_limit_with_cr_lf_line_breaks_is_accepted(where, field):
    limit = field.max_length
    assert field.widget.attrs.get("maxlength") == str(limit), "the browser's limit is the server's"
    text = browser_text(limit)
    assert len(text) == limit and "\n" in text
    cleaned = field.clean(posted({"text": text})["text"])
    assert cleaned == text.strip()
    with pytest.raises(forms.ValidationError):
        field.clean(posted({"text": text + "y"})["text"])


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("a\r\nb", "a\nb"), ("a\rb", "a\nb"), ("a\r\n\r\nb\n", "a\n\nb\n"), ("ä\r\n", "ä\n")],
)
def test_line_breaks_are_normalised_to_lf(raw, normal):
    assert normalise_line_breaks(raw) == normal


def test_a_file_upload_keeps_its_bytes():
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = RequestFactory().post(
        "/", {"text": "a\r\nb", "file": SimpleUploadedFile("x.txt", b"1\r\n2")}
    )
    seen = {}

    def view(request):
        seen["text"] = request.POST["text"]
        seen["file"] = request.FILES["file"].read()

    LineBreaksMiddleware(view)(request)
    assert seen == {"text": "a\nb", "file": b"1\r\n2"}


@pytest.mark.django_db
def test_the_report_takes_its_limit_of_paragraphs_as_the_browser_counts_them(
    submitted_case, coordinator, consultant, applicant, client_for
):
    """The field report: multi-paragraph text pasted up to the limit into the report fields."""
    from sparring.cases import services
    from tests.unit.cases.test_case_flow import fresh, walk_to_delivery

    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    case = fresh(case)
    from sparring.reports.models import REPORT_TEXT_LIMITS  # issue 15, item 8

    data = {name: browser_text(limit) for name, limit in REPORT_TEXT_LIMITS.items()}
    text = data["implementation"]
    response = client_for(consultant).post(
        f"/cases/{case.pk}/report/",
        {
            "participants": 20,
            "version": case.version,
            "intent": "draft",
            **{k: v.replace("\n", "\r\n") for k, v in data.items()},
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    case.report.refresh_from_db()
    assert case.report.implementation == text
    assert "\r" not in case.report.results
