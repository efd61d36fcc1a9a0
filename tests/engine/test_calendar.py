"""The working-day calendar, hand-checked against the Danish calendar of 2006–2007."""

from __future__ import annotations

import pickle
from datetime import date

import pytest

from engine.calendar import FreezeWindow, WorkCalendar, danish_holiday_names, month_end_freezes

D = date
KMD_CLOSURE = FreezeWindow(D(2006, 12, 22), D(2007, 1, 1), "KMD lukket", vendor="KMD")



@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar.danish([2006, 2007], [KMD_CLOSURE])


def test_danish_holidays_2006(cal):
    expected = {
        D(2006, 1, 1),  # nytårsdag (a Sunday)
        D(2006, 4, 13),  # skærtorsdag
        D(2006, 4, 14),  # langfredag
        D(2006, 4, 16),  # påskedag
        D(2006, 4, 17),  # 2. påskedag
        D(2006, 5, 12),  # store bededag
        D(2006, 5, 25),  # Kristi himmelfartsdag
        D(2006, 6, 4),  # pinsedag
        D(2006, 6, 5),  # 2. pinsedag and grundlovsdag
        D(2006, 12, 24),  # juleaften
        D(2006, 12, 25),  # juledag
        D(2006, 12, 26),  # 2. juledag
        D(2006, 12, 31),  # nytårsaften (a Sunday in 2006)
    }
    assert {d for d in cal.holidays if d.year == 2006} == expected
    assert D(2007, 12, 31) in cal.holidays and not cal.is_working_day(D(2007, 12, 31))  # a Monday
    assert D(2007, 1, 1) in cal.holidays
    assert D(2007, 6, 5) in cal.holidays  # grundlovsdag on a Tuesday in 2007
    assert D(2006, 5, 1) not in cal.holidays  # 1 May is not a public holiday


def test_danish_holiday_names():
    names = danish_holiday_names([2006])
    assert names[D(2006, 4, 14)] == "Langfredag"
    assert names[D(2006, 5, 12)] == "Store bededag"
    assert names[D(2006, 6, 5)] == "Anden pinsedag; Grundlovsdag"
    assert names[D(2006, 12, 24)] == "Juleaften"
    assert list(names) == sorted(names)


def test_is_working_day(cal):
    assert cal.is_working_day(D(2006, 4, 12))  # Wednesday before Easter
    assert not cal.is_working_day(D(2006, 4, 13))  # skærtorsdag
    assert not cal.is_working_day(D(2006, 7, 1))  # Saturday
    assert not cal.is_working_day(D(2006, 6, 5))
    # A freeze window does not stop work, only go-lives.
    assert cal.is_working_day(D(2006, 12, 22))


def test_next_and_previous_working_day(cal):
    assert cal.next_working_day(D(2006, 7, 1)) == D(2006, 7, 3)  # Saturday → Monday
    assert cal.next_working_day(D(2006, 7, 3)) == D(2006, 7, 3)
    assert cal.next_working_day(D(2006, 4, 13)) == D(2006, 4, 18)  # over Easter
    assert cal.next_working_day(D(2007, 1, 1)) == D(2007, 1, 2)  # the big bang day
    assert cal.next_working_day(D(2006, 12, 23)) == D(2006, 12, 27)
    assert cal.previous_working_day(D(2006, 4, 17)) == D(2006, 4, 12)
    assert cal.previous_working_day(D(2007, 1, 1)) == D(2006, 12, 29)
    assert cal.previous_working_day(D(2006, 12, 29)) == D(2006, 12, 29)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2006, 4, 12), 1, D(2006, 4, 18)),  # Wed before Easter + 1 → Tue after 2. påskedag
        (D(2006, 4, 11), 3, D(2006, 4, 19)),
        (D(2006, 4, 18), -1, D(2006, 4, 12)),
        (D(2006, 4, 10), 10, D(2006, 4, 27)),
        (D(2006, 5, 11), 1, D(2006, 5, 15)),  # over store bededag
        (D(2006, 5, 24), 1, D(2006, 5, 26)),  # over Kristi himmelfart
        (D(2006, 6, 2), 1, D(2006, 6, 6)),  # over 2. pinsedag / grundlovsdag
        (D(2006, 12, 22), 1, D(2006, 12, 27)),  # over juleaften, juledag, 2. juledag
        (D(2006, 12, 29), 1, D(2007, 1, 2)),  # over nytårsdag
        (D(2006, 12, 21), 5, D(2007, 1, 2)),  # 22, 27, 28, 29 Dec, 2 Jan
        (D(2007, 1, 2), -2, D(2006, 12, 28)),
        (D(2006, 12, 27), 0, D(2006, 12, 27)),
        (D(2006, 7, 1), 0, D(2006, 7, 3)),  # from a Saturday: + 0 is the next working day
        (D(2006, 7, 1), 1, D(2006, 7, 3)),
        (D(2006, 7, 1), -1, D(2006, 6, 30)),
    ],
)
def test_add_working_days(cal, start, n, expected):
    assert cal.add_working_days(start, n) == expected


