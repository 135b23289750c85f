"""The consultant's report as an accessible PDF (WeasyPrint, tagged PDF/UA-1).

The HTML is rendered in the case's language. Resources (the stylesheet) load only
from the project's own static files: any other URL, on the network or on disk,
is refused by the URL fetcher.

The PDF carries its own identity: the case, the filing date, the version, the
programme and its funder (``settings.SPARRING_PROGRAMME_IDENTITY``), in the body and
in the running header and footer.

Structure (PDF/UA-1, checked by ``tests/unit/reports/test_pdf_structure.py``):
WeasyPrint tags the body (H1, Table > [Caption] TBody > TR > TH/TD, P, Sect…) but
leaves the text of the page margin boxes (running header, footer, page numbers) as
marked content of structure elements that are not in the tree. ``tag_page_furniture``
rewrites that text as ``/Artifact`` (pagination) and gives every table header cell
its ``/Scope``.
"""

import io
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


def programme_identity(language: str) -> dict[str, str]:
    """The programme's and the funder's names in ``language`` (Finnish where missing),
    from ``settings.SPARRING_PROGRAMME_IDENTITY``."""
    identity = settings.SPARRING_PROGRAMME_IDENTITY
    return {
        key: (identity.get(key) or {}).get(language) or (identity.get(key) or {}).get("fi", "")
        for key in ("programme", "funder")
    }


def next_version(case) -> int:
    """The version number the next rendering of ``case``'s report gets (1, 2, …), as
    ``rendering.report_render`` numbers it."""
    from django.db.models import Max

    return (case.report_documents.aggregate(v=Max("version"))["v"] or 0) + 1


def report_html(case, version: int | None = None) -> str:
    """The report as HTML, in the case's language.

    ``version``: the number of the PDF version being made (default: the next one).
    """
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
                "version": version or next_version(case),
                "identity": programme_identity(case.language),
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
    return tag_page_furniture(document.write_pdf(pdf_variant="pdf/ua-1"))


def _in_tree(element) -> bool:
    """True when ``element`` hangs from the structure tree root (each node is one of
    its parent's kids)."""
    node = element.get_object()
    for _depth in range(64):
        parent_ref = node.get("/P")
        if parent_ref is None:
            return node.get("/Type") == "/StructTreeRoot"
        parent = parent_ref.get_object()
        kids = parent.get("/K")
        kids = kids.get_object() if kids is not None else []
        if not isinstance(kids, list):
            kids = [kids]
        if not any(getattr(k, "idnum", None) == node.indirect_reference.idnum for k in kids):
            return False
        node = parent
    return False


def _set_header_scopes(element) -> None:
    """Give each TH a /Scope: /Row in a row that has data cells, else /Column."""
    from pypdf.generic import DictionaryObject, NameObject

    element = element.get_object()
    kids = element.get("/K")
    kids = kids.get_object() if kids is not None else []
    kids = [k.get_object() for k in (kids if isinstance(kids, list) else [kids])]
    kids = [k for k in kids if hasattr(k, "get") and k.get("/Type") == "/StructElem"]
    if element.get("/S") == "/TR":
        has_data = any(k.get("/S") == "/TD" for k in kids)
        for cell in kids:
            if cell.get("/S") == "/TH":
                attributes = cell.get("/A")
                if attributes is None:
                    attributes = DictionaryObject({NameObject("/O"): NameObject("/Table")})
                    cell[NameObject("/A")] = attributes
                attributes = attributes.get_object()
                attributes[NameObject("/Scope")] = NameObject("/Row" if has_data else "/Column")
    for kid in kids:
        _set_header_scopes(kid)


def _add_id_tree(writer, tree) -> None:
    """The structure tree's /IDTree, required once any element has an /ID (the header
    cells WeasyPrint names for the data cells' /Headers)."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    ids = {}

    def collect(element) -> None:
        element = element.get_object()
        if not hasattr(element, "get"):
            return
        if "/ID" in element and element.indirect_reference is not None:
            ids[str(element["/ID"])] = element.indirect_reference
        kids = element.get("/K")
        kids = kids.get_object() if kids is not None else []
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object") and hasattr(kid.get_object(), "get"):
                collect(kid)

    collect(tree)
    if not ids:
        return
    names = ArrayObject()
    for key in sorted(ids):
        names += [TextStringObject(key), ids[key]]
    tree[NameObject("/IDTree")] = writer._add_object(
        DictionaryObject({NameObject("/Names"): names})
    )


def tag_page_furniture(content: bytes) -> bytes:
    """``content`` with the page margin boxes' text as pagination artifacts and the
    table header cells scoped (see the module docstring). Raises nothing for a PDF
    without a structure tree: it is returned unchanged."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream, DictionaryObject, NameObject, NullObject

    reader = PdfReader(io.BytesIO(content))
    writer = PdfWriter(clone_from=reader)
    root = writer._root_object
    tree = root.get("/StructTreeRoot")
    if tree is None:
        return content
    tree = tree.get_object()
    nums = tree["/ParentTree"].get_object()["/Nums"]
    page_orphans: dict[int, set[int]] = {}
    for index in range(0, len(nums), 2):
        key, value = nums[index], nums[index + 1].get_object()
        if not isinstance(value, list):
            continue  # an annotation's parent, not a page's marked content
        orphans = {
            mcid
            for mcid, element in enumerate(value)
            if not isinstance(element, NullObject) and not _in_tree(element)
        }
        for mcid in orphans:
            value[mcid] = NullObject()
        page_orphans[int(key)] = orphans
    for number, page in enumerate(writer.pages):
        orphans = page_orphans.get(number)
        if not orphans:
            continue
        stream = ContentStream(page.get_contents(), writer)
        for operands, operator in stream.operations:
            if operator == b"BDC" and len(operands) == 2:
                properties = operands[1]
                if hasattr(properties, "get") and properties.get("/MCID") in orphans:
                    operands[0] = NameObject("/Artifact")
                    operands[1] = DictionaryObject({NameObject("/Type"): NameObject("/Pagination")})
        page.replace_contents(stream)
    _set_header_scopes(tree)
    _add_id_tree(writer, tree)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
