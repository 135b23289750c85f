"""What an uploaded file is, by its content (magic bytes), not only by its name.

The allowed types are ``sparring.models.ALLOWED_ATTACHMENT_TYPES`` (extension ->
content type); ``content_matches`` checks that the bytes are of the type the
name claims, so an HTML page or a program renamed ``.pdf`` is refused (issue 15,
item 6). The attachment service (``cases/services/application.attachment_add``)
calls it; the download is always ``attachment`` with ``nosniff``.
"""

import zipfile

_HEAD = 8192  # bytes read to recognise a type

# The first bytes of each binary type.
_MAGIC = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
# Office Open XML: a ZIP with [Content_Types].xml and the application's folder.
_OOXML_FOLDER = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
_ODF_MIMETYPE = {".odt": b"application/vnd.oasis.opendocument.text"}
# What browsers and shells take for markup or a program, whatever the name says.
_ACTIVE_STARTS = (
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<svg",
    b"<?xml",
    b"<iframe",
    b"mz",  # Windows executable
    b"\x7felf",  # Linux executable
    b"#!",  # script
)


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(_HEAD)
    upload.seek(0)
    return head


def _zip_names(upload) -> list[str] | None:
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)


def _zip_member(upload, name: str) -> bytes | None:
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive, archive.open(name) as member:
            return member.read(200)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)


def _is_plain_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    text = head.removeprefix(b"\xef\xbb\xbf")
    try:
        # the last character may be cut in the middle by _HEAD
        text.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(text) - 3:
            try:
                text.decode("cp1252")  # an old Windows text file
            except UnicodeDecodeError:
                return False
    return not text.lstrip().lower().startswith(_ACTIVE_STARTS)


def content_matches(upload, extension: str) -> bool:
    """True if the bytes of ``upload`` are of the type its ``extension`` names.

    Args:
        upload: a Django ``UploadedFile`` (or any seekable binary file); read from
            the start and left at the start.
        extension: the lower-case extension with its dot, one of
            ``ALLOWED_ATTACHMENT_TYPES`` (``.pdf``, ``.docx``, ...).

    Returns:
        False for an unknown extension, an empty file, or content of another
        type: a PDF must begin with ``%PDF-``, an image with its signature, a
        Word/Excel/PowerPoint/OpenDocument file must be the ZIP package of that
        application, a text file must be text (UTF-8 or Windows-1252, no NUL
        bytes) that does not begin as HTML, SVG, XML, a script or a program.
    """
    head = _head(upload)
    if not head:
        return False
    if extension == ".pdf":
        return head.lstrip(b"\r\n\t \x0c").startswith(b"%PDF-")
    if extension in _MAGIC:
        return head.startswith(_MAGIC[extension])
    if extension in _OOXML_FOLDER:
        if not head.startswith(b"PK\x03\x04"):
            return False
        names = _zip_names(upload) or []
        folder = _OOXML_FOLDER[extension]
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
    if extension in _ODF_MIMETYPE:
        if not head.startswith(b"PK\x03\x04"):
            return False
        return (_zip_member(upload, "mimetype") or b"").strip() == _ODF_MIMETYPE[extension]
    if extension == ".txt":
        return _is_plain_text(head)
    return False
