"""The runbook API's views, one module per resource: steps, milestones and checkpoints (``steps``); the
runbook, its waves and dependencies (``plan``); comments and the audit trail (``activity``); freeze windows
and calendar rules (``calendar``); the milestone calendar feed (``ical``). The router takes them from here."""
from runbook.api.views.activity import CommentViewSet, EventViewSet
from runbook.api.views.calendar import CalendarRuleViewSet, FreezeWindowViewSet
from runbook.api.views.ical import MilestoneCalendarView
from runbook.api.views.plan import DependencyViewSet, RunbookViewSet, WaveViewSet
from runbook.api.views.steps import CheckpointViewSet, MilestoneViewSet, StepViewSet

__all__ = [
    "CalendarRuleViewSet",
    "CheckpointViewSet",
    "CommentViewSet",
    "DependencyViewSet",
    "EventViewSet",
    "FreezeWindowViewSet",
    "MilestoneCalendarView",
    "MilestoneViewSet",
    "RunbookViewSet",
    "StepViewSet",
    "WaveViewSet",
]
