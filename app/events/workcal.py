"""Working time for event deadlines: working hours on working days, skipping weekends and public
holidays and counting make-up working days (调休).

The calendar is chinese-calendar's (the State Council's announced years) with the admin's
overrides on top, which also cover years not yet in the package.
"""
from datetime import date, datetime, time, timedelta

import chinese_calendar

from ..extensions import db

# Office hours of Jinan's district offices: 08:30–12:00 and 13:30–17:30, local time.
WORK_PERIODS = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
HOURS_PER_DAY = 7.5


class HolidayOverride(db.Model):
    """An admin's word on one day: a working day or not, whatever the package says."""

    __tablename__ = "holiday_override"

    day = db.Column(db.Date, primary_key=True)
    workday = db.Column(db.Boolean, nullable=False)
    name = db.Column(db.String(60), nullable=False, default="")


def set_holiday(day: date, workday: bool, name: str) -> HolidayOverride:
    """The admin's word on a day: off, or a make-up working day. Audited; the caller commits."""
    from ..audit import services as audit

    row = db.session.get(HolidayOverride, day) or HolidayOverride(day=day)
    row.workday, row.name = workday, name
    db.session.add(row)
    audit.record("holiday.set", object_type="holiday_override", object_id=day.isoformat(),
                 detail={"workday": workday, "name": name})
    return row


def remove_holiday(day: date) -> None:
    row = db.session.get(HolidayOverride, day)
    if row is not None:
        from ..audit import services as audit

        db.session.delete(row)
        audit.record("holiday.delete", object_type="holiday_override", object_id=day.isoformat())


def is_workday(day: date, overrides=None) -> bool:
    if overrides is None:
        row = db.session.get(HolidayOverride, day)
        overrides = {day: row.workday} if row else {}
    if day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not know yet: weekdays work
        return day.weekday() < 5


def _overrides(start: date, end: date):
    rows = db.session.execute(db.select(HolidayOverride.day, HolidayOverride.workday)
                              .where(HolidayOverride.day.between(start, end)))
    return dict(rows.all())


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment ``hours`` of working time after ``start`` (local time, naive)."""
    remaining = timedelta(hours=hours)
    overrides = _overrides(start.date(), start.date() + timedelta(days=int(hours / HOURS_PER_DAY * 3) + 30))
    day, moment = start.date(), start
    while True:
        if is_workday(day, overrides):
            for begin, end in WORK_PERIODS:
                period_start = max(datetime.combine(day, begin), moment)
                period_end = datetime.combine(day, end)
                if period_start >= period_end:
                    continue
                available = period_end - period_start
                if remaining <= available:
                    return period_start + remaining
                remaining -= available
        day += timedelta(days=1)
        moment = datetime.combine(day, time.min)


def add_working_days(start: datetime, days: int) -> datetime:
    """End of the ``days``-th working day after ``start``'s day (17:30 local)."""
    overrides = _overrides(start.date(), start.date() + timedelta(days=days * 3 + 30))
    day, counted = start.date(), 0
    while counted < days:
        day += timedelta(days=1)
        if is_workday(day, overrides):
            counted += 1
    return datetime.combine(day, WORK_PERIODS[-1][1])


def deadline(start: datetime, value: int, unit: str) -> datetime:
    return add_working_hours(start, value) if unit == "hours" else add_working_days(start, value)
