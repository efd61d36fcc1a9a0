"""The audit trail as sentences in the user's language: "Bent Johannsen changed the status from In progress
to Blocked" (Danish: "… ændrede status fra I gang til Blokeret").

One function, :func:`event_sentences`, renders every verb of :class:`audit.events.Verb` in both languages:
verbs that say what happened have a sentence of their own, the others a sentence per changed field. Field
names come from the model's ``verbose_name``, choice values from their labels, dates in the Danish way
(``core.formats.day``: "2. jan. 2007"). The step page, the dashboard's recent changes and the API's events
use it. No query: content types come from Django's cache and the actor must be loaded with the event
(``select_related``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from audit.events import Verb
from audit.models import Event
from core.formats import day
from runbook.models import SignoffDecision, Step
from runbook.selectors.checkpoints import person, role_as_subject

#: Keys of ``Event.changes`` that are not model fields, in words.
_EXTRA_LABELS = {
    "predecessor": gettext_lazy("predecessor"),
    "predecessors": gettext_lazy("predecessors"),
    "successors": gettext_lazy("successors"),
    "conversions": gettext_lazy("number of conversions"),
    "override_reason": gettext_lazy("override reason"),
}

#: Fields a status change sets by itself (the status sentence says it all) or carries as its note.
_CONSEQUENCES = frozenset({"actual_start", "actual_finish", "override_reason"})

#: The sentence of each verb that says what happened in words of its own (``who``, ``object``, ``key``).
_VERB_SENTENCES = {
    Verb.CHECKPOINT_PASSED: gettext_lazy("%(object)s passed: both the IT chief and the vendor advisor said go."),
    Verb.COMMENTED: gettext_lazy("%(who)s commented."),
    Verb.DEPENDENCY_ADDED: gettext_lazy("%(who)s made the step wait for %(key)s."),
    Verb.DEPENDENCY_REMOVED: gettext_lazy("%(who)s removed the predecessor %(key)s."),
    Verb.RISK_FLAGGED: gettext_lazy("%(who)s flagged %(object)s as at risk."),
    Verb.RISK_CLEARED: gettext_lazy("%(who)s no longer sees %(object)s at risk."),
    Verb.RUNBOOK_INSTANTIATED: gettext_lazy("%(who)s created the runbook."),
    Verb.STEP_CREATED: gettext_lazy("%(who)s added the step %(object)s."),
    Verb.STEP_DELETED: gettext_lazy("%(who)s removed the step %(object)s."),
    Verb.BASELINE_CAPTURED: gettext_lazy("%(who)s captured a baseline."),
    Verb.CONVERSIONS_DERIVED: gettext_lazy("%(who)s derived the conversions."),
}
#: Verbs that add or remove an object: "… added X." (when no field changes say more) or "… removed X."
_ADDING = frozenset(v for v in Verb if v.endswith(("_added", "_created")))
_REMOVING = frozenset(v for v in Verb if v.endswith(("_removed", "_deleted")))
#: Verbs whose one sentence says it all: the field changes they carry are not repeated.
_SENTENCE_ONLY = frozenset({
    Verb.STEP_CREATED, Verb.STEP_DELETED, Verb.DEPENDENCY_ADDED, Verb.DEPENDENCY_REMOVED,
    Verb.CHECKPOINT_PASSED, Verb.RISK_FLAGGED, Verb.RISK_CLEARED,
    *(v for v in Verb if v.endswith("_removed")),
})


@dataclass
class HistoryLine:
    """One event in words: the sentences (one per change) and the free text that came with it."""

    event: Event
    who: str
    sentences: list[str] = field(default_factory=list)
    note: str = ""
    url: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def _who(event: Event) -> str:
    return person(event.actor) if event.actor_id else pgettext("who", "The system")


def _model(event: Event):
    try:
        return ContentType.objects.get_for_id(event.content_type_id).model_class()
    except ContentType.DoesNotExist:  # pragma: no cover - a removed model
        return None


def _field(model, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def field_label(model, name: str) -> str:
    """The field's verbose name ("own deadline"), else a known label, else the name with spaces."""
    f = _field(model, name)
    if f is not None and getattr(f, "verbose_name", None):
        return str(f.verbose_name)
    if name in _EXTRA_LABELS:
        return str(_EXTRA_LABELS[name])
    return name.replace("_", " ")


