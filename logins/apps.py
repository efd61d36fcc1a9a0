from django.apps import AppConfig


class LoginsConfig(AppConfig):
    name = "logins"
    label = "logins"
    verbose_name = "Logins"

    def ready(self) -> None:
        from . import audit  # noqa: F401 - connects the signal receivers
