"""Patrols on the server: compact storage, summaries, flags, gaps, check-ins, scope, GCJ-02."""
import uuid

import pytest

from app.extensions import db
from app.geo import wgs84_to_gcj02
from app.patrols import codec
from app.patrols.geo import haversine_m
from app.patrols.models import CheckIn, Patrol, PatrolChunk
from app.patrols.services import trace_flags
from tests.support import ROUTE, T0, walk  # noqa: E402,F401


def test_codec_round_trip_and_size():
    fixes = walk(ROUTE)
    blob = codec.encode(fixes)
    back = codec.decode(blob)
    assert len(back) == len(fixes)
    for (t, lon, lat, acc), (t2, lon2, lat2, acc2) in zip(fixes, back, strict=True):
        assert t == t2 and acc == acc2 and abs(lon - lon2) < 1e-6 and abs(lat - lat2) < 1e-6
    assert len(blob) < 5 * len(fixes)  # a few bytes a fix, not a row each


# Four fixes as the first codec wrote them, before it was vectorised: rows stored then must read
# the same, and new rows must be byte for byte what it would have written.
STORED_TRACE = bytes.fromhex("78da012500daff04a0d8c6b00dd0a9cb6f909cfb22101818d8010f24fb8c019f033200"
                             "ed9cca6fc5c4e578314e82117d")
STORED_FIXES = [(1795741200, 117.009, 36.661, 8), (1795741212, 117.009012, 36.661108, 0),
                (1795741230, 116.99999, 36.6609, 25), (1795741230, -1e-06, -89.999999, 0)]


def test_codec_reads_and_writes_the_stored_format():
    assert codec.decode(STORED_TRACE) == STORED_FIXES
    assert codec.encode([*STORED_FIXES[:1], (1795741212, 117.009012, 36.661108, None),
                         *STORED_FIXES[2:]]) == STORED_TRACE
    assert codec.decode(codec.encode([])) == [] and codec.decode(b"") == []
    big = [(4102444800, 180.0, 90.0, 100000), (946684800, -180.0, -90.0, 0)]
    assert codec.decode(codec.encode(big)) == big


def test_gcj02_matches_the_published_offset():
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert abs(lon - 116.41024449916938) < 1e-7 and abs(lat - 39.91640428150164) < 1e-7
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # outside China: unchanged


def test_coverage_reaches_as_far_north_south_as_east_west():
    """15 m either side of a walked line, whichever way it runs: a walk along a 400 m square
    grid's middle covers 30 m × 400 m of it, 7.5 %, east–west as north–south."""
    import math

    from shapely.geometry import box

    from app.patrols.geo import EARTH_RADIUS_M, coverage_pct

    lon0, lat0 = 117.02, 36.67
    per_lat = math.radians(1) * EARTH_RADIUS_M
    per_lon = per_lat * math.cos(math.radians(lat0 + 200 / per_lat))
    square = box(lon0, lat0, lon0 + 400 / per_lon, lat0 + 400 / per_lat)
    mid_lon, mid_lat = lon0 + 200 / per_lon, lat0 + 200 / per_lat
    east_west = walk([((lon0, mid_lat), (lon0 + 400 / per_lon, mid_lat))])
    north_south = walk([((mid_lon, lat0), (mid_lon, lat0 + 400 / per_lat))])
    assert coverage_pct(east_west, square) == pytest.approx(7.5, abs=0.2)
    assert coverage_pct(north_south, square) == pytest.approx(7.5, abs=0.2)
    assert coverage_pct([], square) == 0.0
    half_circle_at_the_edge = 100 * math.pi * 15 ** 2 / 2 / 400 ** 2
    assert coverage_pct(east_west[:1], square) == pytest.approx(half_circle_at_the_edge, abs=0.1)


def test_flags():
    clean = walk(ROUTE)
    assert trace_flags(clean) == []
    jump = clean[:5] + [[clean[5][0], clean[5][1] + 0.05, clean[5][2], 8]] + clean[6:]
    assert "teleport" in trace_flags(jump)
    mocked = [[t, lon, lat, 0] for t, lon, lat, _ in clean]
    assert trace_flags(mocked) == ["mocked_accuracy"]
    # 20 m/s for a minute: a car, not a worker on foot or an e-bike.
    fast = walk([((117.00, 36.66), (117.03, 36.66))], step_m=200, every_s=10)
    assert "too_fast" in trace_flags(fast)


@pytest.fixture
def phone(demo, login):
    from tests.support import Phone

    return Phone(login("worker"))


def patrol_mutations(phone, fixes, chunk=50, gaps=()):
    patrol_id = str(uuid.uuid4())
    answers = [phone.push("patrol.start", patrol_id, {"started_at": "2026-11-27T01:00:00Z"})]
    for seq, i in enumerate(range(0, len(fixes), chunk)):
        answers.append(phone.push("patrol.chunk", patrol_id, {
            "seq": seq, "points": fixes[i:i + chunk], "gaps": list(gaps) if seq == 0 else []}))
    return patrol_id, answers


