"""Serializers of runbooks, steps and what hangs on them: output and input kept apart.

Step output reads flat annotations (``merger_id``, ``municipality_code`` …) made once by the viewsets'
querysets, so a list of any length costs the same number of queries.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import Event
from core.api.serializers import StrictSerializer
from core.validation import planning_date_validator
from municipalities.models import Merger, Municipality, Role
from runbook.models import (
    Blocks,
    CalendarRule,
    Comment,
    Dependency,
    DependencyType,
    Direction,
    FreezeWindow,
    Phase,
    PlanTag,
    RuleKind,
    Runbook,
    SignoffDecision,
    Step,
    StepKind,
    StepStatus,
    Wave,
)
from runbook.selectors.checkpoints import missing_go_message, missing_go_roles
from runbook.selectors.history import event_sentences
from systems.models import Domain, Vendor


class RunbookSerializer(serializers.ModelSerializer):
    template = serializers.CharField(source="template.__str__", read_only=True)

    class Meta:
        model = Runbook
        fields = ["id", "merger", "template", "created_at", "scheduled_at", "schedule_summary", "schedule_findings",
                  "plan_check"]
        read_only_fields = fields


class WaveSerializer(serializers.ModelSerializer):
    merger = serializers.IntegerField(source="runbook.merger_id", read_only=True)

    class Meta:
        model = Wave
        fields = ["id", "runbook", "merger", "number", "name", "target_date", "milestone_date"]
        read_only_fields = fields


_STEP_COMMON = [
    "id", "merger", "runbook", "key", "sequence", "name", "name_en", "kind", "status", "phase",
    "municipality", "vendor", "domain", "wave", "wave_name", "planned_start", "planned_finish", "go_live",
    "total_slack", "is_critical", "at_risk", "risk_reasons", "target_date", "placement",
]


class _StepCodesSerializer(serializers.ModelSerializer):
    """The flat codes and names a step shows of its related rows (``runbook.api.querysets.annotate_steps``);
    the subclasses' ``Meta.fields`` say which fields, in which order."""

    merger = serializers.IntegerField(source="merger_id", read_only=True)
    phase = serializers.IntegerField(source="phase_number", read_only=True)
    municipality = serializers.CharField(source="municipality_code", read_only=True, allow_null=True)
    vendor = serializers.CharField(source="vendor_code", read_only=True, allow_null=True)
    domain = serializers.CharField(source="domain_code", read_only=True, allow_null=True)
    wave_name = serializers.CharField(read_only=True, allow_null=True)


class StepSerializer(_StepCodesSerializer):
    """A step of a merger's runbook with the scheduler's results and what happened."""

    class Meta:
        model = Step
        fields = [
            *_STEP_COMMON, "description", "duration_days", "responsible_role", "owner", "post_merger",
            "direction", "needs_users", "plan_tag", "deadline", "not_before", "early_start", "early_finish", "late_start", "late_finish",
            "actual_start", "actual_finish", "override_reason", "version", "updated_at",
        ]
        read_only_fields = fields


class MilestoneSerializer(_StepCodesSerializer):
    """A milestone, checkpoint or cutover: its planned and baseline date, slack, critical flag, wave."""

    planned_date = serializers.DateField(read_only=True, allow_null=True)
    baseline_date = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Step
        fields = [*_STEP_COMMON, "planned_date", "baseline_date", "version"]
        read_only_fields = fields


class SignoffOutput(serializers.Serializer):
    role = serializers.CharField()
    decision = serializers.CharField()
    user = serializers.CharField(source="user.get_username")
    comment = serializers.CharField()
    override_reason = serializers.CharField()
    signed_at = serializers.DateTimeField()


class CheckpointSerializer(MilestoneSerializer):
    """A go/no-go checkpoint with its sign-offs and the roles whose 'go' it still lacks."""

    signoffs = SignoffOutput(many=True, read_only=True)
    missing_signoffs = serializers.SerializerMethodField()
    missing_text = serializers.SerializerMethodField()

    class Meta(MilestoneSerializer.Meta):
        fields = [*MilestoneSerializer.Meta.fields, "signoffs", "missing_signoffs", "missing_text"]
        read_only_fields = fields

    def get_missing_signoffs(self, obj) -> list[str]:
        return missing_go_roles(obj.signoffs.all())

    def get_missing_text(self, obj) -> str:
        """Who still has to say go, in the request's language ("" once both did)."""
        return missing_go_message(missing_go_roles(obj.signoffs.all()))


