"""Assessment (考核): October 2026 for the demo community 芙蓉街, with activity put in by hand and
every figure worked out here from the checklist and the documented formula."""
import csv
import io
import uuid
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from app.auth.models import User
from app.duties.assessment import assess, breakdown, grids_under
from app.events.models import Event, EventCategory
from app.extensions import db
from app.org.models import Grid, OrgUnit
from app.patrols.models import Patrol
from app.registry.models import RegistryRecord
from tests.support import Phone

OCTOBER = date(2026, 10, 15)
NOV_TODAY = date(2026, 11, 28)

# Hand-worked figures for the worker 王芳 (see docs/assessment.md for the formula).
# Scored items: 42 minus 5 manual items minus 2 'as needed' (target 0) items = 35.
DAILY_PATROL = 10 / 31 * 100           # 日常巡查: 10 patrols of 31 expected (daily, 1)
NIGHT_PATROL = 100.0                   # 夜间及节假日巡查: 10 of 2 (monthly), capped
QUICK_REPORTS = 4 / (5 * 31 / 7) * 100  # 随手拍上报: 4 of 5 a week over 31 days
COMPLETION = (DAILY_PATROL + NIGHT_PATROL + QUICK_REPORTS) / 35
PATROL_SHARE = 20 / 44                 # 10 × 2 h of 44 h a month
COLLECTION_SHARE = 3 / 30              # 3 new records of 30 a month
TIMELINESS = 3 / 4                     # 3 of the grid's 4 closed events on time
SCORE = 50 * COMPLETION / 100 + 20 * PATROL_SHARE + 15 * COLLECTION_SHARE + 15 * TIMELINESS


@pytest.fixture
def october(demo, login):
    worker = User.query.filter_by(username="worker").one()
    grid = Grid.query.filter_by(code="LX-QCL-FRJ-01").one()
    for day in range(1, 11):  # ten two-hour patrols, 10:00 local time
        start = datetime(2026, 10, day, 2, 0)
        db.session.add(Patrol(id=str(uuid.uuid4()), worker_id=worker.id, grid_id=grid.id, started_at=start,
                              ended_at=start.replace(hour=4), status="closed", duration_s=7200,
                              coverage_pct=80 if day % 2 else 60))
    category = EventCategory.query.filter_by(code="JM01").one()
    for k, close_type in enumerate(["on_time", "on_time", "on_time", "overdue"]):
        at = datetime(2026, 10, 5 + k, 1, 0)
        db.session.add(Event(id=str(uuid.uuid4()), category_id=category.id, description="占道经营",
                             lon=117.02, lat=36.66, grid_id=grid.id, source="grid_worker",
                             reporter_id=worker.id, state="closed", reported_at=at,
                             closed_at=at.replace(hour=9),
                             close_type=close_type))
    db.session.commit()
    phone = Phone(login("worker"))
    for n in range(3):
        record_id, answer = phone.create("building", {"name": f"芙蓉街{n + 20}号楼", "address": "芙蓉街"})
        assert answer["status"] == "applied", answer
        db.session.get(RegistryRecord, record_id).created_at = datetime(2026, 10, 20, 3, 0)
    db.session.commit()
    return worker


def community():
    return OrgUnit.query.filter_by(code="LX-QCL-FRJ").one()


def test_worker_figures_match_the_hand_computed_ones(october):
    result = assess(grids_under(community()), "month", OCTOBER, today=NOV_TODAY)
    assert result["days"] == 31 and len(result["workers"]) == 4  # worker, leader, two others
    row = next(r for r in result["workers"] if r["user_id"] == october.id)
    assert row["items"]["01.1"] == (10, pytest.approx(DAILY_PATROL))
    assert row["items"]["01.3"] == (10, 100.0)
    assert row["items"]["06.1"] == (4, pytest.approx(QUICK_REPORTS))
    assert row["completion"] == pytest.approx(COMPLETION, abs=0.06)
    assert row["patrol_hours"] == 20 and row["patrols"] == 10 and row["coverage"] == 70
    assert row["collections"] == 3
    assert (row["events_closed"], row["on_time"], row["timeliness"]) == (4, 3, 75.0)
    assert row["score"] == pytest.approx(SCORE, abs=0.06)
    leader = next(r for r in result["workers"] if r["name"] == "赵网格长")
    # Nothing done; shares the grid's event timeliness.
    assert leader["completion"] == 0 and leader["score"] == pytest.approx(15 * TIMELINESS, abs=0.06)
    others = [r for r in result["workers"] if r["grid_id"] != row["grid_id"]]
    assert [r["score"] for r in others] == [15.0, 15.0]  # no events closed there: full marks


