"""Every msgid the code and templates use has a Finnish and a Swedish translation (issue 16 item 5).

The messages are extracted with ``makemessages`` into a temporary copy of the project,
never into the real locale files (``makemessages`` rewrites whole files); the copy's
catalogues, merged with the real translations, must have no untranslated or fuzzy entry.
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

SKIP = shutil.ignore_patterns(
    ".git", ".venv", "var", "node_modules", "staticfiles", ".hypothesis", "*.mo", "__pycache__"
)


def _entries(po: Path, flag: str) -> list[str]:
    out = subprocess.run(
        ["msgattrib", flag, "--no-wrap", str(po)], capture_output=True, text=True, check=True
    ).stdout
    return [
        line.removeprefix("msgid ")
        for line in out.splitlines()
        if line.startswith("msgid ") and line != 'msgid ""'
    ]


def test_every_message_has_a_finnish_and_a_swedish_translation(tmp_path):
    base = Path(settings.BASE_DIR)
    copy = tmp_path / "project"
    shutil.copytree(base, copy, ignore=SKIP, symlinks=False)
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
