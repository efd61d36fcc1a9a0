"""The demo's people: the users (one published password) and their roles in the Tønder merger.

``make run`` prints :data:`DEMO_USERS`. Users are created once: a password is set when its user is
created and never reset, so a demo user who changed theirs keeps it after re-seeding.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from demo.inventory import MUNICIPALITIES
from municipalities.models import Membership, Merger, Municipality, Role
from systems.models import Vendor

DEMO_PASSWORD = "mergeplan-demo"  # noqa: S105 - the demo's published password
#: KMD's advisor, who serves the demo's mergers and every merger the reform loader creates, and her vendor
ADVISOR_USERNAME = "kmd-raadgiver"
ADVISOR_VENDOR = "kmd"

#: (username, role description) — printed by ``make run``.
DEMO_USERS: list[tuple[str, str]] = [
    ("admin", "superuser (Django admin)"),
    ("bent", "IT chief of the Tønder Kommune merger (Bent Johannsen)"),
    ("koord-toender", "municipal coordinator, Tønder"),
    ("koord-hoejer", "municipal coordinator, Højer"),
    ("koord-bredebro", "municipal coordinator, Bredebro"),
    ("koord-loegumkloster", "municipal coordinator, Løgumkloster"),
    ("koord-skaerbaek", "municipal coordinator, Skærbæk"),
    ("koord-noerre-rangstrup", "municipal coordinator, Nørre-Rangstrup"),
    ("kmd-raadgiver", "vendor advisor, KMD"),
    ("laeser", "viewer (read only)"),
]


def users_seed(merger: Merger, municipalities: dict[str, Municipality], vendors: dict[str, Vendor]) -> dict:
    """The demo users (password ``mergeplan-demo``) and their roles in the merger. Passwords are set
    when a user is created, never reset."""
    User = get_user_model()  # noqa: N806
    encoded: list[str] = []  # hashed once: a strong hash costs a second or more, and it is one password

    def user(username: str, first: str, last: str, **flags: bool):
        obj, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.dk", **flags},
        )
        if created:
            if not encoded:
                encoded.append(make_password(DEMO_PASSWORD))
            obj.password = encoded[0]
            obj.save(update_fields=["password"])
        return obj

    users = {
        "admin": user("admin", "Admin", "", is_staff=True, is_superuser=True),
        "bent": user("bent", "Bent", "Johannsen", is_staff=True),
        ADVISOR_USERNAME: user(ADVISOR_USERNAME, "Karen", "Mortensen"),
        "laeser": user("laeser", "Læser", "Sammenlægningsudvalget"),
    }
    Membership.objects.get_or_create(user=users["bent"], merger=merger, role=Role.IT_CHIEF)
    Membership.objects.get_or_create(
        user=users[ADVISOR_USERNAME], merger=merger, role=Role.VENDOR_ADVISOR, defaults={"vendor": vendors[ADVISOR_VENDOR]}
    )
    Membership.objects.get_or_create(user=users["laeser"], merger=merger, role=Role.VIEWER)
    for code, name, *_facts, username, _notes in MUNICIPALITIES:
        users[username] = user(username, "Koordinator", name)
        Membership.objects.get_or_create(
            user=users[username],
            merger=merger,
            role=Role.COORDINATOR,
            defaults={"municipality": municipalities[code]},
        )
    return users
