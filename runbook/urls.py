"""The runbook's pages: a merger's overview, timeline, runbook, systems matrix, baselines, exports, steps
and plan editing, and the pages across mergers (review, my steps, vendor load). Mounted at / by the project."""
from django.urls import path

from runbook.views import baselines as baseline_views
from runbook.views import exports as export_views
from runbook.views import my_steps as work_views
from runbook.views import overview as overview_views
from runbook.views import plan as plan_views
from runbook.views import review as review_views
from runbook.views import steps as runbook_views
from runbook.views import systems as systems_views
from runbook.views import timeline as timeline_views
from runbook.views import vendor_load as vendor_views

urlpatterns = [
    path("", overview_views.home, name="home"),
    # one merger
    path("m/<int:merger_id>/", overview_views.merger_dashboard, name="merger-dashboard"),
    path("m/<int:merger_id>/report/", overview_views.status_report, name="merger-report"),
    path("m/<int:merger_id>/timeline/", timeline_views.timeline, name="merger-timeline"),
    path("m/<int:merger_id>/timeline/pin/", timeline_views.timeline_pin, name="timeline-pin"),
    path("m/<int:merger_id>/runbook/", runbook_views.runbook_list, name="merger-runbook"),
    path("m/<int:merger_id>/systems/", systems_views.systems_matrix, name="merger-systems"),
    path("m/<int:merger_id>/baselines/", baseline_views.baselines, name="merger-baselines"),
    path("m/<int:merger_id>/baselines/compare/", baseline_views.baseline_comparison, name="merger-baseline-comparison"),
    path("m/<int:merger_id>/baselines/compare.<str:fmt>", baseline_views.baseline_comparison_export,
         name="merger-baseline-comparison-export"),
    path("m/<int:merger_id>/export/runbook.<str:fmt>", export_views.runbook_export, name="merger-runbook-export"),
    path("m/<int:merger_id>/export/milestones.<str:fmt>", export_views.milestones_export,
         name="merger-milestones-export"),
    path("m/<int:merger_id>/steps/<int:step_id>/", runbook_views.step_detail, name="step-detail"),
    path("m/<int:merger_id>/steps/<int:step_id>/status/", runbook_views.step_transition, name="step-transition"),
    path("m/<int:merger_id>/steps/<int:step_id>/comments/", runbook_views.step_comment, name="step-comment"),
    path("m/<int:merger_id>/steps/<int:step_id>/sign/", runbook_views.checkpoint_sign, name="checkpoint-sign"),
    # plan editing (runbook/views/plan.py)
    path("m/<int:merger_id>/steps/new/", plan_views.step_new, name="step-new"),
    path("m/<int:merger_id>/steps/<int:step_id>/plan/", plan_views.step_plan_edit, name="step-plan-edit"),
    path("m/<int:merger_id>/steps/<int:step_id>/row/", plan_views.step_row, name="step-row"),
    path("m/<int:merger_id>/steps/<int:step_id>/replan/", plan_views.replan_status, name="step-replan-status"),
    path("m/<int:merger_id>/steps/<int:step_id>/delete/", plan_views.step_remove, name="step-delete"),
    path("m/<int:merger_id>/steps/<int:step_id>/picker/", plan_views.step_picker, name="step-picker"),
    path("m/<int:merger_id>/steps/<int:step_id>/dependencies/", plan_views.dependency_create,
         name="step-dependency-add"),
    path("m/<int:merger_id>/steps/<int:step_id>/dependencies/<int:dependency_id>/remove/",
         plan_views.dependency_delete, name="step-dependency-remove"),
    # across mergers
    path("review/", runbook_views.review, name="review"),
    path("review/mergers/", review_views.review_mergers, name="review-mergers"),
    path("my/steps/", work_views.my_steps, name="my-steps"),
    path("my/steps/bulk/", work_views.my_steps_bulk, name="my-steps-bulk"),
    path("vendors/load/", vendor_views.vendor_load, name="vendor-load"),
    path("vendors/load/export.<str:fmt>", export_views.vendor_load_export, name="vendor-load-export"),
]
