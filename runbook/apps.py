from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RunbookConfig(AppConfig):
    name = "runbook"
    verbose_name = _("Runbook (drejebog)")
