"""The 2007 reform as data: the real map of old → new municipalities (pure, no database).

The map is ``data/reform-2007-municipalities.csv`` next to this module (a copy of the domain brief's data
set: Danmarks Statistik's codes, one row per old → new pair; columns new_code, old_code, region_code,
county_code, new_name, old_name, county_name, region_name). It holds 98 new municipalities from 270 old
ones: 65 new ones are formed from more than one old one (the mergers, 237 old municipalities); 13 old ones
are split between two or three new ones (rows marked "(del af)"); 33 stay as they are.

:func:`reform_map` parses it once. ``demo.reform_loader`` builds the national scenario from it in the
database, ``generate_reform`` and the engine benchmarks take the real member counts from it.

A split municipality is a member of every merger it feeds; its data is converted in each of them as a
*part conversion* (only the part that goes there). The models have no field for "part": the loader
records it in ``Municipality.notes`` with the line :func:`part_note` writes (it starts with
:data:`PART_NOTE_MARK`), and :func:`is_part` reads it back.
"""
from __future__ import annotations

import csv
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CSV_PATH = Path(__file__).resolve().parent / "data" / "reform-2007-municipalities.csv"
COLUMNS = ("new_code", "old_code", "region_code", "county_code", "new_name", "old_name", "county_name",
           "region_name")
PART_SUFFIX = "(del af)"
#: the start of the line in ``Municipality.notes`` that marks a split municipality
PART_NOTE_MARK = "Delt kommune (del af):"


@dataclass(frozen=True)
class Member:
    """An old municipality as a member of one new municipality (``part``: only a part of it goes there)."""

    code: str
    name: str
    county_code: str
    county_name: str
    part: bool


@dataclass(frozen=True)
class NewMunicipality:
    """A new municipality of 1 January 2007 and the old municipalities (or parts) it is formed from."""

    code: str
    name: str
    region_code: str
    region_name: str
    members: tuple[Member, ...]

    @property
    def is_merger(self) -> bool:
        return len(self.members) > 1

    @property
    def merger_name(self) -> str:
        return f"{self.name} Kommune"

    @property
    def seat(self) -> Member:
        """The member whose system survives in a generated harmonisation: the one whose name is the new
        municipality's name, else (no split part if it can be helped) the one with the highest code."""
        named = [m for m in self.members if m.name == self.name]
        if named:
            return named[0]
        whole = [m for m in self.members if not m.part] or list(self.members)
        return max(whole, key=lambda m: m.code)


@dataclass(frozen=True)
class ReformMap:
    """The whole reform: every new municipality (by code order) and every old one (code → name)."""

    new: tuple[NewMunicipality, ...]
    old_names: dict[str, str] = field(repr=False)

    @property
    def mergers(self) -> tuple[NewMunicipality, ...]:
        return tuple(n for n in self.new if n.is_merger)

    @property
    def unchanged(self) -> tuple[NewMunicipality, ...]:
        return tuple(n for n in self.new if not n.is_merger)

    @functools.cached_property
    def split(self) -> dict[str, tuple[str, ...]]:
        """Old code of every split municipality → the new codes its parts go to."""
        out: dict[str, list[str]] = defaultdict(list)
        for n in self.new:
            for m in n.members:
                if m.part:
                    out[m.code].append(n.code)
        return {code: tuple(sorted(codes)) for code, codes in sorted(out.items())}

    def merger(self, code: str) -> NewMunicipality:
        return next(n for n in self.new if n.code == code)

    def counts(self) -> dict[str, int]:
        mergers = self.mergers
        return {
            "new": len(self.new),
            "old": len(self.old_names),
            "mergers": len(mergers),
            "merger_members": len({m.code for n in mergers for m in n.members}),
            "merger_member_rows": sum(len(n.members) for n in mergers),
            "split": len(self.split),
            "unchanged": len(self.unchanged),
        }

    def member_counts(self) -> list[int]:
        """Members (parts included) of each merger, in code order: the shape of the real reform."""
        return [len(n.members) for n in self.mergers]


def _clean(name: str) -> tuple[str, bool]:
    name = name.strip()
    if name.endswith(PART_SUFFIX):
        return name[: -len(PART_SUFFIX)].strip(), True
    return name, False


def reform_map_read(lines: Iterable[str]) -> ReformMap:
    """Parse the map from CSV lines (header included); raises ValueError on a malformed file."""
    reader = csv.DictReader(lines)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"unexpected columns {reader.fieldnames!r}, expected {COLUMNS!r}")
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    old_names: dict[str, str] = {}
    for row in reader:
        name, _part = _clean(row["old_name"])
        if old_names.setdefault(row["old_code"], name) != name:
            raise ValueError(f"old code {row['old_code']} has two names")
        rows[row["new_code"]].append(row)
    new = []
    for code in sorted(rows):
        group = sorted(rows[code], key=lambda r: r["old_code"])
        members = []
        for r in group:
            name, part = _clean(r["old_name"])
            members.append(Member(r["old_code"], name, r["county_code"], r["county_name"], part))
        first = group[0]
        new.append(NewMunicipality(code, first["new_name"].strip(), first["region_code"], first["region_name"],
                                   tuple(members)))
    return ReformMap(tuple(new), dict(sorted(old_names.items())))


@functools.cache
def reform_map(path: Path = CSV_PATH) -> ReformMap:
    """The reform map of the CSV at ``path`` (by default the copy shipped with mergeplan), read once."""
    with open(path, encoding="utf-8", newline="") as f:
        return reform_map_read(f)


def part_note(code: str, rmap: ReformMap) -> str:
    """The line that marks a split municipality in its notes, naming the mergers its parts go to."""
    names = [f"{rmap.merger(c).merger_name} ({c})" for c in rmap.split[code]]
    listed = ", ".join(names[:-1]) + " og " + names[-1] if len(names) > 1 else names[0]
    return (f"{PART_NOTE_MARK} kun en del går til hver af {listed}; dens data konverteres som "
            f"delkonvertering i hver sammenlægning.")


def is_part(notes: str) -> bool:
    """Whether a municipality's notes mark it as split by the reform (see :func:`part_note`)."""
    return PART_NOTE_MARK in (notes or "")
