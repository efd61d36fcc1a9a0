from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RunbookConfig(AppConfig):
    name = "runbook"
    verbose_name = _("Runbook (drejebog)")

    def ready(self) -> None:
        # Register the Celery tasks in every process (web, commands, tests), not only in workers, whose
        # autodiscovery is the only other import: code that enqueues looks a task up by its name
        # (runbook.task_names) instead of importing this module. Connect the receivers of the signals the
        # apps below send to ask for replans (they may not import the runbook). Neither module is
        # importable before the models are.
        from runbook import receivers, tasks  # noqa: F401