def test_community_grid_and_street_roll_up(october):
    unit = community()
    result = assess(grids_under(unit), "month", OCTOBER, today=NOV_TODAY)
    rows, total, child = breakdown(unit, result)
    assert child == "id" and len(rows) == 3
    frj1 = next(r for r in rows if r["name"] == "芙蓉街社区第1网格")
    assert frj1["workers"] == 2 and frj1["patrol_hours"] == 20 and frj1["timeliness"] == 75.0
    assert frj1["completion"] == pytest.approx(COMPLETION / 2, abs=0.06)
    assert total["workers"] == 4 and total["collections"] == 3 and total["events_closed"] == 4
    assert total["score"] == pytest.approx((SCORE + 15 * TIMELINESS + 15 + 15) / 4, abs=0.1)
    street = unit.parent
    street_result = assess(grids_under(street), "month", OCTOBER, today=NOV_TODAY)
    s_rows, s_total, s_child = breakdown(street, street_result)
    assert s_child == "community_id" and {r["name"] for r in s_rows} == {"芙蓉街社区", "按察司街社区"}
    # Six grid workers, the leader, and the 恒隆广场 officer (an exclusive grid's worker).
    assert s_total["workers"] == 8 and s_total["patrol_hours"] == 20


def test_a_week_prorates_monthly_targets(october):
    # The week of Monday 5 October (5–11 Oct): 6 patrols (5–10 Oct), the 4 reports, 7 days.
    result = assess(grids_under(community()), "week", date(2026, 10, 7), today=NOV_TODAY)
    row = next(r for r in result["workers"] if r["user_id"] == october.id)
    assert result["days"] == 7
    assert row["items"]["01.1"] == (6, pytest.approx(6 / 7 * 100))
    assert row["items"]["06.1"] == (4, pytest.approx(80.0))  # 4 of 5 a week
    assert row["patrol_hours"] == 12
    assert result["patrol_target"] == pytest.approx(44 * 7 / 31)


def test_pages_exports_and_scope(october, login):
    secretary = login("secretary")
    page = secretary.get("/assessment?period=month&date=2026-10-15").get_data(as_text=True)
    assert "芙蓉街社区第1网格" in page and "王芳" in page and "计分办法" in page
    card = secretary.get(f"/assessment/worker/{october.id}?period=month&date=2026-10-15")
    card = card.get_data(as_text=True)
    assert f"{SCORE:.1f}" in card and "10 / 31.0" in card
    assert login("worker").get(f"/assessment/worker/{october.id}?date=2026-10-15").status_code == 200
    assert login("w-qcl-frj-02").get(f"/assessment/worker/{october.id}").status_code == 404
    assert login("s-dmh-qst").get(f"/assessment/worker/{october.id}").status_code == 404
    # A secretary cannot open the street's or another community's assessment.
    assert secretary.get(f"/assessment?unit={community().parent_id}").status_code == 404
    other = OrgUnit.query.filter_by(code="LX-DMH-QST").one()
    assert secretary.get(f"/assessment?unit={other.id}").status_code == 404
    assert login("worker").get("/assessment").status_code == 404
    command = login("command")
    district = command.get("/assessment?date=2026-10-15").get_data(as_text=True)
    assert "泉城路街道" in district and "大明湖街道" in district

    body = secretary.get("/assessment?date=2026-10-15&format=csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    header, wang = rows[0], next(r for r in rows if r[0] == "王芳")
    assert len(rows) == 5 and float(wang[header.index("score")]) == pytest.approx(SCORE, abs=0.06)
    assert float(wang[header.index("item 01.1 %")]) == pytest.approx(DAILY_PATROL, abs=0.06)
    xlsx = secretary.get("/assessment?date=2026-10-15&format=xlsx")
    book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    assert book.sheetnames == ["workers", "units"]
    units = list(book["units"].iter_rows(values_only=True))
    assert units[-1][0] == "芙蓉街社区" and units[-1][1] == 4
    daily = units[0].index("item 01.1 %")
    assert units[-1][daily] == pytest.approx(DAILY_PATROL / 4, abs=0.06)  # one of four patrolled


def test_the_formula_is_configurable(october, app, monkeypatch):
    unit = community()
    monkeypatch.setitem(app.config, "ASSESSMENT_FORMULA", {
        "weights": {"completion": 1, "patrol": 1, "collection": 0, "timeliness": 0},
        "patrol_hours_per_month": 20})
    result = assess(grids_under(unit), "month", OCTOBER, today=NOV_TODAY)
    row = next(r for r in result["workers"] if r["user_id"] == october.id)
    # Half completion, half patrol time; 20 patrol hours now earn full marks.
    assert row["score"] == pytest.approx((COMPLETION + 100) / 2, abs=0.06)
    assert result["formula"]["collections_per_month"] == 30  # unset keys keep their default


def test_a_bad_formula_stops_the_start(monkeypatch, tmp_path):
    from app.config import load_config

    monkeypatch.setenv("ASSESSMENT_FORMULA", "{weights: 1")
    with pytest.raises(RuntimeError, match="ASSESSMENT_FORMULA is not valid JSON"):
        load_config(str(tmp_path))