def test_a_walked_route_gives_the_right_summary(phone):
    fixes = walk(ROUTE)
    patrol_id, answers = patrol_mutations(phone, fixes, gaps=[["2026-11-27T01:05:00Z",
                                                              "2026-11-27T01:08:00Z", "hidden"]])
    assert {a["status"] for a in answers} == {"applied"}
    assert PatrolChunk.query.filter_by(patrol_id=patrol_id).count() == (len(fixes) + 49) // 50
    stop = phone.push("patrol.stop", patrol_id, {"ended_at": "2026-11-27T01:15:00Z"})
    assert stop["status"] == "applied"
    patrol = db.session.get(Patrol, patrol_id)
    db.session.refresh(patrol)
    expected = sum(haversine_m(a[1], a[2], b[1], b[2]) for a, b in zip(fixes, fixes[1:], strict=False))
    assert patrol.point_count == len(fixes) and abs(patrol.distance_m - expected) < 1
    assert 780 < patrol.distance_m < 800  # 333 m north, 134 m east, 322 m south
    assert patrol.duration_s == 15 * 60 and patrol.gap_count == 1 and patrol.gap_s == 180
    assert 5 < patrol.coverage_pct < 40 and patrol.flags == []
    assert patrol.status == "closed" and patrol.trace is not None
    assert PatrolChunk.query.filter_by(patrol_id=patrol_id).count() == 0  # merged into one row


def test_chunks_are_idempotent_and_an_old_patrol_can_be_closed(phone):
    fixes = walk(ROUTE)
    patrol_id = str(uuid.uuid4())
    phone.push("patrol.start", patrol_id, {"started_at": "2026-11-27T01:00:00Z"})
    mutation_data = {"seq": 0, "points": fixes[:50]}
    first = phone.push("patrol.chunk", patrol_id, mutation_data)
    again = phone.push("patrol.chunk", patrol_id, mutation_data)  # a new mutation, same seq
    assert first["status"] == "applied" and again["status"] == "conflict"
    bad = phone.push("patrol.chunk", patrol_id, {"seq": 1, "points": [["x", 1, 2, 3]]})
    assert bad["status"] == "rejected"
    # The phone died: the patrol is closed the next day at its last fix.
    closed = phone.push("patrol.stop", patrol_id, {})
    patrol = db.session.get(Patrol, patrol_id)
    db.session.refresh(patrol)
    assert closed["status"] == "applied" and patrol.ended_at.timestamp() == fixes[49][0]


def test_check_ins_count_for_the_grid_they_are_in(phone, login):
    from tests.support import Phone

    rider = Phone(login("rider"))
    answer = rider.push("patrol.checkin", str(uuid.uuid4()), {"lon": 117.0095, "lat": 36.6625,
                                                              "accuracy": 9, "note": "路口巡查"})
    assert answer["status"] == "applied" and answer["grid"] == "芙蓉街社区第1网格"
    outside = rider.push("patrol.checkin", str(uuid.uuid4()), {"lon": 116.0, "lat": 36.0})
    assert outside["status"] == "rejected"
    secretary = login("secretary")
    page = secretary.get("/patrols?date=2026-11-27").get_data(as_text=True)
    today = secretary.get("/patrols").get_data(as_text=True)
    assert "骑手小李" in page or "骑手小李" in today
    assert CheckIn.query.count() == 1


def test_supervisors_see_traces_in_scope_only(phone, login):
    fixes = walk(ROUTE)
    jump = fixes[:5] + [[fixes[5][0], fixes[5][1] + 0.05, fixes[5][2], 8]] + fixes[6:]
    patrol_id, _ = patrol_mutations(phone, jump)
    phone.push("patrol.stop", patrol_id, {"ended_at": "2026-11-27T01:20:00Z"})
    secretary = login("secretary")
    day = secretary.get("/patrols?date=2026-11-27").get_data(as_text=True)
    assert "王芳" in day and "瞬移跳点" in day
    detail = secretary.get(f"/patrols/{patrol_id}")
    assert detail.status_code == 200 and "<polyline" in detail.get_data(as_text=True)
    # Started 01:00 UTC: shown in local time (09:00), not the stored UTC hour.
    assert "2026-11-27 09:00" in detail.get_data(as_text=True) and "09:00" in day
    assert login("s-qcl-acs").get(f"/patrols/{patrol_id}").status_code == 404
    assert login("w-qcl-frj-02").get(f"/patrols/{patrol_id}").status_code == 404
    assert login("rider").get("/patrols").status_code == 404
    assert login("dept").get(f"/patrols/{patrol_id}").status_code == 404
    # Another worker cannot add to or close this patrol.
    from tests.support import Phone

    other = Phone(login("w-qcl-frj-02"))
    assert other.push("patrol.stop", patrol_id, {})["status"] == "rejected"


def test_tiles_are_optional_and_gcj02_is_for_display_only(phone, login, app):
    from app.patrols.routes import project
    from app.security import csp_for

    fixes = walk(ROUTE)
    patrol_id, _ = patrol_mutations(phone, fixes)
    secretary = login("secretary")
    plain = secretary.get(f"/patrols/{patrol_id}").get_data(as_text=True)
    assert "<image" not in plain  # no tiles by default: works offline, needs no key
    patrol = db.session.get(Patrol, patrol_id)
    url = "https://tiles.example.com/{z}/{x}/{y}.png"
    wgs = project(patrol.grid, fixes, [], url, "wgs84")
    gcj = project(patrol.grid, fixes, [], url, "gcj02")
    assert wgs["tiles"] and wgs["tiles"][0]["href"].startswith("https://tiles.example.com/")
    assert 14 <= int(wgs["tiles"][0]["href"].split("/")[3]) <= 19  # a street-level zoom
    # The shift moves the drawing against the tiles by a few hundred metres, not the stored data.
    assert gcj["tiles"] != wgs["tiles"] or gcj["trace"] != wgs["trace"]
    assert db.session.get(Patrol, patrol_id).grid.geojson == patrol.grid.geojson
    app.config["MAP_TILE_URL"] = url
    try:
        assert "https://tiles.example.com" in csp_for(app)
    finally:
        app.config["MAP_TILE_URL"] = ""