class DependencySerializer(serializers.ModelSerializer):
    merger = serializers.IntegerField(source="runbook.merger_id", read_only=True)

    class Meta:
        model = Dependency
        fields = ["id", "runbook", "merger", "predecessor", "successor", "type", "lag_days"]
        read_only_fields = fields


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username", read_only=True)
    merger = serializers.IntegerField(source="step.runbook.merger_id", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "step", "merger", "author", "body", "created_at"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", read_only=True, allow_null=True, default=None)
    object_type = serializers.CharField(source="content_type.model", read_only=True)

    text = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "created_at", "actor", "merger", "verb", "object_type", "object_id", "object_repr",
                  "changes", "message", "text"]
        read_only_fields = fields

    def get_text(self, obj) -> str:
        """The event as sentences in the request's language (the raw data stays in ``verb`` and ``changes``)."""
        return event_sentences(obj).text


# --- Input ------------------------------------------------------------------------------------------


class StepUpdateInput(StrictSerializer):
    """PATCH of a step's plan fields (the IT chief); everything else comes from the scheduler or status."""

    name = serializers.CharField(required=False, max_length=250)
    name_en = serializers.CharField(required=False, max_length=250, allow_blank=True)
    description = serializers.CharField(required=False, max_length=10_000, allow_blank=True)
    duration_days = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    owner = serializers.PrimaryKeyRelatedField(required=False, allow_null=True, queryset=get_user_model().objects.none())
    assignee_municipality = serializers.SlugRelatedField(
        required=False, allow_null=True, slug_field="code", queryset=Municipality.objects.none()
    )
    assignee_vendor = serializers.SlugRelatedField(
        required=False, allow_null=True, slug_field="code", queryset=Vendor.objects.all()
    )
    post_merger = serializers.BooleanField(required=False)
    deadline = serializers.DateField(required=False, allow_null=True, validators=[planning_date_validator])
    not_before = serializers.DateField(required=False, allow_null=True, validators=[planning_date_validator])
    wave = serializers.PrimaryKeyRelatedField(required=False, allow_null=True, queryset=Wave.objects.none())
    direction = serializers.ChoiceField(required=False, choices=Direction.choices)
    needs_users = serializers.BooleanField(required=False)
    plan_tag = serializers.ChoiceField(required=False, choices=PlanTag.choices, allow_blank=True)
    target_date = serializers.DateField(required=False, allow_null=True, validators=[planning_date_validator])

    def __init__(self, *args, merger_id: int | None = None, runbook_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if merger_id is not None:
            self.fields["owner"].queryset = get_user_model().objects.filter(
                memberships__merger_id=merger_id
            ).distinct()
            self.fields["assignee_municipality"].queryset = Municipality.objects.filter(mergers=merger_id)
        if runbook_id is not None:
            self.fields["wave"].queryset = Wave.objects.filter(runbook_id=runbook_id)


class StepCreateInput(StepUpdateInput):
    """POST of a new step (the IT chief): its runbook, the phase (number) it ends, what it is, and its plan
    fields. The key (``ny-N``) and the order are given by the server; dates come from the scheduler."""

    runbook = serializers.PrimaryKeyRelatedField(queryset=Runbook.objects.none())
    name = serializers.CharField(max_length=250)
    phase = serializers.IntegerField(min_value=1, max_value=32767, help_text="The phase's number in the template.")
    kind = serializers.ChoiceField(choices=StepKind.choices, required=False, default=StepKind.TASK)
    domain = serializers.SlugRelatedField(slug_field="code", queryset=Domain.objects.all(), required=False,
                                          allow_null=True)
    responsible_role = serializers.ChoiceField(choices=Role.choices, required=False)

    def __init__(self, *args, runbooks=None, **kwargs):
        super().__init__(*args, **kwargs)
        if runbooks is not None:
            self.fields["runbook"].queryset = runbooks

    def validate(self, attrs):
        runbook = attrs["runbook"]
        phase = Phase.objects.filter(template_id=runbook.template_id, number=attrs["phase"]).first()
        if phase is None:
            raise serializers.ValidationError({"phase": [_("No phase of this runbook has that number.")]})
        return {**attrs, "phase": phase}


class StepTransitionInput(StrictSerializer):
    status = serializers.ChoiceField(choices=StepStatus.choices)
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CheckpointSignInput(StrictSerializer):
    decision = serializers.ChoiceField(choices=SignoffDecision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class DependencyCreateInput(StrictSerializer):
    predecessor = serializers.PrimaryKeyRelatedField(queryset=Step.objects.none())
    successor = serializers.PrimaryKeyRelatedField(queryset=Step.objects.none())
    type = serializers.ChoiceField(choices=DependencyType.choices, required=False, default=DependencyType.FINISH_TO_START)
    lag_days = serializers.IntegerField(required=False, default=0, min_value=-250, max_value=250)

    def __init__(self, *args, steps=None, **kwargs):
        super().__init__(*args, **kwargs)
        if steps is not None:
            self.fields["predecessor"].queryset = steps
            self.fields["successor"].queryset = steps


class CommentCreateInput(StrictSerializer):
    step = serializers.PrimaryKeyRelatedField(queryset=Step.objects.none())
    body = serializers.CharField(max_length=10_000)

    def __init__(self, *args, steps=None, **kwargs):
        super().__init__(*args, **kwargs)
        if steps is not None:
            self.fields["step"].queryset = steps


# --- Calendar: freeze windows and recurring rules ---------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": "^(summer_holiday|payroll_run|payout_run|year_end)$",
                      "description": "summer_holiday, payroll_run, payout_run or year_end"})
