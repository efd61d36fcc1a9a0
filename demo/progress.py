"""The Tønder merger mid-flight on 15 March 2006: its runbook from the drejebog and the progress on it.

:func:`runbook_seed` instantiates the drejebog (``runbook.services.runbook_instantiate``) and, the first
time only, writes the demo's progress straight onto the steps as a data load: :data:`PROGRESS` (keyed by
template step number), the blocked step, the comments, the cutover durations and a deadline, with audit
events dated when it happened. :func:`progress_assume` gives other freshly instantiated runbooks (those
``load_reform`` generates) the same statuses and dates as an assumption (:data:`PROGRESS_ASSUMPTION`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TextIO

from audit.events import Verb, events_bulk_record, target_of
from audit.models import Event
from demo.people import ADVISOR_USERNAME
from demo.support import at, say
from municipalities.models import Merger
from runbook.drejebog import template_install
from runbook.models import Comment, Runbook, Step, StepKind, StepStatus
from runbook.services import runbook_instantiate

#: key (template step number) → (status, actual start, actual finish, actor username)
PROGRESS: dict[str, tuple[str, dt.date | None, dt.date | None, str]] = {
    "1": (StepStatus.DONE, dt.date(2005, 11, 1), dt.date(2005, 11, 7), "bent"),
    "2": (StepStatus.DONE, dt.date(2005, 11, 8), dt.date(2005, 11, 21), "bent"),
    "4": (StepStatus.DONE, dt.date(2005, 11, 8), dt.date(2005, 11, 28), "koord-toender"),
    "5": (StepStatus.DONE, dt.date(2005, 11, 8), dt.date(2005, 11, 21), "bent"),
    "3": (StepStatus.DONE, dt.date(2005, 11, 22), dt.date(2005, 12, 19), "bent"),
    "6": (StepStatus.DONE, dt.date(2005, 11, 29), dt.date(2005, 12, 12), "bent"),
    "7": (StepStatus.DONE, dt.date(2005, 11, 29), dt.date(2006, 1, 13), "koord-toender"),
    "8": (StepStatus.DONE, dt.date(2006, 1, 16), dt.date(2006, 1, 20), "bent"),
    "9": (StepStatus.DONE, dt.date(2006, 1, 23), dt.date(2006, 2, 17), "bent"),
    "16": (StepStatus.IN_PROGRESS, dt.date(2006, 1, 16), None, "bent"),  # blocked below
    "10": (StepStatus.IN_PROGRESS, dt.date(2006, 2, 20), None, "bent"),  # the committee's decision
    "11": (StepStatus.IN_PROGRESS, dt.date(2006, 2, 20), None, "bent"),
    "12": (StepStatus.IN_PROGRESS, dt.date(2006, 2, 27), None, "bent"),
    "14": (StepStatus.IN_PROGRESS, dt.date(2006, 3, 6), None, "bent"),
}
BLOCKED_KEY = "16"
BLOCKED_ON = dt.date(2006, 2, 27)
BLOCKED_REASON = (
    "Blokeret: fiberforbindelsen mellem Toftlund og Tønder er ikke leveret, og teleleverandøren har endnu "
    "ikke bekræftet en leveringsdato. Domæne, mail og telefoni venter på tilslutningen."
)
#: the committee's decision (step 10) is recorded by meeting and agenda item, not signed by the vendor
COMMITTEE_MEETING = (
    "Forelægges på sammenlægningsudvalgets møde 28. marts 2006, dagsordenens punkt 7 (antaget). "
    "Målsystemerne er valgt; budgettet for konverteringerne er sendt med dagsordenen."
)
#: cutover duration (working days) per area: 1–3 days, the big registers longest (I)
CUTOVER_DAYS = {"payroll": 3, "finance": 3, "property_tax": 2, "esdh": 2, "infrastructure": 2}
#: the assumption behind the progress every generated runbook starts with (:func:`progress_assume`)
PROGRESS_ASSUMPTION = ("antaget: alle sammenlægninger var mobiliseret i efteråret 2005 som Tønder "
                       "(fremdriften pr. 15. marts 2006 som demoens; load_reform)")


def runbook_seed(merger: Merger, users: dict, stdout: TextIO | None = None) -> Runbook:
    """Instantiate the drejebog for the merger (only when it has no runbook yet) and, on that first run,
    load the progress of 15 March 2006. Re-seeding leaves an existing runbook and its progress alone."""
    existing = Runbook.objects.filter(merger=merger).first()
    if existing is not None:
        return existing
    template = template_install()  # version 2
    runbook = runbook_instantiate(merger=merger, template=template, actor=users["bent"])
    Event.objects.filter(merger=merger, verb=Verb.RUNBOOK_INSTANTIATED).update(created_at=at(dt.date(2005, 11, 1)))
    _progress_load(runbook, users)
    say(stdout, f"Runbook instantiated: {runbook.steps.count()} steps")
    return runbook


def _progress_load(runbook: Runbook, users: dict) -> None:
    """Write the demo's progress straight onto the steps (a data load), with matching audit events
    dated when they happened."""
    steps = {s.key: s for s in runbook.steps.select_related("domain")}
    events: list[Event] = []
    changed: list[Step] = []
    for key, (status, start, finish, actor) in PROGRESS.items():
        step = steps[key]
        step.status, step.actual_start, step.actual_finish = status, start, finish
        changed.append(step)
        if status == StepStatus.DONE:
            events.append(_status_event(step, users[actor], StepStatus.IN_PROGRESS, start))
            events.append(_status_event(step, users[actor], StepStatus.DONE, finish, before="in_progress"))
        else:
            events.append(_status_event(step, users[actor], status, start))
    blocked = steps[BLOCKED_KEY]
    blocked.status = StepStatus.BLOCKED
    events.append(
        _status_event(blocked, users["bent"], StepStatus.BLOCKED, BLOCKED_ON, before="in_progress",
                      message=BLOCKED_REASON)
    )
    for step in steps.values():
        if step.kind == StepKind.CUTOVER and step.domain is not None:
            step.duration_days = CUTOVER_DAYS.get(step.domain.code, 1)
            changed.append(step)
    steps["21"].deadline = dt.date(2006, 12, 1)  # new master data keyed by 1 December (V)
    changed.append(steps["21"])
    Step.objects.bulk_update(
        list({s.pk: s for s in changed}.values()),
        ["status", "actual_start", "actual_finish", "duration_days", "deadline"],
    )
    events_bulk_record(events)

    Comment.objects.get_or_create(
        step=blocked, author=users["bent"], body=BLOCKED_REASON, defaults={"created_at": at(BLOCKED_ON, 14)}
    )
    Comment.objects.get_or_create(
        step=steps["7"],
        author=users["koord-toender"],
        body="CPR's vejkodetabeller kommer først i april 2006; vi har brugt de foreløbige tabeller og "
             "tjekker igen, når de endelige er udgivet.",
        defaults={"created_at": at(dt.date(2006, 1, 13), 15)},
    )
    decision = steps["10"]
    Comment.objects.get_or_create(
        step=decision, author=users["bent"], body=COMMITTEE_MEETING,
        defaults={"created_at": at(dt.date(2006, 3, 9), 11)},
    )
    Comment.objects.get_or_create(
        step=decision,
        author=users[ADVISOR_USERNAME],
        body="KMD underskriver konverteringsaftalen (trin 15), når udvalget har godkendt udgiften til "
             "konverteringen af økonomisystemet.",
        defaults={"created_at": at(dt.date(2006, 3, 10), 10)},
    )


def _status_event(step: Step, actor, status: str, on: dt.date, *, before: str = "not_started",
                  message: str = "") -> Event:
    """Unsaved: the step's status changed from ``before`` to ``status`` on ``on`` (the demo's history is
    written as it happened, so the event is dated then, not now)."""
    content_type, object_id, object_repr = target_of(step)
    return Event(
        created_at=at(on),
        actor=actor,
        merger_id=step.runbook.merger_id,
        verb=Verb.STATUS_CHANGED,
        content_type=content_type,
        object_id=object_id,
        object_repr=object_repr,
        changes={"status": [before, str(status)]},
        message=message,
    )


def progress_assume(runbooks: Iterable, *, actor=None, message: str = PROGRESS_ASSUMPTION) -> int:
    """Give freshly instantiated runbooks the demo's progress of 15 March 2006 (:data:`PROGRESS`:
    template step number → status, actual start, actual finish), as an assumption: the statuses and actual
    dates in one ``bulk_update`` and the audit events (in progress, then done) in one ``bulk_create``, dated
    when they happened, made with the demo's own event builder. Not the demo's blocked step, comments,
    cutover durations or deadlines. Call it only on runbooks just created (it does not look at what is
    there). Returns how many steps it changed."""
    runbook_ids = [r.pk for r in runbooks]
    if not runbook_ids:
        return 0
    steps = list(Step.objects.filter(runbook_id__in=runbook_ids, key__in=list(PROGRESS)).select_related("runbook"))
    events = []
    for step in steps:
        status, start, finish, _actor = PROGRESS[step.key]
        step.status, step.actual_start, step.actual_finish = status, start, finish
        events.append(_status_event(step, actor, StepStatus.IN_PROGRESS, start, message=message))
        if status == StepStatus.DONE:
            events.append(_status_event(step, actor, StepStatus.DONE, finish, before="in_progress",
                                        message=message))
    Step.objects.bulk_update(steps, ["status", "actual_start", "actual_finish"], batch_size=1000)
    events_bulk_record(events)
    return len(steps)
