"""Finland-Swedish dates follow the Finnish ones."""

from config.formats.fi.formats import *  # noqa: F403
