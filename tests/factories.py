"""Factories for tests. ``merger_with_runbook`` builds a small but complete merger: members, vendors,
domains, systems, instances, harmonisations, conversions, a template and its runbook. Conversions follow
``systems.services.harmonisation_apply``: every member's instance in an area that holds data (the
surviving one included), none in areas without data or converted centrally."""
from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from municipalities.models import DispensationStatus, Membership, Merger, Municipality, Role
from runbook.models import (
    Phase,
    RunbookTemplate,
    Scope,
    StepKind,
    TemplateDependency,
    TemplateStep,
)
from systems.models import Domain, Harmonisation, Strategy, System, SystemInstance, Vendor


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.dk")
    password = factory.django.Password("pw")


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    code = factory.Sequence(lambda n: str(700 + n))
    name = factory.Sequence(lambda n: f"Kommune {n}")
    county = "Sønderjyllands Amt"
    population = 5000


class MergerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merger
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Ny Kommune {n}")
    code = factory.Sequence(lambda n: str(900 + n))
    legal_date = dt.date(2007, 1, 1)
    dispensation_status = DispensationStatus.APPLIED
    dispensation_date = dt.date(2006, 7, 1)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merger = factory.SubFactory(MergerFactory)
    role = Role.VIEWER


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"vendor{n}")
    name = factory.LazyAttribute(lambda o: o.code.upper())
    weekly_cutover_capacity = 2


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"domain{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    name_en = factory.LazyAttribute(lambda o: o.code.title())
    holds_data = True
    central_conversion = False


class SystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = System

    vendor = factory.SubFactory(VendorFactory)
    domain = factory.SubFactory(DomainFactory)
    name = factory.Sequence(lambda n: f"System {n}")


class SystemInstanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SystemInstance

    municipality = factory.SubFactory(MunicipalityFactory)
    system = factory.SubFactory(SystemFactory)


def small_template(name: str = "Testdrejebog") -> RunbookTemplate:
    """A template with each scope: 1 survey (merger) → 2 prepare (area) → 3 convert (conversion)
    → 4 go/no-go (merger checkpoint) → 5 cutover (area) → 6 go-live (merger milestone)."""
    template = RunbookTemplate.objects.create(name=name, version=1)
    phase = Phase.objects.create(template=template, number=1, name="Fase", name_en="Phase")
    spec = [
        (1, "Kortlæg", StepKind.TASK, 5, Scope.MERGER, Role.IT_CHIEF),
        (2, "Forbered", StepKind.TASK, 3, Scope.AREA, Role.VENDOR_ADVISOR),
        (3, "Konverter", StepKind.TASK, 2, Scope.CONVERSION, Role.COORDINATOR),
        (4, "Go/no-go", StepKind.CHECKPOINT, 1, Scope.MERGER, Role.IT_CHIEF),
        (5, "Omlægning", StepKind.CUTOVER, 1, Scope.AREA, Role.VENDOR_ADVISOR),
        (6, "Go-live", StepKind.MILESTONE, 0, Scope.MERGER, Role.IT_CHIEF),
    ]
    steps = {}
    for number, name_da, kind, days, scope, role in spec:
        steps[number] = TemplateStep.objects.create(
            template=template, phase=phase, number=number, name=name_da, name_en=name_da,
            kind=kind, duration_days=days, scope=scope, responsible_role=role,
        )
    for pred, succ in [(1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]:
        TemplateDependency.objects.create(predecessor=steps[pred], successor=steps[succ])
    return template


def template_from(
    steps: list[tuple[int, str, str, int, str]],
    deps: list[tuple[int, int] | tuple[int, int, str]],
    *,
    name: str = "Skabelon",
    fields: dict[int, dict] | None = None,
) -> RunbookTemplate:
    """A template from (number, name, kind, days, scope) rows and (predecessor, successor[, area]) links;
    ``fields`` adds TemplateStep fields per number (direction, needs_users, plan_tag, data_areas_only …)."""
    template = RunbookTemplate.objects.create(name=name, version=1)
    phase = Phase.objects.create(template=template, number=1, name="Fase", name_en="Phase")
    created = {
        number: TemplateStep.objects.create(
            template=template, phase=phase, number=number, name=name_da, name_en=name_da, kind=kind,
            duration_days=days, scope=scope, responsible_role=Role.IT_CHIEF, **(fields or {}).get(number, {}),
        )
        for number, name_da, kind, days, scope in steps
    }
    for pred, succ, *area in deps:
        TemplateDependency.objects.create(
            predecessor=created[pred], successor=created[succ], area=area[0] if area else ""
        )
    return template


def merger_with_runbook(*, municipalities: int = 3, domains: int = 2, chief=None, instantiate: bool = True):
    """A merger of ``municipalities`` members, each running one KMD system per domain (``area0``, ``area1``
    …, all holding data); harmonised to keep the first member's instance, so every member's instance is
    converted. Returns the merger (with ``.runbook`` when instantiated)."""
    from runbook.services import runbook_instantiate
    from systems.services import harmonisation_apply

    members = [MunicipalityFactory() for _ in range(municipalities)]
    merger = MergerFactory(members=members)
    if chief is not None:
        MembershipFactory(user=chief, merger=merger, role=Role.IT_CHIEF)
    kmd = VendorFactory(code="kmd", name="KMD", weekly_cutover_capacity=2)
    for d in range(domains):
        domain = DomainFactory(code=f"area{d}", position=d)
        system = SystemFactory(vendor=kmd, domain=domain, name=f"KMD {domain.code} {merger.code}")
        instances = [SystemInstanceFactory(municipality=m, system=system) for m in members]
        h = Harmonisation.objects.create(
            merger=merger, domain=domain, target_system=system, strategy=Strategy.KEEP,
            surviving_instance=instances[0],
        )
        harmonisation_apply(harmonisation=h)
    if instantiate:
        runbook_instantiate(merger=merger, template=small_template(f"T{merger.code}"))
        merger.refresh_from_db()
    return merger
