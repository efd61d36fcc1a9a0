#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mergeplan.settings")
    # manage.py is the developer's tool: debug settings unless the environment says otherwise (production
    # sets DJANGO_DEBUG=0 and SECRET_KEY explicitly; gunicorn and Celery never default to debug).
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
