"""The pages about a merger itself and the user's own settings: the dispensation, API tokens, the calendar
feed. Mounted at / by the project."""
from django.urls import path

from . import views as merger_views

urlpatterns = [
    path("m/<int:merger_id>/dispensation/", merger_views.merger_dispensation, name="merger-dispensation"),
    path("settings/", merger_views.settings_home, name="settings"),
    path("settings/tokens/", merger_views.settings_tokens, name="settings-tokens"),
    path("settings/tokens/<int:token_id>/revoke/", merger_views.settings_token_revoke, name="settings-token-revoke"),
    path("settings/feed/", merger_views.settings_feed, name="settings-feed"),
]
