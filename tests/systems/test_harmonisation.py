"""Conversions are derived from the harmonisation decision, never typed by hand."""
import pytest

from mergeplan.exceptions import ApplicationError
from runbook.models import Event
from systems.models import Conversion, Strategy
from systems.services import harmonisation_apply
from tests.factories import SystemFactory, SystemInstanceFactory, merger_with_runbook

pytestmark = pytest.mark.django_db


def test_keep_converts_every_instance_but_the_survivor():
    merger = merger_with_runbook(municipalities=4, domains=1, instantiate=False)
    h = merger.harmonisations.get()
    sources = set(Conversion.objects.filter(harmonisation=h).values_list("source_instance", flat=True))
    assert len(sources) == 3 and h.surviving_instance_id not in sources


def test_apply_is_idempotent_and_follows_a_changed_decision():
    merger = merger_with_runbook(municipalities=3, domains=1, instantiate=False)
    h = merger.harmonisations.get()
    events = Event.objects.count()
    harmonisation_apply(harmonisation=h)
    assert Event.objects.count() == events  # nothing changed, nothing recorded
    # a new system for everyone: every instance is converted
    new_system = SystemFactory(domain=h.domain, vendor=h.target_system.vendor, name="Nyt system")
    h.strategy, h.target_system, h.surviving_instance = Strategy.NEW, new_system, None
    h.save()
    conversions = harmonisation_apply(harmonisation=h)
    assert len(conversions) == 3
    assert Event.objects.filter(verb="conversions_derived", object_id=h.pk).count() == 2


def test_keep_needs_a_survivor_running_the_target():
    merger = merger_with_runbook(municipalities=2, domains=1, instantiate=False)
    h = merger.harmonisations.get()
    h.surviving_instance = SystemInstanceFactory(municipality=merger.members.first())
    with pytest.raises(ApplicationError) as exc:
        harmonisation_apply(harmonisation=h)
    assert exc.value.field == "surviving_instance"
