"""Conversions are derived from the harmonisation decision, never typed by hand: every old municipality
code moves to the new one, the seat's own included, in the areas that hold data and are not converted
centrally."""
import pytest

from audit.models import Event
from core.exceptions import ApplicationError
from systems.models import Conversion, Domain, Strategy
from systems.services import harmonisation_apply
from tests.factories import MunicipalityFactory, SystemFactory, SystemInstanceFactory, merger_with_runbook

pytestmark = pytest.mark.django_db


def test_keep_converts_every_instance_the_survivor_included():
    merger = merger_with_runbook(municipalities=4, domains=1, instantiate=False)
    h = merger.harmonisations.get()
    sources = set(Conversion.objects.filter(harmonisation=h).values_list("source_instance", flat=True))
    # the surviving instance is converted too: its records move from its old code to the new one
    assert len(sources) == 4 and h.surviving_instance_id in sources
    assert set(Conversion.objects.filter(harmonisation=h).values_list(
        "source_instance__municipality", flat=True)) == set(merger.members.values_list("pk", flat=True))


@pytest.mark.parametrize("flags", [{"holds_data": False}, {"central_conversion": True}])
def test_no_conversions_for_areas_without_data_or_converted_centrally(flags):
    merger = merger_with_runbook(municipalities=3, domains=1, instantiate=False)
    h = merger.harmonisations.get()
    assert h.conversions.count() == 3
    Domain.objects.filter(pk=h.domain_id).update(**flags)
    h.refresh_from_db()
    h.domain.refresh_from_db()
    # when
    conversions = harmonisation_apply(harmonisation=h)
    # then: the obsolete conversions are removed, and that is recorded
    assert conversions == [] and not h.conversions.exists()
    event = Event.objects.filter(verb="conversions_derived", object_id=h.pk).latest("pk")
    assert event.changes == {"conversions": [3, 0]}


def test_apply_is_idempotent_and_follows_a_changed_decision():
    merger = merger_with_runbook(municipalities=3, domains=1, instantiate=False)
    h = merger.harmonisations.get()
    events = Event.objects.count()
    harmonisation_apply(harmonisation=h)
    assert Event.objects.count() == events  # nothing changed, nothing recorded
    # a new system for everyone: still every instance is converted, so nothing changes
    new_system = SystemFactory(domain=h.domain, vendor=h.target_system.vendor, name="Nyt system")
    h.strategy, h.target_system, h.surviving_instance = Strategy.NEW, new_system, None
    h.save()
    assert len(harmonisation_apply(harmonisation=h)) == 3
    assert Event.objects.count() == events
    # a further member's instance in the domain is converted as well
    member = MunicipalityFactory()
    merger.members.add(member)
    SystemInstanceFactory(municipality=member, system=h.domain.systems.first())
    assert len(harmonisation_apply(harmonisation=h)) == 4
    assert Event.objects.filter(verb="conversions_derived", object_id=h.pk).count() == 2
    harmonisation_apply(harmonisation=h)
    assert Event.objects.filter(verb="conversions_derived", object_id=h.pk).count() == 2


def test_keep_needs_a_survivor_running_the_target():
    merger = merger_with_runbook(municipalities=2, domains=1, instantiate=False)
    h = merger.harmonisations.get()
    h.surviving_instance = SystemInstanceFactory(municipality=merger.members.first())
    with pytest.raises(ApplicationError) as exc:
        harmonisation_apply(harmonisation=h)
    assert exc.value.field == "surviving_instance"
