"""English pages show Finnish dates too: the programme and its records are Finnish."""

from config.formats.fi.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
