"""Daily risk detection, digest e-mails (once per user per day, never lost) and progress snapshots."""
import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import Event
from municipalities.models import Role
from runbook.models import NotificationSent, ProgressSnapshot, Step, StepKind, StepStatus
from runbook.notifications import digests_send, progress_snapshot_take
from runbook.planning.apply import schedule_apply
from runbook.risks import risks_detect
from runbook.services import checkpoint_sign, step_transition, step_update
from systems.models import Vendor
from tests.factories import MembershipFactory, UserFactory, merger_with_runbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def merger(chief):
    m = merger_with_runbook(municipalities=3, domains=2, chief=chief)
    schedule_apply(m)
    return m


def step(merger, key):
    return Step.objects.get(runbook__merger=merger, key=key)


def reasons(merger, key):
    return [r["code"] for r in step(merger, key).risk_reasons]


# --- risks ----------------------------------------------------------------------------------------


def test_nothing_at_risk_on_a_fresh_plan(merger):
    result = risks_detect(merger_id=merger.pk)
    assert result["at_risk"] == 0
    assert not Event.objects.filter(verb="risk_flagged").exists()


def test_overdue_flagged_once_then_cleared_when_done(merger, chief, settings):
    # given: three weeks later, nothing has been done (survey planned to finish 2006-03-21)
    settings.MERGEPLAN_TODAY = dt.date(2006, 4, 5)
    # when
    risks_detect(merger_id=merger.pk)
    # then
    survey = step(merger, "1")
    assert survey.at_risk and survey.risk_reasons[0] == {"code": "overdue", "days": 11, "date": "2006-03-21"}
    assert Event.objects.filter(verb="risk_flagged", object_id=survey.pk).count() == 1
    # a second run changes nothing and records nothing
    before = Event.objects.count()
    assert risks_detect(merger_id=merger.pk)["changed"] == 0
    assert Event.objects.count() == before
    # when: the survey is done
    step_transition(step=survey, status=StepStatus.DONE, actor=chief)
    risks_detect(merger_id=merger.pk)
    # then
    assert not step(merger, "1").at_risk
    assert Event.objects.filter(verb="risk_cleared", object_id=survey.pk).count() == 1


def test_slipping_past_slack_and_infeasible_chain(merger, chief):
    step_update(step=step(merger, "1"), actor=chief, data={"deadline": dt.date(2006, 3, 17)})
    schedule_apply(merger)
    risks_detect(merger_id=merger.pk)
    assert reasons(merger, "1") == ["slipping", "infeasible"]
    assert step(merger, "1").risk_reasons[0]["days"] == 2


def test_checkpoint_unsigned_close_to_its_cutover(merger, chief, settings):
    advisor = UserFactory(username="advisor")
    MembershipFactory(user=advisor, merger=merger, role=Role.VENDOR_ADVISOR, vendor=Vendor.objects.get(code="kmd"))
    # the checkpoint's cutovers go live 2007-01-02; 10 working days before is 2006-12-14 (25/26 Dec closed)
    settings.MERGEPLAN_TODAY = dt.date(2006, 12, 13)
    risks_detect(merger_id=merger.pk)
    assert "checkpoint_unsigned" not in reasons(merger, "4")
    settings.MERGEPLAN_TODAY = dt.date(2006, 12, 14)
    risks_detect(merger_id=merger.pk)
    assert "checkpoint_unsigned" in reasons(merger, "4")
    assert step(merger, "4").risk_reasons[-1]["date"] == "2006-12-14"
    # when both sign 'go', the reason goes
    checkpoint_sign(step=step(merger, "4"), actor=chief, decision="go", override_reason="early, for the test")
    checkpoint_sign(step=step(merger, "4"), actor=advisor, decision="go", override_reason="early, for the test")
    risks_detect(merger_id=merger.pk)
    assert "checkpoint_unsigned" not in reasons(merger, "4")


def test_notice_days_setting(merger, settings):
    settings.MERGEPLAN_TODAY = dt.date(2006, 12, 1)
    settings.MERGEPLAN_CHECKPOINT_NOTICE_DAYS = 30
    risks_detect(merger_id=merger.pk)
    assert "checkpoint_unsigned" in reasons(merger, "4")


