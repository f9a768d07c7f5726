"""One clock: stored times are UTC; every page, local day and deadline uses GRIDWALK_TIMEZONE."""
import html
import json
import re
import uuid
from datetime import UTC, date, datetime

import pytest

from app import clock
from app.duties.services import evidence_by_user
from app.patrols.models import Patrol
from tests.support import Phone

# 00:30 on 2 December in Jinan (UTC+8) is 16:30 UTC on 1 December: the local day is not the
# UTC day, which is where a hard-coded offset or a UTC date shows.
STARTED_UTC = "2026-12-01T16:30:00Z"
CHECKIN_FIX = [1796229060, 117.0093, 36.6620, 8]  # 16:31 UTC


@pytest.fixture
def night_patrol(demo, login):
    phone = Phone(login("worker"))
    patrol_id = str(uuid.uuid4())
    assert phone.push("patrol.start", patrol_id, {"started_at": STARTED_UTC})["status"] == "applied"
    points = [[CHECKIN_FIX[0] + 10 * i, 117.0093, 36.6620 + 0.0001 * i, 8] for i in range(6)]
    chunk = phone.push("patrol.chunk", patrol_id, {"seq": 0, "points": points, "gaps": []})
    assert chunk["status"] == "applied"
    checkin = {"id": str(uuid.uuid4()), "kind": "patrol.checkin", "record_id": str(uuid.uuid4()),
               "author_id": phone.user_id, "created_at": "2026-12-01T16:31:00Z",
               "data": {"patrol_id": patrol_id, "lon": 117.0093, "lat": 36.6620, "accuracy": 8,
                        "note": "夜巡打卡"}}
    answer = phone.client.post("/api/v1/sync/push", json={"mutations": [checkin]},
                               headers={"X-CSRFToken": phone.token}).get_json()
    assert answer["results"][0]["status"] == "applied"
    assert phone.push("patrol.stop", patrol_id, {"ended_at": "2026-12-01T16:45:00Z"})["status"] == "applied"
    return patrol_id


def test_the_clock_converts_by_the_configured_zone(app, monkeypatch):
    stored = datetime(2026, 12, 1, 16, 30)
    assert clock.to_local(stored) == datetime(2026, 12, 2, 0, 30)
    assert clock.local_day(stored) == date(2026, 12, 2)
    assert clock.day_start(date(2026, 12, 2)) == datetime(2026, 12, 1, 16, 0)
    assert clock.to_utc(datetime(2026, 12, 2, 0, 30)) == stored
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "Europe/London")
    assert clock.local_day(stored) == date(2026, 12, 1)
    assert clock.day_start(date(2026, 7, 1)) == datetime(2026, 6, 30, 23, 0)  # summer time
    assert clock.client_time("2026-12-02T00:30:00+08:00") == stored
    assert clock.client_time("2026-12-01T16:30:00") == stored  # no offset: the phone's UTC
    assert clock.client_time("1999-12-31T23:59:59Z") is None


def test_an_unknown_zone_stops_the_app_at_start_with_a_clear_message(monkeypatch, tmp_path):
    from app.config import load_config

    monkeypatch.setenv("GRIDWALK_TIMEZONE", "Asia/Jinan")
    with pytest.raises(RuntimeError, match="GRIDWALK_TIMEZONE='Asia/Jinan' is not an IANA time zone"):
        load_config(str(tmp_path))


def test_a_patrol_after_local_midnight_shows_its_local_time_and_counts_for_the_local_day(
        night_patrol, login, app):
    secretary = login("secretary")
    detail = secretary.get(f"/patrols/{night_patrol}").get_data(as_text=True)
    assert "00:30" in detail and "16:30" not in detail
    assert re.search(r"00:31[^<]*夜巡打卡", detail)  # the check-in, local too
    day = secretary.get("/patrols?date=2026-12-02").get_data(as_text=True)
    assert f"/patrols/{night_patrol}" in day and ">00:30<" in day
    before = secretary.get("/patrols?date=2026-12-01").get_data(as_text=True)
    assert f"/patrols/{night_patrol}" not in before  # the UTC day is not the worker's day
    patrol = app.extensions["sqlalchemy"].session.get(Patrol, night_patrol)
    worker_id = patrol.worker_id
    from app.duties.models import DutyItem

    item = DutyItem.query.filter_by(evidence="patrol").first()
    assert evidence_by_user(item, date(2026, 12, 2), date(2026, 12, 3)).get(worker_id) == 1
    assert not evidence_by_user(item, date(2026, 12, 1), date(2026, 12, 2)).get(worker_id)


def test_pages_follow_the_configured_zone(night_patrol, login, app, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "Europe/London")
    secretary = login("secretary")
    detail = secretary.get(f"/patrols/{night_patrol}").get_data(as_text=True)
    assert "16:30" in detail and "00:30" not in detail
    # The phone's scripts use the same zone: its offsets with both summer-time switches.
    offsets = json.loads(html.unescape(re.search(r'data-tz-offsets="([^"]+)"', detail).group(1)))
    assert {minutes for _, minutes in offsets} == {0, 60} and len(offsets) >= 5
    day = secretary.get("/patrols?date=2026-12-01").get_data(as_text=True)
    assert f"/patrols/{night_patrol}" in day


def test_the_offsets_the_phone_gets_name_each_switch_to_the_minute(app, monkeypatch):
    """Adelaide (UTC+9:30) switches to summer time at 02:00 local, 16:30 UTC: a table stepped by
    whole hours put it at 17:00, and the phone showed times an hour off for half an hour."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "Australia/Adelaide")
    switch = datetime(2026, 10, 3, 16, 30, tzinfo=UTC)  # 4 October 02:00 ACST
    table = dict(clock.phone_offsets())
    assert table[int(switch.timestamp() * 1000)] == 630


def test_the_workers_home_names_the_districts_day(demo, login, app, monkeypatch):
    """The home page's "today" is the district's day, not the server's: checked in a zone 14 h
    ahead of UTC and one 11 h behind, so at any hour one of them differs from the server's."""
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", zone)
        page = login("worker").get("/").get_data(as_text=True)
        assert f"今天是 {clock.local_today().isoformat()}" in page, zone
