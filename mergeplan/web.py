"""The pages (mounted at /). Server-rendered; htmx only improves what already works without it."""
from django.contrib.auth import views as auth_views
from django.urls import path

from municipalities import views as merger_views
from runbook import views as runbook_views
from systems import views as systems_views

urlpatterns = [
    path("", merger_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # one merger
    path("m/<int:merger_id>/", merger_views.merger_dashboard, name="merger-dashboard"),
    path("m/<int:merger_id>/report/", merger_views.status_report, name="merger-report"),
    path("m/<int:merger_id>/dispensation/", merger_views.merger_dispensation, name="merger-dispensation"),
    path("m/<int:merger_id>/timeline/", runbook_views.timeline, name="merger-timeline"),
    path("m/<int:merger_id>/runbook/", runbook_views.runbook_list, name="merger-runbook"),
    path("m/<int:merger_id>/systems/", systems_views.systems_matrix, name="merger-systems"),
    path("m/<int:merger_id>/steps/<int:step_id>/", runbook_views.step_detail, name="step-detail"),
    path("m/<int:merger_id>/steps/<int:step_id>/status/", runbook_views.step_transition, name="step-transition"),
    path("m/<int:merger_id>/steps/<int:step_id>/comments/", runbook_views.step_comment, name="step-comment"),
    path("m/<int:merger_id>/steps/<int:step_id>/sign/", runbook_views.checkpoint_sign, name="checkpoint-sign"),
    # across mergers
    path("review/", runbook_views.review, name="review"),
    path("vendors/load/", systems_views.vendor_load, name="vendor-load"),
    # the user's settings
    path("settings/", merger_views.settings_home, name="settings"),
    path("settings/tokens/", merger_views.settings_tokens, name="settings-tokens"),
    path("settings/tokens/<int:token_id>/revoke/", merger_views.settings_token_revoke, name="settings-token-revoke"),
    path("settings/feed/", merger_views.settings_feed, name="settings-feed"),
]
