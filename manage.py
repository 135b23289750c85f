#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import sys

from config.environment import use_default_settings


def main() -> None:
    # Production unless DJANGO_SETTINGS_MODULE or the local marker says otherwise.
    use_default_settings()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