def test_working_days_between(cal):
    # [10 Apr, 21 Apr): 10, 11, 12, 18, 19, 20 — Easter takes 13, 14 and 17.
    assert cal.working_days_between(D(2006, 4, 10), D(2006, 4, 21)) == 6
    assert cal.working_days_between(D(2006, 4, 21), D(2006, 4, 10)) == -6
    assert cal.working_days_between(D(2006, 4, 10), D(2006, 4, 10)) == 0
    # December 2006 from the closure to the big bang: 22, 27, 28, 29.
    assert cal.working_days_between(D(2006, 12, 22), D(2007, 1, 2)) == 4
    # Whole year 2006: 260 weekdays minus the 8 holidays on weekdays.
    assert cal.working_days_between(D(2006, 1, 1), D(2007, 1, 1)) == 252


def test_add_and_between_agree(cal):
    start = D(2006, 1, 2)
    for n in range(0, 300, 7):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_far_dates_widen_the_table_and_indices_stay(cal):
    fresh = WorkCalendar(holidays=[D(2006, 4, 14), D(1999, 12, 31)])
    before = fresh.index_of(D(2006, 7, 3))
    assert fresh.add_working_days(D(2006, 1, 2), 5 * 52 * 40) > D(2045, 1, 1)
    assert fresh.next_working_day(D(1901, 1, 1)) == D(1901, 1, 1)
    assert fresh.index_of(D(2006, 7, 3)) == before
    assert fresh.index_of(D(2000, 1, 3)) == 0
    assert cal.add_working_days(D(2006, 1, 2), 5 * 52 * 40) > D(2045, 1, 1)
    assert cal.next_working_day(D(1950, 1, 1)) == D(1950, 1, 2)  # no holidays known that year: weekends only
    i = cal.index_of(D(2006, 7, 3))
    assert cal.date_of(i) == D(2006, 7, 3)
    assert cal.date_of(i + 1) == D(2006, 7, 4)


def test_freeze_window():
    w = FreezeWindow(D(2006, 6, 28), D(2006, 6, 30), "Lønkørsel", domain="payroll")
    assert w.contains(D(2006, 6, 28)) and w.contains(D(2006, 6, 30))
    assert not w.contains(D(2006, 7, 3))
    assert w.applies_to("payroll", "KMD") and w.applies_to("payroll", None)
    assert not w.applies_to("finance", "KMD")
    assert KMD_CLOSURE.applies_to("payroll", "KMD") and KMD_CLOSURE.applies_to(None, "KMD")
    assert not KMD_CLOSURE.applies_to("payroll", "Silkeborg Data")
    both = FreezeWindow(D(2006, 1, 1), D(2006, 1, 31), "x", domain="finance", vendor="Fujitsu")
    assert both.applies_to("finance", "Fujitsu")
    assert not both.applies_to("finance", "KMD") and not both.applies_to("esdh", "Fujitsu")
    everything = FreezeWindow(D(2006, 1, 1), D(2006, 1, 31), "x")
    assert everything.applies_to(None, None) and everything.applies_to("esdh", "KMD")


def test_freeze_at(cal):
    assert cal.freeze_at(D(2006, 12, 27), "payroll", "KMD") == KMD_CLOSURE
    assert cal.freeze_at(D(2006, 12, 27), "payroll", "Silkeborg Data") is None
    assert cal.freeze_at(D(2007, 1, 2), "payroll", "KMD") is None
    assert cal.freeze_at(D(2006, 12, 21), None, "KMD") is None


