"""Daily digest e-mails and daily progress snapshots.

Digest: one plain-text e-mail per user per day of the steps that concern them — due in the next 10
working days, overdue, and at risk — in the site's language (``digest_language``). A step concerns a user
who owns it, whose municipality (coordinator) or vendor (vendor advisor) it is assigned to, and every
step of a merger concerns its IT chief — the one definition, ``runbook.selectors.my_steps.step_concerns``.

No digest twice, whatever happens to the worker (at most once)
    1. *Decide and claim*: for a user with something to report, render the message, then insert
       ``NotificationSent(user, "digest", date, sent_at=now)`` and commit. The unique constraint (user,
       kind, date) is the decision: a second run the same day — the task run twice, redelivered after a
       crash (``acks_late``), or two workers at once — fails to insert and skips the user. Nothing is
       sent before the row is committed, and ``sent_at`` is the moment the message was handed to the
       mail backend.
    2. *Send*. If the backend refuses it before any of the message went out (connection refused,
       unknown host, sender or recipients refused: ``_NOT_SENT``), ``sent_at`` is cleared again (and
       ``created_at`` moved to now): the digest was certainly not sent. Any other failure, and a worker
       killed while sending, leave ``sent_at`` set: the message may have gone out, so it is never sent
       again (logged). That is the one loss left — a digest interrupted mid-send — and the next day's
       digest repeats whatever is still due, overdue or at risk.
    3. *Recover*: every run first retries the rows of today and yesterday whose ``sent_at`` is NULL
       (refused, or decided under the earlier protocol) and whose attempt started more than
       ``MERGEPLAN_DIGEST_RETRY_MINUTES`` (default 10) ago. A run claims such a row with a conditional
       UPDATE that sets ``sent_at`` only if it is still NULL and stale, so two concurrent runs never
       both send it.
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import socket
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.clock import today
from core.formats import day as day_text
from core.i18n import bilingual
from engine.calendar import WorkCalendar
from municipalities.models import Membership
from municipalities.permissions import MergerAccess
from runbook.models import FINISHED_STATUSES, NotificationSent, ProgressSnapshot, Runbook, Step
from runbook.selectors.my_steps import step_concerns
from runbook.selectors.steps import risk_reason_message, step_weight
from runbook.workdays import calendar_years

logger = logging.getLogger(__name__)

DIGEST = "digest"
DUE_WORKING_DAYS = 10


@dataclass
class Digest:
    """What one user is told on one day."""

    user_id: int
    overdue: list[dict] = field(default_factory=list)
    due: list[dict] = field(default_factory=list)
    at_risk: list[dict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due or self.at_risk)

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.due) + len(self.at_risk)


def _retry_minutes() -> int:
    return int(getattr(settings, "MERGEPLAN_DIGEST_RETRY_MINUTES", 10))


def digests_build(on: dt.date, user_ids: list[int] | None = None) -> dict[int, Digest]:
    """The digest of every user with a membership (or of ``user_ids``), in three queries."""
    horizon = WorkCalendar.danish(calendar_years([on])).add_working_days(on, DUE_WORKING_DAYS)
    memberships = Membership.objects.filter(user__is_active=True)
    if user_ids is not None:
        memberships = memberships.filter(user_id__in=user_ids)
    rows: dict[tuple[int, int], list[tuple[str, int | None, int | None]]] = defaultdict(list)
    for user_id, merger_id, role, municipality_id, vendor_id in memberships.values_list(
        "user_id", "merger_id", "role", "municipality_id", "vendor_id"
    ):
        rows[(user_id, merger_id)].append((role, municipality_id, vendor_id))
    # each user's access per merger, asked through the one definition of "concerns" (work_selectors)
    access: dict[tuple[int, int], MergerAccess] = {
        (u, m): MergerAccess(
            merger_id=m, roles=frozenset(r for r, _, _ in rs),
            municipality_ids=frozenset(mu for _, mu, _ in rs if mu), vendor_ids=frozenset(v for _, _, v in rs if v),
        )
        for (u, m), rs in rows.items()
    }
    members: dict[int, set[int]] = defaultdict(set)  # merger -> users with a role in it
    for u, m in access:
        members[m].add(u)
    users = {u for u, _ in access}
    digests = {u: Digest(u) for u in users}
    if not users:
        return digests
    steps = (
        Step.objects.exclude(status__in=FINISHED_STATUSES)
        .filter(Q(planned_finish__lte=horizon) | Q(at_risk=True))
        .filter(Q(runbook__merger__memberships__user_id__in=users) | Q(owner_id__in=users))
        .distinct()
        .order_by("runbook__merger__name", "planned_finish", "sequence", "pk")
        .values(
            "id", "key", "name", "name_en", "kind", "status", "planned_finish", "at_risk", "risk_reasons",
            "owner_id", "assignee_municipality_id", "assignee_vendor_id", "runbook__merger_id",
            "runbook__merger__name",
        )
    )
    for s in steps:
        m = s["runbook__merger_id"]
        concerned = {
            u for u in members.get(m, ())
            if step_concerns(access[(u, m)], u, owner_id=s["owner_id"],
                             municipality_id=s["assignee_municipality_id"], vendor_id=s["assignee_vendor_id"])
        }
        pf = s["planned_finish"]
        if pf is not None and pf < on:
            section = "overdue"
        elif pf is not None and pf <= horizon:
            section = "due"
        elif s["at_risk"]:
            section = "at_risk"
        else:
            continue
        for u in concerned:
            getattr(digests[u], section).append(s)
    return digests


def digest_language() -> str:
    """The language of every digest: the site's, ``LANGUAGE_CODE`` (Danish). A user chooses the pages'
    language in the browser (Django's ``set_language``, kept in a cookie), which a mail sent by a worker
    cannot see; nothing about language is stored on the user."""
    return settings.LANGUAGE_CODE


def digest_render(digest: Digest, *, on: dt.date, language: str) -> tuple[str, str]:
    """Subject and plain-text body of a digest, in ``language``."""
    with translation.override(language):
        def line(s: dict) -> str:
            name = bilingual(s["name"], s["name_en"], language)
            finish = day_text(s["planned_finish"]) if s["planned_finish"] else "–"
            text = f"  - [{s['runbook__merger__name']}] {s['key']} {name} ({finish})"
            if s["at_risk"] and s["risk_reasons"]:
                text += ": " + "; ".join(risk_reason_message(r) for r in s["risk_reasons"])
            return text

        counts = {
            "overdue": ngettext("%(n)d overdue", "%(n)d overdue", len(digest.overdue)) % {"n": len(digest.overdue)},
            "due": ngettext("%(n)d due soon", "%(n)d due soon", len(digest.due)) % {"n": len(digest.due)},
            "risk": ngettext("%(n)d at risk", "%(n)d at risk", len(digest.at_risk)) % {"n": len(digest.at_risk)},
        }
        subject = _("mergeplan %(date)s: %(overdue)s, %(due)s, %(risk)s") % {"date": day_text(on), **counts}
        parts = [_("Your steps in the merger plan on %(date)s.") % {"date": day_text(on)}, ""]
        for title, items in (
            (_("Overdue"), digest.overdue),
            (ngettext("Due in the next %(n)d working day", "Due in the next %(n)d working days", DUE_WORKING_DAYS)
             % {"n": DUE_WORKING_DAYS}, digest.due),
            (_("At risk"), digest.at_risk),
        ):
            if items:
                parts.append(f"{title} ({len(items)}):")
                parts.extend(line(s) for s in items)
                parts.append("")
        parts.append(_("This message is sent once a day by mergeplan."))
        return subject, "\n".join(parts)


#: Failures raised before any of the message reached the mail server: the digest was certainly not sent.
_NOT_SENT = (
    ConnectionRefusedError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPRecipientsRefused,
)


def _send(user, message: tuple[str, str]) -> None:
    subject, body = message
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=False)


def _send_claimed(pk: int, user, message: tuple[str, str]) -> bool:
    """Send a digest whose row is claimed (``sent_at`` set and committed); True when the backend took it.
    A failure before sending un-claims the row for a later retry; any other leaves it: at most once."""
    try:
        _send(user, message)
    except _NOT_SENT:
        logger.exception("digest to user %s not sent: retried after the retry delay", user.pk)
        NotificationSent.objects.filter(pk=pk).update(sent_at=None, created_at=timezone.now())
        return False
    except Exception:
        logger.exception("digest to user %s may not have been sent; not retried (at most once)", user.pk)
        return False
    return True


def _resend_stale(on: dt.date) -> int:
    """Send the digests decided but certainly not sent (refused by the mail server before sending)."""
    now = timezone.now()
    cutoff = now - dt.timedelta(minutes=_retry_minutes())
    stale = list(
        NotificationSent.objects.filter(
            kind=DIGEST, sent_at__isnull=True, created_at__lt=cutoff, date__gte=on - dt.timedelta(days=1)
        ).values_list("pk", "user_id", "date")
    )
    resent = 0
    User = get_user_model()
    for pk, user_id, date in stale:
        user = User.objects.filter(pk=user_id, is_active=True).first()
        digest = digests_build(date, [user_id]).get(user_id) if user else None
        message = digest_render(digest, on=date, language=digest_language()) if digest else None
        # claim: only one run sets sent_at of a still-unsent, still-stale row (committed before sending)
        claimed = NotificationSent.objects.filter(pk=pk, sent_at__isnull=True, created_at__lt=cutoff).update(
            sent_at=timezone.now(), created_at=now
        )
        if not claimed or not (user and user.email and digest and not digest.empty):
            continue
        if _send_claimed(pk, user, message):
            resent += 1
    return resent


def digests_send(*, on: dt.date | None = None) -> dict:
    """Send today's digests: recover stale ones, then decide-and-send for every user with news."""
    on = on or today()
    resent = _resend_stale(on)
    digests = digests_build(on)
    User = get_user_model()
    users = User.objects.in_bulk([u for u, d in digests.items() if not d.empty])
    sent = skipped = 0
    for user_id in sorted(users):
        user = users[user_id]
        digest = digests[user_id]
        if not user.email:
            continue
        message = digest_render(digest, on=on, language=digest_language())
        try:
            with transaction.atomic():  # decide and claim: committed before anything is sent
                record = NotificationSent.objects.create(user=user, kind=DIGEST, date=on, sent_at=timezone.now())
        except IntegrityError:
            skipped += 1  # decided already today (another run, or this task run twice)
            continue
        if _send_claimed(record.pk, user, message):
            sent += 1
    return {"sent": sent, "resent": resent, "skipped": skipped}


# --- progress snapshots -----------------------------------------------------------------------------


def progress_snapshot_take(runbook: Runbook, on: dt.date | None = None) -> ProgressSnapshot:
    """Record (or refresh) the runbook's progress on ``on``: one snapshot per runbook per day.

    Work is weighted by duration (a milestone counts as 1); ``planned_done_days`` is the work the plan
    had finished by the end of ``on`` (a step under way counts its planned working days so far).
    """
    on = on or today()
    rows = list(
        Step.objects.filter(runbook=runbook).values_list(
            "status", "kind", "duration_days", "planned_start", "planned_finish"
        )
    )
    calendar = WorkCalendar.danish(calendar_years([on]))
    total_days = done_days = planned_done = done_steps = 0
    for status, kind, days, ps, pf in rows:
        w = step_weight(kind, days)
        total_days += w
        if status in FINISHED_STATUSES:
            done_days += w
            done_steps += 1
        if pf is not None and pf <= on:
            planned_done += w
        elif ps is not None and ps <= on:
            planned_done += min(w, max(0, calendar.working_days_between(ps, on + dt.timedelta(days=1))))
    snapshot, _created = ProgressSnapshot.objects.update_or_create(
        runbook=runbook,
        date=on,
        defaults={
            "total_steps": len(rows),
            "done_steps": done_steps,
            "total_days": total_days,
            "done_days": done_days,
            "planned_done_days": planned_done,
        },
    )
    return snapshot


def progress_snapshots_take(*, on: dt.date | None = None) -> dict:
    """A snapshot of every runbook on ``on`` (default today)."""
    on = on or today()
    n = 0
    for runbook in Runbook.objects.order_by("pk"):
        progress_snapshot_take(runbook, on)
        n += 1
    return {"snapshots": n, "date": on.isoformat()}

