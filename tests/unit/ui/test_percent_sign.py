"""A figure and its per cent sign stay on one line (found at 320 px: "35,7" / "%").

Finnish and Swedish write a space before "%" (35,7 %). An ordinary space lets the
browser wrap between the figure and the sign, so every "%" after a figure is joined
to it by a no-break space: in the templates and in the translated texts alike.
"""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

#: A template value or tag ending, then an ordinary space and the sign.
AFTER_VALUE = re.compile(r"(?:\}\}|%\}) %")
#: A placeholder or a digit, then an ordinary space and the sign (a translated text).
AFTER_PLACEHOLDER = re.compile(r"(?:%\([a-z_]+\)s|\d) (?:%%|%(?![(a-z]))")


def templates() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*.html"))


def test_no_template_writes_an_ordinary_space_before_a_per_cent_sign():
    found = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        for match in AFTER_VALUE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}")
    assert found == []


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_no_translation_writes_an_ordinary_space_before_a_per_cent_sign(language):
    path = ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"  # make messages
    with path.open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog
    found = sorted(
        str(msgid)
        for msgid, msgstr in catalog.items()
        if any(AFTER_PLACEHOLDER.search(text) for text in (str(msgid), msgstr))
    )
    assert found == []
