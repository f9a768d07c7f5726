"""The app's one clock. Stored times are naive UTC; the district's local time zone comes from
``GRIDWALK_TIMEZONE`` (an IANA name, Asia/Shanghai by default) and is used for every local day
(duties, supervision, the command centre's periods, working-time deadlines) and for every time
shown, in pages (the ``|local`` filter, through Flask-Babel) and on the phone (``data-tz``)."""
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"
# Times a phone may claim: anything outside is a broken clock or a forged record, and would not
# fit the columns (or Python's dates) once converted.
EARLIEST, LATEST = datetime(2000, 1, 1), datetime(2100, 1, 1)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def check_zone(name: str) -> str:
    """The zone name if it is one this machine knows; a clear error at start-up otherwise."""
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"GRIDWALK_TIMEZONE={name!r} is not an IANA time zone") from exc
    return name


def zone_name() -> str:
    if has_app_context():
        return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_ZONE
    return DEFAULT_ZONE


def zone() -> ZoneInfo:
    return _zone(zone_name())


def now() -> datetime:
    """Now, as stored: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """A stored (naive UTC) time as naive local wall-clock time."""
    return moment.replace(tzinfo=UTC).astimezone(zone()).replace(tzinfo=None)


def to_utc(wall: datetime) -> datetime:
    """A naive local wall-clock time as a stored (naive UTC) time."""
    return wall.replace(tzinfo=zone()).astimezone(UTC).replace(tzinfo=None)


def local_today() -> date:
    return to_local(now()).date()


def local_day(moment: datetime) -> date:
    """The local day a stored time falls on."""
    return to_local(moment).date()


def day_start(day: date) -> datetime:
    """The stored (naive UTC) moment the local day begins."""
    return to_utc(datetime.combine(day, time.min))


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in stored time covering the local days first..last inclusive."""
    return day_start(first), day_start(last + timedelta(days=1))


@lru_cache(maxsize=8)
def _offsets(name: str, year: int) -> tuple:
    tz = _zone(name)
    start = datetime(year - 1, 1, 1, tzinfo=UTC)
    offset = lambda t: int(t.astimezone(tz).utcoffset().total_seconds() // 60)  # noqa: E731
    changes = [(int(start.timestamp() * 1000), offset(start))]
    hour, minute, t = timedelta(hours=1), timedelta(minutes=1), start
    while t < datetime(year + 2, 1, 1, tzinfo=UTC):
        t += hour
        if offset(t) != changes[-1][1]:
            # The switch happened within this hour: find its minute (zones such as Adelaide
            # or St John's switch on the half hour).
            at = t - hour
            while offset(at) == changes[-1][1]:
                at += minute
            changes.append((int(at.timestamp() * 1000), offset(at)))
    return tuple(changes)


def phone_offsets() -> list:
    """[from epoch ms, minutes east of UTC] for last year to the end of next: the phone formats
    local times from these, offline, without the cost of building an Intl formatter."""
    return [list(c) for c in _offsets(zone_name(), now().year)]


def client_time(value):
    """A phone's ISO 8601 time as naive UTC, or None when it is not one, or not in 2000–2100.
    A time without an offset is taken as UTC: the phone sends toISOString()."""
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None
    return parsed if EARLIEST <= parsed < LATEST else None


def recorded_at(value) -> datetime:
    """When a phone says something was done (its ISO time): never later than now, and now when it
    gives none or a time that is not one. Records made offline keep the moment they were made."""
    claimed = client_time(value) if value else None
    moment = now()
    return min(claimed, moment) if claimed else moment
