"""Admin of the drejebog templates, the runbooks and their steps, and the audit trail.

A step's status changes through ``step_transition`` and its plan fields through ``step_update``, exactly
as on the pages; dependencies are added and removed through their services; the audit trail is read-only.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from audit.models import Event
from core.exceptions import ApplicationError
from municipalities.admin import ReadOnlyAdmin, ReadOnlyInline, ScopedAdmin, ScopedInline, ScopedRelatedFilter
from municipalities.models import Merger
from municipalities.permissions import Action
from runbook import models as m
from runbook.services import (
    PLAN_FIELDS,
    calendar_rule_check,
    comment_add,
    dependency_add,
    dependency_remove,
    plan_changed,
    runbook_instantiate,
    step_transition,
    step_update,
)

# --- Templates (reference data: superusers change them) -------------------------------------------


class PhaseInline(admin.TabularInline):
    model = m.Phase
    extra = 0


class TemplateStepInline(admin.TabularInline):
    model = m.TemplateStep
    extra = 0
    fields = ("number", "phase", "name", "name_en", "kind", "duration_days", "scope", "responsible_role",
              "post_merger", "is_inferred")
    show_change_link = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "phase":
            template_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            field.queryset = field.queryset.filter(template_id=template_id) if template_id else field.queryset.none()
            field.choices = list(field.choices)  # one query for all rows, not one per row
        return field


@admin.register(m.RunbookTemplate)
class RunbookTemplateAdmin(ScopedAdmin):
    list_display = ("name", "version", "is_active", "step_count", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    inlines = (PhaseInline, TemplateStepInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_steps=Count("steps"))

    @admin.display(description=_("steps"), ordering="_steps")
    def step_count(self, obj) -> int:
        return obj._steps


@admin.register(m.Phase)
class PhaseAdmin(ScopedAdmin):
    list_display = ("template", "number", "name", "name_en")
    list_filter = ("template",)
    search_fields = ("name", "name_en")
    list_select_related = ("template",)


@admin.register(m.TemplateStep)
class TemplateStepAdmin(ScopedAdmin):
    list_display = ("number", "name", "name_en", "template", "phase", "kind", "duration_days", "scope",
                    "responsible_role", "post_merger", "is_inferred")
    list_filter = ("template", "phase__number", "kind", "scope", "responsible_role", "post_merger", "is_inferred")
    search_fields = ("name", "name_en", "description")
    list_select_related = ("template", "phase")
    ordering = ("template", "number")


@admin.register(m.TemplateDependency)
class TemplateDependencyAdmin(ScopedAdmin):
    list_display = ("predecessor", "successor", "type", "lag_days")
    list_filter = ("type", "successor__template")
    list_select_related = ("predecessor", "successor")
    raw_id_fields = ("predecessor", "successor")
    search_fields = ("predecessor__name", "successor__name")


# --- Runbooks -------------------------------------------------------------------------------------


class WaveInline(ScopedInline):
    model = m.Wave
    fields = ("number", "name", "target_date", "milestone_date")


@admin.register(m.Runbook)
class RunbookAdmin(ScopedAdmin):
    change_action = Action.EDIT_PLAN
    list_display = ("merger", "template", "step_count", "created_at", "scheduled_at")
    list_select_related = ("merger", "template")
    search_fields = ("merger__name", "merger__code")
    readonly_fields = ("created_at", "scheduled_at", "schedule_findings", "schedule_summary")
    inlines = (WaveInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_steps=Count("steps"))

    def get_readonly_fields(self, request, obj=None):
        # a runbook's merger and template are fixed once it exists
        return (*self.readonly_fields, "merger", "template") if obj is not None else self.readonly_fields

    @admin.display(description=_("steps"), ordering="_steps")
    def step_count(self, obj) -> int:
        return obj._steps

    def save_model(self, request, obj, form, change):
        """A new runbook is instantiated from its template (``runbook_instantiate``)."""
        if change:
            super().save_model(request, obj, form, change)
            return
        self.check_scope(request, obj)
        runbook = runbook_instantiate(merger=obj.merger, template=obj.template, actor=request.user)
        obj.pk, obj.created_at = runbook.pk, runbook.created_at

    def has_add_permission(self, request):
        return request.user.is_superuser or self.allows(request, Action.EDIT_PLAN)


@admin.register(m.Wave)
class WaveAdmin(ScopedAdmin):
    list_display = ("name", "number", "runbook", "target_date", "milestone_date")
    list_filter = (("runbook__merger", ScopedRelatedFilter),)
    search_fields = ("name",)
    list_select_related = ("runbook__merger", "runbook__template")


class CommentInline(ReadOnlyInline):
    model = m.Comment
    fields = ("created_at", "author", "body")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class SignoffInline(ReadOnlyInline):
    model = m.CheckpointSignoff
    fields = ("signed_at", "role", "user", "decision", "comment")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class StepAdminForm(forms.ModelForm):
    """Status and plan fields, plus the reasons a status change may need."""

    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to block a step or reopen a done one."),
    )
    override = forms.CharField(
        label=_("Override reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Finish a step although its predecessors are not done: say why."),
    )

    class Meta:
        model = m.Step
        fields = ("status", *PLAN_FIELDS)


@admin.register(m.Step)
class StepAdmin(ScopedAdmin):
    change_action = Action.TRANSITION_STEP
    form = StepAdminForm
    list_display = ("key", "name", "merger", "kind", "status", "planned_start", "planned_finish", "go_live",
                    "total_slack", "is_critical", "at_risk", "assignee_municipality", "assignee_vendor")
    list_filter = ("status", "kind", "is_critical", "at_risk", "post_merger", ("runbook__merger", ScopedRelatedFilter),
                   "phase__number", "domain", "plan_tag", "needs_users", "direction")
    search_fields = ("key", "name", "name_en")
    list_select_related = ("runbook__merger", "assignee_municipality", "assignee_vendor")
    autocomplete_fields = ("owner", "assignee_municipality", "assignee_vendor")
    raw_id_fields = ("wave",)
    inlines = (SignoffInline, CommentInline)
    RESULT_FIELDS = ("planned_start", "planned_finish", "early_start", "early_finish", "late_start",
                     "late_finish", "total_slack", "is_critical", "go_live", "placement", "at_risk", "risk_reasons")
    INFO_FIELDS = ("runbook", "key", "phase", "kind", "responsible_role", "domain", "harmonisation",
                   "conversion", "actual_start", "actual_finish", "override_reason", "version", "updated_at")
    fieldsets = (
        (None, {"fields": ("runbook", "key", "phase", "kind", "responsible_role", "status", "reason", "override")}),
        (_("Plan"), {"fields": PLAN_FIELDS}),
        (_("Context"), {"fields": ("domain", "harmonisation", "conversion")}),
        (_("What happened"), {"fields": ("actual_start", "actual_finish", "override_reason", "version",
                                         "updated_at")}),
        (_("Schedule"), {"fields": RESULT_FIELDS, "classes": ("collapse",)}),
    )

    @admin.display(description=_("merger"), ordering="runbook__merger__name")
    def merger(self, obj) -> str:
        return str(obj.runbook.merger)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            return self.fieldsets
        # view only: the reasons are form-only fields with nothing to show
        first, *rest = self.fieldsets
        fields = [f for f in first[1]["fields"] if f not in ("reason", "override")]
        return ((first[0], {**first[1], "fields": fields}), *rest)

    def get_readonly_fields(self, request, obj=None):
        readonly = [*self.INFO_FIELDS, *self.RESULT_FIELDS]
        if obj is not None and not self.allows(request, Action.EDIT_PLAN, obj):
            readonly += list(PLAN_FIELDS)  # coordinators and advisors change the status only
        return readonly

    def has_add_permission(self, request):
        return False  # steps come from instantiating a template

    def has_change_permission(self, request, obj=None):
        if obj is None and not request.user.is_superuser:
            return request.user.is_staff and self.has_view_permission(request)  # per object below
        return super().has_change_permission(request, obj) or (
            obj is not None and request.user.is_staff and self.allows(request, Action.EDIT_PLAN, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        merger_id = obj.runbook.merger_id
        super().delete_model(request, obj)
        plan_changed(merger_id)

    def save_model(self, request, obj, form, change):
        """Plan fields through ``step_update``, the status through ``step_transition``; never a plain save."""
        step = m.Step.objects.get(pk=obj.pk)
        data = {name: form.cleaned_data[name] for name in PLAN_FIELDS if name in form.changed_data}
        if data:
            step = step_update(step=step, actor=request.user, data=data)
        if "status" in form.changed_data:
            step = step_transition(
                step=step,
                status=form.cleaned_data["status"],
                actor=request.user,
                reason=form.cleaned_data.get("reason", ""),
                override_reason=form.cleaned_data.get("override", ""),
            )
        obj.refresh_from_db()


@admin.register(m.Dependency)
class DependencyAdmin(ScopedAdmin):
    """Added with ``dependency_add`` (cycles rejected and named), removed with ``dependency_remove``."""

    list_display = ("predecessor", "successor", "type", "lag_days", "runbook")
    list_filter = ("type", ("runbook__merger", ScopedRelatedFilter))
    search_fields = ("predecessor__key", "predecessor__name", "successor__key", "successor__name")
    list_select_related = ("predecessor", "successor", "runbook__merger", "runbook__template")
    autocomplete_fields = ("predecessor", "successor")
    fields = ("predecessor", "successor", "type", "lag_days")

    def has_change_permission(self, request, obj=None):
        return False  # remove and add instead

    def save_model(self, request, obj, form, change):
        self.check_scope(request, obj.successor)
        dependency = dependency_add(
            predecessor=obj.predecessor, successor=obj.successor, type=obj.type, lag_days=obj.lag_days,
            actor=request.user,
        )
        obj.pk, obj.runbook_id = dependency.pk, dependency.runbook_id

    def check_scope(self, request, obj):
        if isinstance(obj, m.Step):
            obj = m.Dependency(runbook=obj.runbook)
        super().check_scope(request, obj)

    def delete_model(self, request, obj):
        dependency_remove(dependency=obj, actor=request.user)


@admin.register(m.CheckpointSignoff)
class CheckpointSignoffAdmin(ReadOnlyAdmin):
    """Signed on the pages with ``checkpoint_sign``; shown here."""

    list_display = ("step", "role", "user", "decision", "signed_at")
    list_filter = ("decision", "role")
    search_fields = ("step__name", "user__username", "comment")
    list_select_related = ("step", "user")


@admin.register(m.Comment)
class CommentAdmin(ScopedAdmin):
    """Added with ``comment_add``; comments are never edited."""

    change_action = Action.COMMENT
    list_display = ("created_at", "author", "step", "short_body")
    search_fields = ("body", "author__username", "step__name")
    list_select_related = ("author", "step")
    autocomplete_fields = ("step",)
    fields = ("step", "body")

    @admin.display(description=_("comment"))
    def short_body(self, obj) -> str:
        return obj.body[:80]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        comment = comment_add(step=obj.step, author=request.user, body=obj.body)
        obj.pk, obj.author_id, obj.created_at = comment.pk, comment.author_id, comment.created_at


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The audit trail: nothing here can be added, changed or deleted."""

    list_display = ("created_at", "actor", "merger", "verb", "object_repr", "message")
    list_filter = ("verb", ("merger", ScopedRelatedFilter), "content_type")
    search_fields = ("object_repr", "message", "verb", "actor__username")
    list_select_related = ("actor", "merger", "content_type")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(m.FreezeWindow)