class RuleKindField(serializers.ChoiceField):
    """A rule's kind (its own schema: the name "kind" is taken by the steps' kinds)."""

    def __init__(self, **kwargs):
        super().__init__(choices=RuleKind.choices, **kwargs)


class FreezeWindowSerializer(serializers.ModelSerializer):
    """A dated window in which no go-live (``blocks`` = ``go_live``) or no go-live and no user work
    (``work``) may take place: national (``merger`` null), per vendor, per area, or for one merger."""

    vendor = serializers.CharField(source="vendor.code", read_only=True, allow_null=True, default=None)
    domain = serializers.CharField(source="domain.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = FreezeWindow
        fields = ["id", "name", "start", "end", "vendor", "domain", "merger", "blocks", "is_inferred"]
        read_only_fields = fields


class CalendarRuleSerializer(serializers.ModelSerializer):
    """A recurring rule expanded into windows for every year a plan spans (fællesferie, payroll runs …)."""

    kind = RuleKindField(read_only=True)

    vendor = serializers.CharField(source="vendor.code", read_only=True, allow_null=True, default=None)
    domain = serializers.CharField(source="domain.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = CalendarRule
        fields = ["id", "name", "kind", "blocks", "domain", "vendor", "merger", "days", "week_from", "week_to",
                  "month_from", "day_from", "month_to", "day_to", "is_inferred", "is_active", "note"]
        read_only_fields = fields


class _CalendarInput(StrictSerializer):
    """What the windows and rules share: the area and vendor (codes) and the merger (id; null = national)."""

    domain = serializers.SlugRelatedField(slug_field="code", queryset=Domain.objects.all(), required=False,
                                          allow_null=True)
    vendor = serializers.SlugRelatedField(slug_field="code", queryset=Vendor.objects.all(), required=False,
                                          allow_null=True)
    merger = serializers.PrimaryKeyRelatedField(queryset=Merger.objects.none(), required=False, allow_null=True)
    blocks = serializers.ChoiceField(choices=Blocks.choices, required=False)
    is_inferred = serializers.BooleanField(required=False)

    def __init__(self, *args, mergers=None, partial_input: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if mergers is not None:
            self.fields["merger"].queryset = mergers
        if partial_input:
            for field in self.fields.values():
                field.required = False


class FreezeWindowInput(_CalendarInput):
    name = serializers.CharField(max_length=100)
    start = serializers.DateField(validators=[planning_date_validator])
    end = serializers.DateField(validators=[planning_date_validator])


class CalendarRuleInput(_CalendarInput):
    name = serializers.CharField(max_length=100)
    kind = RuleKindField()
    days = serializers.IntegerField(required=False, min_value=0, max_value=100)
    week_from = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=53)
    week_to = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=53)
    month_from = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=12)
    day_from = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=31)
    month_to = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=12)
    day_to = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=31)
    is_active = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


# --- Plan check -------------------------------------------------------------------------------------------


class PlanCheckStepSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    url = serializers.CharField(help_text="The step's page.")
    api_url = serializers.CharField(help_text="The step in the API.")


class PlanCheckFindingSerializer(serializers.Serializer):
    kind = serializers.CharField()
    step_ids = serializers.ListField(child=serializers.IntegerField())
    step_keys = serializers.ListField(child=serializers.CharField())
    date = serializers.DateField(allow_null=True)
    days = serializers.IntegerField()
    vendor = serializers.CharField(allow_null=True)
    week = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    message = serializers.CharField()
    steps = PlanCheckStepSerializer(many=True)


class PlanCheckSerializer(serializers.Serializer):
    """The domain findings of the merger's last schedule run (``Runbook.plan_check``), each in words."""

    merger = serializers.IntegerField()
    count = serializers.IntegerField()
    findings = PlanCheckFindingSerializer(many=True)
