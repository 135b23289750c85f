"""Every msgid the code and templates use has a Finnish and a Swedish translation (issue 16 item 5).

The messages are extracted with ``makemessages`` into a temporary copy of the project,
never into the real locale files (``makemessages`` rewrites whole files); the copy's
catalogues, merged with the real translations, must have no untranslated or fuzzy entry.

The staff area (/staff/) shows viewflow's own texts too; viewflow has no Finnish or
Swedish catalogue, so the product's catalogue translates the msgids of the viewflow
files those pages use (``VIEWFLOW_STAFF_FILES``), and they are extracted with the rest.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(
    shutil.which("msgattrib") is None or shutil.which("xgettext") is None,
    reason="gettext tools are not installed",
)

VIEWFLOW_STAFF_FILES = [
    "templates/viewflow/base_page.html",
    "templates/viewflow/views/list.html",
    "templates/viewflow/views/form.html",
    "templates/viewflow/includes/app_menu.html",
    "templates/viewflow/includes/site_menu.html",
    "templates/viewflow/includes/list_filter.html",
    "templates/viewflow/includes/list_bulk_actions.html",
    "urls/model.py",
    "views/create.py",
    "views/update.py",
    "forms/renderers.py",
]

SKIP = shutil.ignore_patterns(
    ".git", ".venv", "var", "node_modules", "staticfiles", ".hypothesis", "*.mo", "__pycache__"
)


def _entries(po: Path, flag: str) -> list[str]:
    """The msgids (with their continuation lines) that ``msgattrib flag`` keeps."""
    out = subprocess.run(
        ["msgattrib", flag, "--no-wrap", str(po)], capture_output=True, text=True, check=True
    ).stdout
    entries = []
    for paragraph in out.split("\n\n"):
        lines = [line for line in paragraph.splitlines() if not line.startswith("#")]
        if not lines or "Project-Id-Version" in paragraph:
            continue
        msgid, inside = [], False
        for line in lines:
            if line.startswith("msgid "):
                inside = True
                msgid.append(line.removeprefix("msgid "))
            elif inside and line.startswith('"'):
                msgid.append(line)
            elif inside:
                break
        entries.append("".join(msgid))
    return entries


def test_every_message_has_a_finnish_and_a_swedish_translation(tmp_path):
    base = Path(settings.BASE_DIR)
    copy = tmp_path / "project"
    shutil.copytree(base, copy, ignore=SKIP, symlinks=False)
    import viewflow

    viewflow_dir = Path(viewflow.__file__).parent
    for number, name in enumerate(VIEWFLOW_STAFF_FILES):
        target = copy / "viewflow_staff" / f"{number}_{Path(name).name}"
        target.parent.mkdir(exist_ok=True)
        shutil.copy(viewflow_dir / name, target)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "fi",
            "-l",
            "sv",
            "--ignore=tests/*",
            "--ignore=docs/*",
            "--no-obsolete",
            "-v0",
        ],
        cwd=copy,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    missing = {}
    for language in ("fi", "sv"):
        po = copy / "locale" / language / "LC_MESSAGES" / "django.po"
        untranslated = _entries(po, "--untranslated") + _entries(po, "--only-fuzzy")
        if untranslated:
            missing[language] = untranslated
    assert not missing, missing
