"""The real map of the 2007 reform and ``manage.py load_reform``: counts, the demo reused, parts, idempotency."""
from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from demo import reform
from demo.progress import BLOCKED_KEY, PROGRESS, PROGRESS_ASSUMPTION
from demo.reform_loader import GENERATED_NOTE
from demo.reform_report import go_live_report
from demo.seed import seed_demo
from engine.bench import reform_problem
from municipalities.models import DispensationStatus, Membership, Merger, Municipality, Role
from runbook.models import Runbook, Step, StepKind
from systems.models import Conversion, Harmonisation, Strategy, SystemInstance

# --- the map (no database) -------------------------------------------------------------------------


def test_the_shipped_csv_is_the_reform_map():
    # given: the copy shipped with mergeplan
    with open(reform.CSV_PATH, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # then: one row per old → new pair, with the documented columns
    assert tuple(rows[0]) == reform.COLUMNS
    assert len(rows) == 284
    assert len({(r["old_code"], r["new_code"]) for r in rows}) == len(rows)


def test_map_counts():
    rmap = reform.reform_map()
    assert rmap.counts() == {
        "new": 98,
        "old": 270,
        "mergers": 65,
        "merger_members": 237,
        "merger_member_rows": 251,  # the 13 split municipalities feed 27 mergers
        "split": 13,
        "unchanged": 33,
    }
    assert len(rmap.member_counts()) == 65 and sum(rmap.member_counts()) == 251
    assert min(rmap.member_counts()) == 2 and max(rmap.member_counts()) == 7
    # the unchanged keep their code; no split municipality stays unchanged
    assert all(n.members[0].code == n.code and not n.members[0].part for n in rmap.unchanged)


def test_map_toender_and_the_split_noerre_rangstrup():
    rmap = reform.reform_map()
    toender = rmap.merger("550")
    assert toender.merger_name == "Tønder Kommune"
    assert {m.code for m in toender.members} == {"505", "517", "521", "525", "531", "541"}
    assert [m.name for m in toender.members if m.part] == ["Nørre-Rangstrup"]
    assert toender.seat.code == "541"  # named like the new municipality
    assert rmap.split["525"] == ("510", "550")
    assert "525" in {m.code for m in rmap.merger("510").members}
    assert rmap.split["793"] == ("791", "820", "846")  # Aalestrup: three ways
    # without a member of the new name, the seat is the whole member with the highest code
    mariagerfjord = rmap.merger("846")
    assert not mariagerfjord.seat.part


def test_map_rejects_a_malformed_file():
    with pytest.raises(ValueError, match="columns"):
        reform.reform_map_read(io.StringIO("a,b\n1,2\n"))


def test_bench_engine_builds_the_real_map_problem():
    counts = reform.reform_map().member_counts()
    problem = reform_problem(counts)
    assert len(problem.mergers) == 65
    tripled = reform_problem(counts, copies=3)
    assert len(tripled.mergers) == 195 and len(tripled.steps) == 3 * len(problem.steps)


# --- the loader (database) -------------------------------------------------------------------------


@pytest.fixture
def loaded(db):
    seed_demo()
    out = io.StringIO()
    call_command("load_reform", only="550,510", no_schedule=True, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "municipalities": Municipality.objects.count(),
        "mergers": Merger.objects.count(),
        "links": Merger.members.through.objects.count(),
        "instances": SystemInstance.objects.count(),
        "harmonisations": Harmonisation.objects.count(),
        "conversions": Conversion.objects.count(),
        "runbooks": Runbook.objects.count(),
        "steps": Step.objects.count(),
        "memberships": Membership.objects.count(),
    }


def test_load_reuses_the_demo(loaded):
    # then: Tønder Kommune is the demo's merger, with the demo's six and its runbook and progress untouched
    toender = Merger.objects.get(code="550")
    assert toender.name == "Tønder Kommune"
    assert toender.dispensation_status == DispensationStatus.APPLIED  # the demo's, not the option's default
    assert set(toender.members.values_list("code", flat=True)) == {"505", "517", "521", "525", "531", "541"}
    assert Merger.objects.filter(code="550").count() == 1
    assert Step.objects.filter(runbook__merger=toender, key="1", status="done").exists()
    assert not Harmonisation.objects.filter(merger=toender, rationale__startswith=GENERATED_NOTE).exists()
    # the demo's municipalities keep their inventory: nothing generated for them
    assert not SystemInstance.objects.filter(municipality__code="541", notes=GENERATED_NOTE).exists()


def test_noerre_rangstrup_is_a_part_of_both_mergers(loaded):
    noerre = Municipality.objects.get(code="525")
    assert reform.is_part(noerre.notes)
    assert "Tønder Kommune (550)" in noerre.notes and "Haderslev Kommune (510)" in noerre.notes
    assert set(noerre.mergers.values_list("code", flat=True)) == {"510", "550"}
    haderslev = Merger.objects.get(code="510")
    assert haderslev.name == "Haderslev Kommune"
    assert haderslev.legal_date.isoformat() == "2007-01-01"
    assert haderslev.dispensation_status == DispensationStatus.NONE and haderslev.dispensation_date is None
    # Haderslev converts Nørre-Rangstrup's data as a part conversion; the rationale says so
    rationales = list(Harmonisation.objects.filter(merger=haderslev).values_list("rationale", flat=True))
    assert rationales and all("Delkonvertering" in r and "Nørre-Rangstrup" in r for r in rationales)
    assert Conversion.objects.filter(harmonisation__merger=haderslev, source_instance__municipality=noerre).exists()
    # Christiansfeld is split too (Haderslev and Kolding): created with its part line
    christiansfeld = Municipality.objects.get(code="509")
    assert christiansfeld.name == "Christiansfeld" and reform.is_part(christiansfeld.notes)
    assert christiansfeld.county == "Sønderjyllands Amt"


def test_generated_rows_are_inferred(loaded):
    haderslev = Merger.objects.get(code="510")
    generated = SystemInstance.objects.filter(municipality__mergers=haderslev, notes=GENERATED_NOTE)
    assert generated.exists() and not generated.filter(is_inferred=False).exists()
    harmonisations = Harmonisation.objects.filter(merger=haderslev)
    assert harmonisations.count() >= 10
    assert all(h.is_inferred and h.strategy == Strategy.KEEP and h.rationale.startswith(GENERATED_NOTE)
               for h in harmonisations)
    # the seat's system survives: old Haderslev's (old code 515)
    assert set(harmonisations.values_list("surviving_instance__municipality__code", flat=True)) == {"515"}
    assert set(generated.values_list("system__vendor__code", flat=True)) == {"kmd", "egen-drift"}
    # the runbook from the drejebog, with KMD cutovers
    assert Step.objects.filter(runbook__merger=haderslev, kind=StepKind.CUTOVER, assignee_vendor__code="kmd").exists()
    # the KMD advisor serves both mergers (and the demo's second, Aabenraa)
    assert set(Membership.objects.filter(user__username="kmd-raadgiver", role=Role.VENDOR_ADVISOR)
               .values_list("merger__code", flat=True)) == {"510", "550", "580"}


def test_generated_runbooks_start_with_the_demos_progress(loaded):
    import datetime as dt

    from audit.models import Event
    from runbook.models import Comment, StepStatus

    haderslev = Merger.objects.get(code="510")
    steps = {s.key: s for s in Step.objects.filter(runbook__merger=haderslev)}
    # then: the demo's statuses and actual dates, as an assumption, but not its blocked step
    first = steps["1"]
    assert first.status == StepStatus.DONE
    assert (first.actual_start, first.actual_finish) == (dt.date(2005, 11, 1), dt.date(2005, 11, 7))
    for key, (status, start, finish, _actor) in PROGRESS.items():
        assert (steps[key].status, steps[key].actual_start, steps[key].actual_finish) == (status, start, finish)
    assert steps[BLOCKED_KEY].status == StepStatus.IN_PROGRESS
    assert not Step.objects.filter(runbook__merger=haderslev, status=StepStatus.BLOCKED).exists()
    assert not Step.objects.filter(runbook__merger=haderslev).exclude(key__in=list(PROGRESS)) \
        .exclude(status=StepStatus.NOT_STARTED).exists()
    assert not Comment.objects.filter(step__runbook__merger=haderslev).exists()
    # the audit trail: dated when it happened, system-made, saying it is assumed
    events = Event.objects.filter(merger=haderslev, verb="status_changed")
    done = sum(1 for s, *_ in PROGRESS.values() if s == StepStatus.DONE)
    assert events.count() == len(PROGRESS) + done
    assert not events.filter(actor__isnull=False).exists()
    assert all(e.message == PROGRESS_ASSUMPTION for e in events)
    finished = events.get(object_id=first.pk, changes__status=["in_progress", "done"])
    assert finished.created_at.date() == dt.date(2005, 11, 7)
    # and the harmonisations say so
    assert all(PROGRESS_ASSUMPTION in r
               for r in Harmonisation.objects.filter(merger=haderslev).values_list("rationale", flat=True))


def test_the_demos_progress_is_untouched(db):
    from audit.models import Event
    from runbook.models import StepStatus

    seed_demo()
    toender = Merger.objects.get(code="550")

    def progress():
        return (sorted(Step.objects.filter(runbook__merger=toender).values_list("key", "status", "actual_start",
                                                                                "actual_finish")),
                Event.objects.filter(merger=toender).count())

    before = progress()
    call_command("load_reform", only="550,510", no_schedule=True, stdout=io.StringIO())
    assert progress() == before
    assert Step.objects.get(runbook__merger=toender, key="16").status == StepStatus.BLOCKED
    assert not Event.objects.filter(merger=toender, message=PROGRESS_ASSUMPTION).exists()


def test_load_twice_changes_nothing(loaded):
    from audit.models import Event

    before = counts(), Event.objects.count()
    call_command("load_reform", only="550,510", no_schedule=True, stdout=io.StringIO())
    assert (counts(), Event.objects.count()) == before


def test_dispensation_option_spares_the_demo(loaded):
    call_command("load_reform", only="550,510", dispensation="granted", no_schedule=True, stdout=io.StringIO())
    haderslev = Merger.objects.get(code="510")
    assert haderslev.dispensation_status == DispensationStatus.GRANTED
    assert haderslev.dispensation_date.isoformat() == "2006-07-01"
    assert Merger.objects.get(code="550").dispensation_status == DispensationStatus.APPLIED


def test_load_without_the_demo_and_without_advisor(db):
    call_command("load_reform", only="510", no_advisor=True, dispensation="granted", stdout=io.StringIO())
    assert set(Merger.objects.values_list("code", flat=True)) == {"510"}
    assert Merger.objects.get(code="510").dispensation_status == DispensationStatus.GRANTED
    assert not Membership.objects.exists()
    # the demo's national calendar came along (KMD's closure, the recurring rules)
    from runbook.models import CalendarRule, FreezeWindow

    assert FreezeWindow.objects.filter(merger__isnull=True, vendor__code="kmd").exists()
    assert CalendarRule.objects.filter(merger__isnull=True).exists()
    # scheduled (no --no-schedule): the cutovers have go-lives
    assert not Step.objects.filter(kind=StepKind.CUTOVER, go_live__isnull=True).exists()


def test_unknown_code_is_refused(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="999"):
        call_command("load_reform", only="999", stdout=io.StringIO())


def test_report_reads_the_scheduled_steps(db):
    call_command("load_reform", only="510,621", dispensation="granted", no_advisor=True, stdout=io.StringIO())
    report = go_live_report()
    cutovers = Step.objects.filter(kind=StepKind.CUTOVER, assignee_vendor__code="kmd").count()
    assert sum(report.counted.values()) + report.national_batch == cutovers
    assert report.mergers == 2 and report.granted == 2
    out = io.StringIO()
    call_command("load_reform", report=True, stdout=out)
    assert "peak:" in out.getvalue() and "legal-date batch" in out.getvalue()
