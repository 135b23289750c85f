"""Uploads are checked by their content, not only by their name (issue 15, item 6)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sparring.models import ALLOWED_ATTACHMENT_TYPES, Attachment, AuditEvent
from sparring.uploads import content_matches

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 32


def ooxml(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<x/>")
    return buffer.getvalue()


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<x/>")
    return buffer.getvalue()


GOOD = {
    ".pdf": PDF,
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".docx": ooxml("word/"),
    ".xlsx": ooxml("xl/"),
    ".pptx": ooxml("ppt/"),
    ".odt": odt(),
    ".txt": "Kehittämistarve: työnjako.\nÅsa, Öljy\n".encode(),
}


def test_every_allowed_type_has_a_content_check():
    assert set(GOOD) == set(ALLOWED_ATTACHMENT_TYPES)


@pytest.mark.parametrize("extension", sorted(GOOD))
def test_the_real_thing_passes(extension):
    assert content_matches(io.BytesIO(GOOD[extension]), extension)


@pytest.mark.parametrize("extension", sorted(GOOD))
@pytest.mark.parametrize("content", [HTML, EXE, ELF, b""], ids=["html", "exe", "elf", "empty"])
def test_html_or_a_program_under_any_allowed_name_is_refused(extension, content):
    assert not content_matches(io.BytesIO(content), extension)


@pytest.mark.parametrize(
    ("extension", "content"),
    [
        (".docx", ooxml("xl/")),  # an Excel file called .docx is not a Word file
        (".xlsx", odt()),
        (".pdf", PNG),
        (".png", PDF),
        (".txt", b"<svg onload=alert(1)>"),
        (".txt", b"\x00\x01binary"),
        (".docx", b"PK\x03\x04 not really a zip"),
    ],
)
def test_another_type_under_the_name_is_refused(extension, content):
    assert not content_matches(io.BytesIO(content), extension)


def test_the_check_leaves_the_file_at_its_start():
    upload = io.BytesIO(GOOD[".docx"])
    assert content_matches(upload, ".docx")
    assert upload.tell() == 0


# ------------------------------------------------------------------------------
# Through the page
# ------------------------------------------------------------------------------


def _upload(client, case, name, content):
    return client.post(
        reverse("sparring:attachment_upload", args=[case.pk]),
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf")},
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [("ohje.pdf", HTML), ("ohjelma.pdf", EXE), ("kuva.png", HTML), ("muistio.docx", EXE)],
)
def test_a_renamed_html_page_or_program_is_refused_with_a_form_error(
    name, content, draft_case, applicant, client_for
):
    response = _upload(client_for(applicant), draft_case, name, content)

    assert response.status_code == 400
    errors = response.context["attachment_form"].errors["file"]
    assert any("content" in e.lower() or "sisältö" in e.lower() for e in errors), errors
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="attachment_added").exists()


def test_the_form_lists_what_is_allowed(draft_case, applicant, client_for):
    page = client_for(applicant).get(reverse("sparring:case_detail", args=[draft_case.pk]))
    html = page.content.decode()
    for extension in ALLOWED_ATTACHMENT_TYPES:
        assert extension in html
    assert 'accept=".docx,.jpeg,.jpg,.odt,.pdf,.png,.pptx,.txt,.xlsx"' in html


def test_a_real_pdf_is_added(draft_case, applicant, client_for):
    response = _upload(client_for(applicant), draft_case, "suunnitelma.pdf", PDF)
    assert response.status_code == 302
    assert Attachment.objects.get().original_name == "suunnitelma.pdf"
