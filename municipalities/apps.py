from django.apps import AppConfig
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class MunicipalitiesConfig(AppConfig):
    name = "municipalities"
    verbose_name = _("Municipalities and mergers")

    def ready(self):
        # models (and the modules that import them) cannot be imported before the app registry is ready
        from municipalities.api.authentication import invalidate_token_cache

        from .api import schema  # noqa: F401 - registers the token schemes with drf-spectacular
        from .models import ApiToken

        # a revoked token or a deactivated user is refused at once by this process (the others: within
        # API_TOKEN_CACHE_SECONDS, see municipalities.api.authentication)
        for model in (ApiToken, get_user_model()):
            post_save.connect(invalidate_token_cache, sender=model, dispatch_uid=f"token_cache_save_{model.__name__}")
            post_delete.connect(invalidate_token_cache, sender=model, dispatch_uid=f"token_cache_del_{model.__name__}")
