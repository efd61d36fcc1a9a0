"""``manage.py create_api_token USERNAME [--read-only] [--expires DAYS] [--name NAME]``."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from municipalities.tokens import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--read-only", action="store_true", help="The token may only read.")
        parser.add_argument("--expires", type=int, default=None, metavar="DAYS", help="Expire after DAYS days.")
        parser.add_argument("--name", default="command line", help="A name to recognise the token by.")

    def handle(self, *args, username: str, read_only: bool, expires: int | None, name: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            token, raw = api_token_create(user=user, name=name, read_only=read_only, expires_days=expires)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Token {token.prefix}… for {username} (read-only: {read_only}, expires: {token.expires_at or 'never'})."
            " It is shown once:"
        )
        self.stdout.write(raw)
