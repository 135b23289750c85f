"""The report PDF's PDF/UA-1 structure, walked element by element (issue 16 item 7).

- tables are Table > [Caption] (THead|TBody|TFoot >) TR > TH|TD, never a Table in a Table;
  every TH has a /Scope and every TD's /Headers name an /ID of the /IDTree;
- every piece of text on a page is either marked content of an element in the tree
  or an /Artifact (the running header and footer, the page numbers) — no orphan
  marked content;
- the PDF names its filing date, version, programme and funder, in the case's language.
"""

import io

import pytest
from django.conf import settings
from django.utils import translation
from pypdf import PdfReader
from pypdf.generic import ContentStream

from sparring.models import Case
from sparring.reports import pdf
from sparring.reports.models import Report, ReportDocument

pytestmark = pytest.mark.django_db(transaction=True)

TEXT_OPERATORS = {b"Tj", b"TJ", b"'", b'"'}
SECTIONS = {"/THead", "/TBody", "/TFoot"}


def read(document: ReportDocument) -> PdfReader:
    with document.file.open("rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def kids(element) -> list:
    value = element.get("/K")
    if value is None:
        return []
    value = value.get_object()
    return [k.get_object() for k in (value if isinstance(value, list) else [value])]


def struct_kids(element) -> list:
    return [k for k in kids(element) if hasattr(k, "get") and k.get("/Type") != "/MCR"]


def walk(element, path=()):
    """Every structure element with the tags of its ancestors."""
    yield element, path
    for kid in struct_kids(element):
        yield from walk(kid, (*path, element.get("/S")))


def elements_in_tree(reader) -> list:
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    return list(walk(root))


def test_tables_are_table_tr_th_td_and_headers_resolve(reported_case):
    (document,) = reported_case.report_documents.all()
    reader = read(document)
    elements = elements_in_tree(reader)
    tables = [e for e, _path in elements if e.get("/S") == "/Table"]
    assert tables, "the identification table is tagged"
    id_tree = reader.trailer["/Root"]["/StructTreeRoot"]["/IDTree"].get_object()
    names = id_tree["/Names"]
    ids = {str(names[i]) for i in range(0, len(names), 2)}
    for element, path in elements:
        tag = element.get("/S")
        if tag == "/Table":
            assert "/Table" not in path, "a table inside a table"
            for kid in struct_kids(element):
                assert kid["/S"] in {"/Caption", "/TR", *SECTIONS}, kid["/S"]
        elif tag in SECTIONS:
            assert path[-1] == "/Table"
            assert all(k["/S"] == "/TR" for k in struct_kids(element))
        elif tag == "/TR":
            assert path[-1] in {"/Table", *SECTIONS}
            assert struct_kids(element) and all(
                k["/S"] in ("/TH", "/TD") for k in struct_kids(element)
            )
        elif tag in ("/TH", "/TD"):
            assert path[-1] == "/TR"
            attributes = element["/A"].get_object()
            if tag == "/TH":
                assert attributes["/Scope"] in ("/Row", "/Column", "/Both")
                assert str(element["/ID"]) in ids
            else:
                assert all(str(h) in ids for h in attributes.get("/Headers", []))
        elif tag == "/Caption":
            assert path[-1] == "/Table"
    rows = [e for e, path in elements if e.get("/S") == "/TR" and "/Table" in path]
    assert len(rows) >= 11  # organisation … funder


def _text_marks(page, reader):
    """(marked-content stack, text operator) for every text drawn on ``page``."""
    stack = []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"BDC":
            properties = operands[1] if hasattr(operands[1], "get") else {}
            stack.append((str(operands[0]), properties.get("/MCID")))
        elif operator == b"BMC":
            stack.append((str(operands[0]), None))
        elif operator == b"EMC":
            stack.pop()
        elif operator in TEXT_OPERATORS:
            yield list(stack), operands


def test_every_text_is_in_the_tree_or_an_artifact_and_the_running_texts_are_artifacts(
    reported_case,
):
    (document,) = reported_case.report_documents.all()
    reader = read(document)
    in_tree = {id(e) for e, _path in elements_in_tree(reader)}
    parent_tree = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"].get_object()
    nums = parent_tree["/Nums"]
    by_page = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    artifacts = 0
    for number, page in enumerate(reader.pages):
        mapping = by_page[page["/StructParents"]]
        for stack, _operands in _text_marks(page, reader):
            assert stack, f"unmarked text on page {number + 1}"
            if any(tag == "/Artifact" for tag, _mcid in stack):
                artifacts += 1
                continue
            tag, mcid = stack[-1]
            assert mcid is not None, f"text marked {tag} without an MCID"
            element = mapping[mcid].get_object()
            assert id(element) in in_tree, f"MCID {mcid} belongs to no element of the tree"
    assert artifacts >= 3  # header left, header right, footer (programme), page number


def test_the_running_header_and_footer_name_the_case_version_programme_and_funder(
    reported_case,
):
    (document,) = reported_case.report_documents.all()
    reader = read(document)
    text = " ".join(page.extract_text() for page in reader.pages)
    identity = settings.SPARRING_PROGRAMME_IDENTITY
    report = Report.objects.get(case=reported_case)
    for expected in (
        reported_case.reference,
        "versio 1",
        identity["programme"]["fi"],
        identity["funder"]["fi"],
        report.submitted_at.astimezone().strftime("%-d.%-m.%Y"),
        "Raportti jätetty",
        "Rahoittaja",
    ):
        assert expected in text, expected
    assert reader.metadata["/Keywords"] == (
        f"{identity['programme']['fi']}, {identity['funder']['fi']}"
    )
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "pdfuaid:part" in xmp


def test_a_swedish_case_gets_a_swedish_pdf_with_its_identity(reported_case):
    Case.objects.filter(pk=reported_case.pk).update(language="sv")
    case = Case.objects.get(pk=reported_case.pk)
    reader = PdfReader(io.BytesIO(pdf.render_pdf(pdf.report_html(case))))
    text = " ".join(page.extract_text() for page in reader.pages)
    identity = settings.SPARRING_PROGRAMME_IDENTITY
    with translation.override("sv"):
        for expected in (
            "version 2",
            identity["programme"]["sv"],
            identity["funder"]["sv"],
            translation.gettext("Report filed"),
            translation.gettext("Funder"),
        ):
            assert expected in text, expected
    assert reader.trailer["/Root"]["/Lang"] == "sv"


def test_the_programme_identity_falls_back_to_finnish(settings):
    settings.SPARRING_PROGRAMME_IDENTITY = {
        "programme": {"fi": "Ohjelma X", "sv": ""},
        "funder": {"fi": "Rahasto Y", "sv": "Fonden Y"},
    }
    assert pdf.programme_identity("sv") == {"programme": "Ohjelma X", "funder": "Fonden Y"}
    assert pdf.programme_identity("en") == {"programme": "Ohjelma X", "funder": "Rahasto Y"}


def test_a_pdf_without_a_structure_tree_is_returned_unchanged():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    out = io.BytesIO()
    writer.write(out)
    assert pdf.tag_page_furniture(out.getvalue()) == out.getvalue()