class FreezeWindowAdmin(ScopedAdmin):
    """Windows of one merger belong to its IT chief; national and vendor windows to superusers."""

    list_display = ("name", "start", "end", "blocks", "vendor", "domain", "merger", "is_inferred")
    list_filter = ("blocks", "is_inferred", "vendor", "domain", ("merger", ScopedRelatedFilter))
    search_fields = ("name",)
    list_select_related = ("vendor", "domain", "merger")
    date_hierarchy = "start"

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def allows(self, request, action, obj=None):
        if obj is not None and obj.merger_id is None and action != Action.VIEW:
            return request.user.is_superuser
        return super().allows(request, action, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._replan(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._replan(obj)

    @staticmethod
    def _replan(obj) -> None:
        ids = [obj.merger_id] if obj.merger_id else list(Merger.objects.values_list("pk", flat=True))
        for merger_id in ids:
            plan_changed(merger_id)


class CalendarRuleAdminForm(forms.ModelForm):
    """A recurring rule; the fields its kind needs are checked here (the error stands at the field)."""

    class Meta:
        model = m.CalendarRule
        fields = ("name", "kind", "blocks", "domain", "vendor", "merger", "days", "week_from", "week_to",
                  "month_from", "day_from", "month_to", "day_to", "is_inferred", "is_active", "note")

    def clean(self):
        data = super().clean()
        if "kind" in data:
            rule = m.CalendarRule(**{k: v for k, v in data.items() if k in self.Meta.fields})
            try:
                calendar_rule_check(rule)
            except ApplicationError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(m.CalendarRule)
class CalendarRuleAdmin(FreezeWindowAdmin):
    """Recurring rules (fællesferie, payroll and payout runs, year-end closing): a merger's own belong to its
    IT chief, national ones to superusers; a change replans the mergers concerned."""

    form = CalendarRuleAdminForm
    list_display = ("name", "kind", "blocks", "domain", "vendor", "merger", "is_active", "is_inferred")
    list_filter = ("kind", "blocks", "is_active", "is_inferred", "domain", ("merger", ScopedRelatedFilter))
    date_hierarchy = None
    fieldsets = (
        (None, {"fields": ("name", "kind", "blocks", "is_active", "is_inferred", "note")}),
        (_("Applies to"), {"fields": ("domain", "vendor", "merger")}),
        (_("When"), {"fields": ("days", "week_from", "week_to", "month_from", "day_from", "month_to", "day_to")}),
    )


class BaselineEntryInline(ReadOnlyInline):
    model = m.BaselineEntry
    fields = ("step", "planned_start", "planned_finish")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("step")


@admin.register(m.Baseline)
class BaselineAdmin(ReadOnlyAdmin):
    list_display = ("name", "runbook", "captured_at", "captured_by")
    search_fields = ("name",)
    list_select_related = ("runbook__merger", "runbook__template", "captured_by")
    inlines = (BaselineEntryInline,)


@admin.register(m.BaselineEntry)
class BaselineEntryAdmin(ReadOnlyAdmin):
    list_display = ("baseline", "step", "planned_start", "planned_finish")
    list_select_related = ("baseline", "step")
    search_fields = ("step__name", "baseline__name")


@admin.register(m.ProgressSnapshot)
class ProgressSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("runbook", "date", "total_steps", "done_steps", "total_days", "done_days", "planned_done_days")
    list_filter = (("runbook__merger", ScopedRelatedFilter),)
    list_select_related = ("runbook__merger", "runbook__template")
    date_hierarchy = "date"


@admin.register(m.NotificationSent)
class NotificationSentAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "date", "sent_at", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__username",)
    list_select_related = ("user",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(user=request.user)


if hasattr(m, "ScheduleRequest"):

    @admin.register(m.ScheduleRequest)
    class ScheduleRequestAdmin(ReadOnlyAdmin):
        list_display = ("merger", "requested", "completed", "requested_at", "completed_at")
        list_select_related = ("merger",)