# --- digests --------------------------------------------------------------------------------------


@pytest.fixture
def people(merger, chief):
    coordinator = UserFactory(username="coord")
    municipality = merger.members.order_by("code").last()
    MembershipFactory(user=coordinator, merger=merger, role=Role.COORDINATOR, municipality=municipality)
    viewer = UserFactory(username="viewer")
    MembershipFactory(user=viewer, merger=merger, role=Role.VIEWER)
    return {"chief": chief, "coordinator": coordinator, "viewer": viewer, "municipality": municipality}


def mails_to(user):
    return [m for m in mail.outbox if user.email in m.to]


def test_digest_once_per_user_per_day_even_if_run_twice(merger, people, settings):
    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 22)  # survey overdue, area preparation due
    first = digests_send()
    second = digests_send()
    assert first["sent"] == 2 and second["sent"] == 0 and second["skipped"] == 2
    assert len(mails_to(people["chief"])) == 1
    assert len(mails_to(people["coordinator"])) == 1
    assert mails_to(people["viewer"]) == []  # a viewer owns nothing
    rows = NotificationSent.objects.filter(kind="digest", date=dt.date(2006, 3, 22))
    assert rows.count() == 2 and not rows.filter(sent_at__isnull=True).exists()
    chief_body = mails_to(people["chief"])[0].body
    coordinator_body = mails_to(people["coordinator"])[0].body
    assert " 1 " in chief_body  # the overdue survey, the chief's own step
    municipality = people["municipality"]
    own = Step.objects.filter(runbook__merger=merger, assignee_municipality=municipality).first()
    other = Step.objects.filter(runbook__merger=merger, kind=StepKind.TASK, assignee_municipality__isnull=False).exclude(
        assignee_municipality=municipality
    ).first()
    assert own.key in coordinator_body and other.key not in coordinator_body
    assert other.key in chief_body
    # another day, another digest
    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 23)
    assert digests_send()["sent"] == 2


def test_an_unsent_decision_is_resent_once_after_the_retry_delay(merger, people, settings):
    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 22)
    on = dt.date(2006, 3, 22)
    # given: a worker decided the chief's digest 30 minutes ago and died before sending it,
    # and another decided the coordinator's a moment ago and is still sending it
    stale = NotificationSent.objects.create(user=people["chief"], kind="digest", date=on)
    NotificationSent.objects.filter(pk=stale.pk).update(created_at=timezone.now() - dt.timedelta(minutes=30))
    NotificationSent.objects.create(user=people["coordinator"], kind="digest", date=on)
    # when
    result = digests_send()
    # then: the chief gets exactly one, the in-flight one is left alone
    assert result == {"sent": 0, "resent": 1, "skipped": 2}
    assert len(mails_to(people["chief"])) == 1
    assert mails_to(people["coordinator"]) == []
    assert NotificationSent.objects.get(pk=stale.pk).sent_at is not None
    # a further run sends nothing more
    assert digests_send() == {"sent": 0, "resent": 0, "skipped": 2}
    assert len(mail.outbox) == 1


def test_digest_in_the_users_language_defaults_to_danish(merger, people, settings):
    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 22)
    digests_send()
    message = mails_to(people["chief"])[0]
    assert message.subject.startswith("mergeplan 22. mar. 2006")  # the pages' Danish date
    assert "Kortlæg" in message.body  # the Danish step name


# --- snapshots ------------------------------------------------------------------------------------


def test_snapshot_one_per_runbook_per_day(merger, chief):
    on = dt.date(2006, 3, 22)
    first = progress_snapshot_take(merger.runbook, on)
    assert first.total_steps == Step.objects.filter(runbook=merger.runbook).count()
    assert first.done_steps == 0
    # the survey (5 days) and the first day of each of the two area preparations
    assert first.planned_done_days == 5 + 2
    step_transition(step=step(merger, "1"), status=StepStatus.DONE, actor=chief)
    again = progress_snapshot_take(merger.runbook, on)
    assert again.pk == first.pk and again.done_steps == 1 and again.done_days == 5
    assert ProgressSnapshot.objects.filter(runbook=merger.runbook).count() == 1
