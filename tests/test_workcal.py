"""Deadlines in working time: weekends, a public holiday and its make-up working day (调休)."""
from datetime import date, datetime

from app.events.workcal import HolidayOverride, add_working_days, add_working_hours, is_workday
from app.extensions import db


def test_national_day_2026_and_its_make_up_saturday(app):
    assert not is_workday(date(2026, 10, 1))  # 国庆
    assert not is_workday(date(2026, 10, 7))
    assert is_workday(date(2026, 10, 10))  # a Saturday worked to make up
    assert not is_workday(date(2026, 10, 11))  # a plain Sunday


def test_working_hours_skip_nights_lunch_and_weekends(app):
    # Friday 16:30 + 4 working hours: 1 h on Friday, then Monday 08:30 → 11:30.
    assert add_working_hours(datetime(2026, 11, 27, 16, 30), 4) == datetime(2026, 11, 30, 11, 30)
    # Reported during lunch: the clock starts at 13:30.
    assert add_working_hours(datetime(2026, 11, 26, 12, 15), 2) == datetime(2026, 11, 26, 15, 30)


def test_working_days_across_a_holiday_and_a_make_up_day(app):
    # Reported Wednesday 30 Sep 2026; 3 working days: 1–7 Oct are off, then 8 Oct (Thu),
    # 9 Oct (Fri) and 10 Oct — the make-up Saturday — so the deadline is that Saturday.
    assert add_working_days(datetime(2026, 9, 30, 10, 0), 3) == datetime(2026, 10, 10, 17, 30)
    # Half an hour left on 30 Sep, the other half on 8 Oct.
    assert add_working_hours(datetime(2026, 9, 30, 17, 0), 1) == datetime(2026, 10, 8, 9, 0)


def test_admin_overrides_win_and_cover_unknown_years(app):
    # 2030 is not in the package: weekdays work, unless the admin says otherwise.
    assert is_workday(date(2030, 1, 2))
    db.session.add(HolidayOverride(day=date(2030, 1, 2), workday=False, name="临时放假"))
    db.session.commit()
    assert not is_workday(date(2030, 1, 2))
    assert add_working_days(datetime(2030, 1, 1, 9, 0), 1) == datetime(2030, 1, 3, 17, 30)
