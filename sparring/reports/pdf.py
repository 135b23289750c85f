"""The consultant's report as an accessible PDF (WeasyPrint, tagged PDF/UA-1).

The HTML is rendered in the case's language. Resources (the stylesheet) load only
from the project's own static files: any other URL, on the network or on disk,
is refused by the URL fetcher.
"""

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

STATIC_PDF_DIR = Path(settings.BASE_DIR) / "static" / "pdf"


class ResourceRefused(Exception):
    """The report asked for a resource outside the project's static files."""


def project_only_fetcher():
    """A WeasyPrint URL fetcher that serves files under static/pdf/ and nothing else.

    A refused resource stops the rendering (the job fails visibly) rather than
    leaving a PDF that silently lacks its stylesheet.
    """
    from weasyprint.urls import URLFetcher

    class ProjectOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith("file://"):
                raise ResourceRefused(url)
            path = Path(url.removeprefix("file://").split("?")[0]).resolve()
            if STATIC_PDF_DIR.resolve() not in path.parents:
                raise ResourceRefused(url)
            return super().fetch(url, headers)

    return ProjectOnlyFetcher(allowed_protocols=["file"], fail_on_errors=True, timeout=5)


def report_html(case) -> str:
    """The report as HTML, in the case's language."""
    report = case.report
    days = case.days_planned.filter(status="held").order_by("date")
    with translation.override(case.language):
        return render_to_string(
            "pdf/report.html",
            {
                "case": case,
                "report": report,
                "days": days,
                "site_name": settings.SITE_NAME,
                "LANGUAGE_CODE": case.language,
            },
        )


def render_pdf(html: str) -> bytes:
    """HTML to a tagged PDF/UA-1 with embedded fonts."""
    from weasyprint import HTML

    document = HTML(
        string=html,
        base_url=STATIC_PDF_DIR.as_uri() + "/",
        url_fetcher=project_only_fetcher(),
    )
    return document.write_pdf(pdf_variant="pdf/ua-1")
