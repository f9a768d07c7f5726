"""The indicators (issue 16, item 4), checked against what a person computes for five cases in
one grid in October: 按期结案率, 结案率, rework, each stage's on-time rate, valid reports, missed
reports (found by others first) and satisfaction; the thresholds the command centre sets; the
trend, the heat map and the XLSX."""
import io
import uuid
from datetime import datetime

from openpyxl import load_workbook

from app.auth.models import User
from app.events.models import Event, EventAction, EventCategory, EventStage
from app.extensions import db
from app.hotline.models import HotlineOrder
from app.indicators import services
from app.org.models import Grid
from tests.conftest import csrf_from

OCT = {"from": "2026-10-01", "to": "2026-10-31"}


def at(day, hour=2):
    return datetime(2026, 10, day, hour)


def october_cases():
    grid = Grid.query.filter_by(code="LX-QCL-FRJ-01").one()
    point = grid.shape.representative_point()
    category = EventCategory.query.filter_by(code="SR01").one()
    worker, rider, admin = (User.query.filter_by(username=u).one() for u in ("worker", "rider", "admin"))

    def case(reporter, state, source="grid_worker", **extra):
        event = Event(id=str(uuid.uuid4()), category=category, description="指标测试", lon=point.x,
                      lat=point.y, grid=grid, source=source, reporter=reporter, reported_at=at(2),
                      received_at=at(2), state=state, **extra)
        db.session.add(event)
        db.session.flush()
        return event

    e1 = case(worker, "closed", close_type="on_time", deadline_at=at(10), closed_at=at(9))
    e2 = case(admin, "closed", source="hotline", close_type="overdue", deadline_at=at(12),
              closed_at=at(14), rework_count=1)
    case(worker, "refused")
    case(rider, "in_progress", deadline_at=at(20))
    e5 = case(worker, "in_progress", deadline_at=at(15))
    db.session.add_all([
        EventStage(event_id=e1.id, stage="register", started_at=at(2), due_at=at(2, 3), ended_at=at(2, 2),
                   outcome="on_time"),
        EventStage(event_id=e1.id, stage="dispatch", started_at=at(2, 2), due_at=at(2, 3), ended_at=at(3),
                   outcome="overdue"),
        EventAction(event_id=e5.id, action="approve_extension", actor_id=admin.id, actor_role="street",
                    level="street", from_state="extension_requested", to_state="in_progress", at=at(5)),
        HotlineOrder(event_id=e2.id, order_no="IND-1", channel="api", received_at=at(2), callback_at=at(14),
                     reached=True, satisfied=False)])
    db.session.commit()
    return grid


def test_the_indicators_by_hand_for_one_grid(demo, login):
    grid = october_cases()
    rows, _total = services.compute(Grid.id.in_([grid.id]), datetime(2026, 10, 1).date(),
                                    datetime(2026, 10, 31).date(), by="grid")
    row = next(r for r in rows if r["key"] == grid.id)
    assert row["events"] == 5
    assert row["on_time_close"] == 33.3  # due 3 (the extended one left out), 1 closed on time
    assert row["close"] == 50.0  # filed 4, closed 2
    assert row["rework"] == 50.0  # 2 handled, 1 reworked
    assert (row["stage_register"], row["stage_dispatch"]) == (100.0, 0.0)
    assert row["stage_handle"] is None  # no handling stage ended in the period
    assert row["valid_report"] == 80.0  # 4 of 5 (one refused)
    assert row["missed_report"] == 40.0  # the hotline's and the rider's: found by others first
    assert row["satisfaction"] == 0.0  # one call-back, reached, not satisfied
    by_worker, _ = services.compute(Grid.id.in_([grid.id]), datetime(2026, 10, 1).date(),
                                    datetime(2026, 10, 31).date(), by="worker")
    # Each of the grid's field staff (the worker and the leader) carries the grid's missed reports.
    named = {r["name"]: r for r in by_worker}
    assert set(named) == {"王芳", "赵网格长"}
    assert named["王芳"]["events"] == 3 and named["赵网格长"]["missed_report"] == 40.0


def test_the_page_colours_exports_trends_and_heat(demo, login):
    october_cases()
    command = login("command")
    page = command.get("/indicators", query_string={**OCT, "by": "grid"}).get_data(as_text=True)
    assert "按期结案率" in page and "芙蓉街社区第1网格" in page and "rate-red" in page
    assert "<svg class=\"trend\"" in page and "heat-map" in page
    xlsx = command.get("/indicators", query_string={**OCT, "by": "street", "format": "xlsx"})
    header = next(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert header[0] == "街道" and "漏报率" in header
    # The command centre raises a threshold: the same figure is now rated otherwise.
    token = csrf_from(page)
    command.post("/indicators/thresholds", data={"csrf_token": token, "close-good": 40, "close-poor": 30})
    assert services.thresholds()["close"] == (40.0, 30.0)
    assert services.rating("close", 50.0) == "green" and services.rating("rework", 50.0) == "red"
    bad = command.post("/indicators/thresholds", follow_redirects=True,
                       data={"csrf_token": token, "close-good": 400, "close-poor": 30})
    assert "阈值须为 0–100" in bad.get_data(as_text=True) and services.thresholds()["close"] == (40.0, 30.0)
    inverted = command.post("/indicators/thresholds", follow_redirects=True,  # found by an outside probe
                            data={"csrf_token": token, "close-good": 50, "close-poor": 90})
    assert "阈值须为" in inverted.get_data(as_text=True) and services.thresholds()["close"] == (40.0, 30.0)
    refused = login("street").post("/indicators/thresholds", data={"csrf_token": token})
    assert refused.status_code in (400, 404)
    assert login("worker").get("/indicators").status_code == 404
    heat = command.get("/indicators?heat=SR").get_data(as_text=True)
    assert "heat-4" in heat  # the grid with the open SR cases is the darkest
