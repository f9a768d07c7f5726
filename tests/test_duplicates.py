"""Nearby duplicates (issue 16, item 1): a report of the same problem is added to the open event
as a supporting report with its photos (no new case); the server proposes merges of open reports
of one major category within 50 m, which the office confirms from a list and a map."""
import uuid

from app.events.models import Event, EventPhoto, EventSupport
from app.extensions import db
from tests import support
from tests.conftest import csrf_from
from tests.support import Phone, quick_reports

phone = support.api_phone


def test_the_same_problem_is_a_supporting_report_not_a_new_case(phone, login):
    photo, _ = phone.put_photo()
    original = phone.report([photo])
    assert phone.send(original).get_json()["results"][0]["status"] == "applied"
    before = quick_reports().count()
    leader = Phone(login("leader"))  # the grid's staff see its events (a rider sees only their own)
    shot, _ = leader.put_photo()
    data = {"event_id": original["record_id"], "note": "同一处垃圾，又多了两袋", "photos": [shot]}
    result = leader.push("event.support", str(uuid.uuid4()), data)
    assert result["status"] == "applied", result
    assert quick_reports().count() == before  # no new case
    row = EventSupport.query.filter_by(event_id=original["record_id"]).one()
    assert row.photos == [shot] and row.note.startswith("同一处垃圾")
    assert EventPhoto.query.filter_by(event_id=original["record_id"]).count() == 1  # the case's own photos
    page = login("secretary").get(f"/events/{original['record_id']}").get_data(as_text=True)
    assert "同一问题的补充上报" in page and "又多了两袋" in page
    assert login("secretary").get(f"/media/{shot}").status_code == 200  # the office sees its photo
    missing = leader.push("event.support", str(uuid.uuid4()),
                          {"event_id": str(uuid.uuid4()), "photos": [shot]})
    assert missing["status"] == "rejected" and missing["code"] == "not_found"
    no_photo = leader.push("event.support", str(uuid.uuid4()),
                           {"event_id": original["record_id"], "photos": []})
    assert no_photo["status"] == "rejected"


def test_the_office_confirms_proposed_merges_from_a_list(phone, login):
    first, second, far = (phone.report([phone.put_photo()[0]]) for _ in range(3))
    far["data"]["lat"] += 0.002  # about 220 m north: not the same problem
    far["data"]["description"] = "远处另一堆垃圾"
    for mutation in (first, second, far):
        assert phone.send(mutation).get_json()["results"][0]["status"] == "applied"
    desk = login("secretary")
    page = desk.get("/events/duplicates").get_data(as_text=True)
    assert "相距 0 米" in page and "确认合并" in page and "<svg" in page
    assert page.count("确认合并") == 1  # the far one is no one's twin
    later = db.session.get(Event, second["record_id"])
    desk.post(f"/events/{later.id}/act", data={"csrf_token": csrf_from(page), "action": "merge",
                                              "version": later.version, "target_id": first["record_id"],
                                              "note": "重复上报，已并入原事件"})
    db.session.refresh(later)
    assert (later.state, later.merged_into_id) == ("merged", first["record_id"])
    assert "确认合并" not in desk.get("/events/duplicates").get_data(as_text=True)
    assert login("worker").get("/events/duplicates").status_code == 404