def test_month_end_freezes():
    windows = month_end_freezes(domain="payroll", start=D(2006, 4, 1), end=D(2006, 12, 31), label="Lønkørsel")
    assert len(windows) == 9
    spans = {(w.start, w.end) for w in windows}
    assert (D(2006, 4, 26), D(2006, 4, 28)) in spans  # 30 Apr is a Sunday
    assert (D(2006, 6, 28), D(2006, 6, 30)) in spans
    assert (D(2006, 7, 27), D(2006, 7, 31)) in spans  # Thu, Fri, Mon 31 Jul
    assert (D(2006, 12, 27), D(2006, 12, 29)) in spans  # after the Christmas holidays
    assert all(w.domain == "payroll" and w.vendor is None and w.label == "Lønkørsel" for w in windows)
    # Two run days (June: 29–30, July: 28 and 31), clipped to the range.
    clipped = month_end_freezes(
        domain="payroll", start=D(2006, 6, 30), end=D(2006, 7, 28), days=2, label="Løn"
    )
    assert [(w.start, w.end) for w in clipped] == [
        (D(2006, 6, 30), D(2006, 6, 30)),
        (D(2006, 7, 28), D(2006, 7, 28)),
    ]
    assert month_end_freezes(domain="payroll", start=D(2006, 6, 1), end=D(2006, 7, 27), days=2, label="Løn")[
        -1
    ].end == D(2006, 6, 30)
    assert month_end_freezes(domain="payroll", start=D(2006, 7, 1), end=D(2006, 7, 20), label="Løn") == []


def test_calendar_equality_and_pickling(cal):
    same = WorkCalendar.danish([2007, 2006], [KMD_CLOSURE])
    assert same == cal and hash(same) == hash(cal)
    assert WorkCalendar.danish([2006]) != cal
    copy = pickle.loads(pickle.dumps(cal))
    assert copy == cal
    assert copy.add_working_days(D(2006, 12, 29), 1) == D(2007, 1, 2)


def test_freezes_are_kept_in_date_order():
    late = FreezeWindow(D(2006, 12, 1), D(2006, 12, 31), "late")
    early = FreezeWindow(D(2006, 1, 1), D(2006, 1, 31), "early")
    assert WorkCalendar(freezes=[late, early]).freezes == (early, late)


def test_pay_days_are_the_last_banking_day_of_the_month(cal):
    assert cal.pay_day_on_or_after(D(2007, 1, 2)) == D(2007, 1, 31)  # a Wednesday
    assert cal.pay_day_on_or_after(D(2006, 12, 1)) == D(2006, 12, 29)  # 31 Dec is nytårsaften
    assert cal.pay_day_on_or_after(D(2006, 6, 30)) == D(2006, 6, 30)
    assert cal.pay_day_on_or_after(D(2006, 7, 1)) == D(2006, 7, 31)
    assert cal.pay_day_on_or_before(D(2006, 7, 30)) == D(2006, 6, 30)


def test_rule_windows_expand_fællesferie_runs_and_year_end(cal):
    from engine.calendar import WORK, RuleSpec, rule_windows

    summer = rule_windows(RuleSpec("summer_holiday", "Fællesferie", blocks=WORK, week_from=28, week_to=30),
                          [2006, 2007], cal)
    assert [(w.start, w.end, w.blocks) for w in summer] == [
        (D(2006, 7, 10), D(2006, 7, 30), WORK), (D(2007, 7, 9), D(2007, 7, 29), WORK),
    ]
    runs = rule_windows(RuleSpec("payroll_run", "Lønkørsel", domain="payroll", days=5), [2007], cal)
    assert len(runs) == 12 and (runs[0].start, runs[0].end) == (D(2007, 1, 25), D(2007, 1, 31))
    assert all(w.domain == "payroll" for w in runs)
    year_end = rule_windows(RuleSpec("year_end", "Årsafslutning", domain="finance", month_from=12, day_from=1,
                                     month_to=12, day_to=31), [2006], cal)
    assert [(w.start, w.end) for w in year_end] == [(D(2006, 12, 1), D(2006, 12, 31))]
    with pytest.raises(ValueError):
        rule_windows(RuleSpec("party", "x"), [2006], cal)