def value_text(model, name: str, value) -> str:
    """A stored value in words: a choice's label, a date as "2. januar 2007", yes/no, a list joined."""
    if value is None or value == "" or value == []:
        return ""
    f = _field(model, name)
    if f is not None and getattr(f, "choices", None):
        labels = {str(k): str(v) for k, v in f.flatchoices}
        if str(value) in labels:
            return labels[str(value)]
    if isinstance(f, models.BooleanField) or isinstance(value, bool):
        return pgettext("value", "yes") if value else pgettext("value", "no")
    if isinstance(f, models.DateField | models.DateTimeField) or isinstance(value, dt.date):
        return day(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def change_sentence(who: str, label: str, old: str, new: str) -> str:
    """One field change as a sentence."""
    values = {"who": who, "field": label, "old": old, "new": new}
    if old and new:
        return _("%(who)s changed %(field)s from %(old)s to %(new)s.") % values
    if new:
        return _("%(who)s set %(field)s to %(new)s.") % values
    if old:
        return _("%(who)s cleared %(field)s (it was %(old)s).") % values
    return _("%(who)s changed %(field)s.") % values


def _signoff_sentences(event: Event, who: str) -> list[str]:
    out = []
    for key, change in (event.changes or {}).items():
        if not key.startswith("signoff_") or not isinstance(change, list) or len(change) != 2:
            continue
        old, new = change
        values = {"role": role_as_subject(key.removeprefix("signoff_")), "who": who, "object": event.object_repr}
        if old in SignoffDecision.values and old != new:
            values.update(old=str(SignoffDecision(old).label), new=str(SignoffDecision(new).label))
            out.append(_("%(role)s %(who)s changed the decision on %(object)s from %(old)s to %(new)s.") % values)
        elif new == SignoffDecision.NO_GO:
            out.append(_("%(role)s %(who)s said no go to %(object)s.") % values)
        else:
            out.append(_("%(role)s %(who)s said go to %(object)s.") % values)
    override = (event.changes or {}).get("override_reason")
    if isinstance(override, list) and override and override[-1]:
        out.append(_("The decision was given before the predecessors were done: »%(reason)s«.")
                   % {"reason": override[-1]})
    return out


def _generic_changes(event: Event, who: str, skip=frozenset()) -> list[str]:
    model = _model(event)
    out = []
    for name, change in (event.changes or {}).items():
        if name in skip or not isinstance(change, list | tuple) or len(change) != 2:
            continue
        old, new = change
        out.append(change_sentence(who, field_label(model, name), value_text(model, name, old),
                                   value_text(model, name, new)))
    return out


def _verb_sentence(event: Event, who: str) -> str | None:
    """The one sentence of verbs that say what happened without field changes."""
    verb, values = event.verb, {"who": who, "object": event.object_repr}
    changes = event.changes or {}
    if verb in (Verb.DEPENDENCY_ADDED, Verb.DEPENDENCY_REMOVED):
        key = (changes.get("predecessor") or [None, None])[1 if verb == Verb.DEPENDENCY_ADDED else 0]
        values["key"] = key or "?"
    if verb in _VERB_SENTENCES:
        return str(_VERB_SENTENCES[verb]) % values
    if verb in _ADDING and not changes:
        return _("%(who)s added %(object)s.") % values
    if verb in _REMOVING:
        return _("%(who)s removed %(object)s.") % values
    return None


def event_sentences(event: Event) -> HistoryLine:
    """The event in words, in the active language (see the module docstring)."""
    who = _who(event)
    line = HistoryLine(event=event, who=who, note=event.message or "")
    if event.verb == Verb.CHECKPOINT_SIGNED:
        line.sentences = _signoff_sentences(event, who)
        return line
    first = _verb_sentence(event, who)
    if first is not None:
        line.sentences = [first]
        if event.verb in _SENTENCE_ONLY:
            return line
    skip = _CONSEQUENCES if event.verb == Verb.STATUS_CHANGED else frozenset()
    line.sentences += _generic_changes(event, who, skip=skip)
    if not line.sentences:
        line.sentences = [_("%(who)s changed %(object)s.") % {"who": who, "object": event.object_repr}]
    return line


def _step_url(event: Event) -> str:
    """The page of the step the event is about ("" for other objects or a step that is gone)."""
    model = _model(event)
    if model is not Step or event.merger_id is None or event.verb == Verb.STEP_DELETED:
        return ""
    return reverse("step-detail", kwargs={"merger_id": event.merger_id, "step_id": event.object_id})


def history(events, *, links: bool = False) -> list[HistoryLine]:
    """Already loaded events (with their actors) as history lines, in the given order; ``links``: with the
    URL of the step each is about."""
    lines = [event_sentences(e) for e in events]
    if links:
        for line in lines:
            line.url = _step_url(line.event)
    return lines
