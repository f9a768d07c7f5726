"""The sync engine cannot jam: every mutation is answered on its own, no input gives a 500, pulls
never skip a row, racing photo uploads store one photo, patrol pieces may come in any order."""
import hashlib
import io
import json
import logging
import random
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from PIL import Image

from app.events.models import Event
from app.extensions import db
from app.media.models import Media
from app.patrols.models import CheckIn, Patrol
from app.sync import services as sync_services
from app.sync.models import ChangeLog, Mutation
from tests import support
from tests.support import Phone, jpeg_bytes, quick_reports

phone = support.api_phone  # the API phone fixture, not conftest's browser one


def _statuses(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [(r["status"], r.get("code")) for r in response.get_json()["results"]]


def _with(mutation, **data):
    return {**mutation, "data": {**mutation["data"], **data}}


BAD_DATA = {
    "lone surrogate (an emoji cut in half)": {"description": "路口垃圾\ud83d"},
    "NUL byte": {"description": "路口\x00垃圾"},
    "list for a text": {"description": ["路口"]},
    "object for a number": {"lon": {"x": 1}},
    "list for an id": {"category_id": [11]},
    "string for an id": {"category_id": "11"},
    "true for a number": {"accuracy": True},
    "NaN": {"lat": float("nan")},
    "Infinity": {"accuracy": float("inf")},
    "id beyond 32 bits": {"category_id": 2**40},
    "number beyond 64 bits": {"accuracy": 10**30},
    "text too long": {"description": "长" * 2001},
    "nested deep": {"description": {"a": [[[[[[[[[["deep"]]]]]]]]]]}},
    "photo id with a newline": {"photos": ["6f1c0f3e-8d7e-4c1e-9a51-2f0f3b1d2c44\n"]},
}


@pytest.mark.parametrize("bad", BAD_DATA.values(), ids=list(BAD_DATA))
def test_a_bad_mutation_is_refused_alone_and_its_neighbours_are_stored(phone, bad):
    photo, _ = phone.put_photo()
    first, bad_one, last = phone.report([photo]), _with(phone.report([photo]), **bad), phone.report([photo])
    body = json.dumps({"mutations": [first, bad_one, last]}, ensure_ascii=True, allow_nan=True)
    assert "\\ud83d" in body or "\ud83d" not in json.dumps(bad, ensure_ascii=False)
    statuses = _statuses(phone.send(raw=body))
    assert statuses[0] == ("applied", None) and statuses[2] == ("applied", None)
    assert statuses[1][0] == "rejected"
    result = phone.send(raw=body).get_json()["results"][1]
    assert result["errors"] and all(isinstance(m, str) for ms in result["errors"].values() for m in ms)
    db.session.remove()
    assert {e.id for e in quick_reports()} == {first["record_id"], last["record_id"]}
    assert db.session.get(Mutation, bad_one["id"]) is None


def test_a_lone_surrogate_names_its_field(phone):
    photo, _ = phone.put_photo()
    bad = _with(phone.report([photo]), description="停车\ud83d")
    result = phone.send(raw=json.dumps({"mutations": [bad]})).get_json()["results"][0]
    assert result["status"] == "rejected" and result["code"] == "invalid"
    assert "表情" in result["errors"]["description"][0]


@pytest.mark.parametrize("field,value", [
    ("id", "0b8e4f3a-5a57-4b0e-8d53-0a6c1e4f9a11\n"),
    ("record_id", "c7f6e0b2-1f0e-4c9a-a3c1-5d2b8e7f6a90\n"),
    ("record_id", ["c7f6e0b2-1f0e-4c9a-a3c1-5d2b8e7f6a90"]),
    ("author_id", 2**70),
    ("author_id", True),
    ("base_version", float("nan")),
    ("kind", {"event": "report"}),
])
def test_bad_envelopes_are_refused_and_nothing_is_stored(phone, field, value):
    photo, _ = phone.put_photo()
    mutation = phone.report([photo])
    mutation[field] = value
    good = phone.report([photo])
    body = json.dumps({"mutations": [mutation, good]}, allow_nan=True)
    statuses = _statuses(phone.send(raw=body))
    assert statuses == [("rejected", "bad_envelope"), ("applied", None)]
    db.session.remove()
    assert quick_reports().count() == 1


def test_a_record_id_with_a_newline_never_makes_a_second_event(phone):
    photo, _ = phone.put_photo()
    mutation = phone.report([photo])
    assert _statuses(phone.send(mutation)) == [("applied", None)]
    again = {**mutation, "id": str(uuid.uuid4()), "record_id": mutation["record_id"] + "\n"}
    assert _statuses(phone.send(again))[0][0] == "rejected"
    db.session.remove()
    assert quick_reports().count() == 1


@pytest.mark.parametrize("raw", [
    "[" * 100_000 + "]" * 100_000,
    '{"mutations": ' + "[" * 5000 + "]" * 5000 + "}",
    b"\xff\xfe not utf-8",
    '{"mutations": [1, 2',
])
def test_malformed_bodies_get_a_json_400(phone, raw):
    response = phone.send(raw=raw)
    assert response.status_code == 400
    assert response.is_json and response.get_json()["error"] == "bad_json"


@pytest.mark.parametrize("query", ["cursor=99999999999999999999999", "cursor=-1", "cursor=abc",
                                   "cursor=1e9", "limit=10**9999", "cursor=%00", "cursor=١٢"])
def test_a_cursor_that_is_not_a_sane_integer_gets_a_400(phone, query):
    response = phone.client.get(f"/api/v1/sync/pull?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_cursor"


def test_the_largest_cursor_is_answered(phone):
    response = phone.client.get(f"/api/v1/sync/pull?cursor={2**63 - 1}")
    assert response.status_code == 200 and response.get_json()["changes"] == []


def test_a_handler_that_fails_rolls_back_only_its_mutation_and_is_answered_retry(phone, app, caplog):
    """A fault injected into one mutation's handler, after it has written a row and run a
    statement the database refuses: the others in the batch are stored, the answer is 'retry'."""
    photo, _ = phone.put_photo()
    batch = [phone.report([photo]) for _ in range(3)]
    doomed = batch[1]["record_id"]
    real = sync_services._stagers["event.report"]

    def faulty(user, mutation):
        result = real(user, mutation)
        if mutation["record_id"] == doomed:
            db.session.execute(db.text("SELECT * FROM no_such_table"))
        return result

    sync_services._stagers["event.report"] = faulty
    try:
        with caplog.at_level(logging.ERROR, logger="app.sync.services"):
            statuses = _statuses(phone.send(*batch))
    finally:
        sync_services._stagers["event.report"] = real
    assert statuses == [("applied", None), ("retry", "server_error"), ("applied", None)]
    assert any(r.exc_info for r in caplog.records), "the failure is logged with its traceback"
    db.session.remove()
    assert {e.id for e in quick_reports()} == {batch[0]["record_id"], batch[2]["record_id"]}
    assert db.session.get(Mutation, batch[1]["id"]) is None
    # Sent again once the fault is gone, it is stored once.
    assert _statuses(phone.send(batch[1])) == [("applied", None)]


def test_an_error_after_a_database_error_is_still_json(phone, app, monkeypatch):
    def broken_pull(user, cursor, limit=500):
        db.session.expire_all()  # as after an earlier rollback: the user must be read again
        db.session.execute(db.text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(sync_services, "pull", broken_pull)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = phone.client.get("/api/v1/sync/pull?cursor=0")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert response.is_json and response.get_json()["message"]


def test_a_batch_is_one_commit(phone, app):
    photo, _ = phone.put_photo()
    commits = []
    from sqlalchemy import event

    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    try:
        statuses = _statuses(phone.send(*[phone.report([photo]) for _ in range(20)]))
    finally:
        event.remove(db.engine, "commit", listener)
    assert statuses == [("applied", None)] * 20
    assert len(commits) == 1


# --- pulls never skip ---------------------------------------------------------------------------

def test_a_full_page_never_moves_the_cursor_past_an_unsettled_row(phone, app):
    """Rows younger than the settle window stay ahead of the cursor even when the page is full."""
    photo, _ = phone.put_photo()
    for _ in range(3):
        phone.send(*[phone.report([photo]) for _ in range(10)])
    first = phone.client.get("/api/v1/sync/pull?cursor=0&limit=5").get_json()
    # Everything was just written: nothing is settled, so the cursor stays and 'more' is off.
    assert first["cursor"] == 0 and first["more"] is False and first["changes"]


def test_paging_while_writers_commit_out_of_order_misses_nothing(phone, app, login):
    """Writers commit in an order other than their sequence numbers while a client pages through
    the changes; with a short settle window every event still reaches the client."""
    old = sync_services.PULL_SETTLE
    sync_services.PULL_SETTLE = sync_services.timedelta(seconds=0.3)
    photo, _ = phone.put_photo()
    cookie = phone.client.get_cookie("gridwalk_session").value
    written, errors, stop = [], [], threading.Event()

    rng = random.Random(7)
    plans = [[[phone.report([photo]) for _ in range(rng.randint(1, 4))] for _ in range(4)]
             for _ in range(4)]

    def writer(seed):
        try:
            write(seed)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    def write(seed):
        rng = random.Random(seed)
        client = app.test_client()
        client.set_cookie("gridwalk_session", cookie)
        for batch in plans[seed]:
            # The transaction stays open a random while after its rows took their numbers.
            response = client.post("/api/v1/sync/push", data=json.dumps({"mutations": batch}),
                                   content_type="application/json",
                                   headers={"X-CSRFToken": phone.token, "X-Delay": str(rng.random() * 0.6)})
            if response.status_code != 200:
                errors.append(response.status_code)
            written.extend(m["record_id"] for m in batch)

    seen, cursor = set(), 0

    def reader():
        nonlocal cursor
        client = app.test_client()
        client.set_cookie("gridwalk_session", cookie)
        while not stop.is_set():
            body = client.get(f"/api/v1/sync/pull?cursor={cursor}&limit=3").get_json()
            seen.update(c["id"] for c in body["changes"] if c["type"] == "event")
            cursor = body["cursor"]
            time.sleep(0.02)

    from sqlalchemy import event as sa_event

    def slow_commit(session):
        from flask import request

        delay = float(request.headers.get("X-Delay", 0)) if request else 0
        time.sleep(delay)

    sa_event.listen(db.session, "before_commit", slow_commit)
    try:
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        read = threading.Thread(target=reader)
        read.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(0.8)
        stop.set()
        read.join()
        client = app.test_client()
        client.set_cookie("gridwalk_session", cookie)
        body = client.get(f"/api/v1/sync/pull?cursor={cursor}&limit=1000").get_json()
        seen.update(c["id"] for c in body["changes"] if c["type"] == "event")
    finally:
        sa_event.remove(db.session, "before_commit", slow_commit)
        sync_services.PULL_SETTLE = old
    assert not errors
    assert set(written) <= seen


# --- photos under races -------------------------------------------------------------------------

def test_concurrent_uploads_of_one_id_store_one_photo_and_serve_its_own_file(phone, app):
    photo_id = str(uuid.uuid4())
    cookie = phone.client.get_cookie("gridwalk_session").value
    bodies = [jpeg_bytes(color=(i * 40, 80, 200 - i * 30)) for i in range(5)]
    answers, barrier = [], threading.Barrier(len(bodies))

    def upload(data):
        client = app.test_client()
        client.set_cookie("gridwalk_session", cookie)
        barrier.wait()
        response = client.put(f"/api/v1/media/{photo_id}", data=data, content_type="image/jpeg",
                              headers={"X-CSRFToken": phone.token})
        answers.append((response.status_code, response.is_json))

    threads = [threading.Thread(target=upload, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(is_json for _, is_json in answers)
    assert sorted(code for code, _ in answers) == [201] + [409] * (len(bodies) - 1)
    db.session.remove()
    media = db.session.get(Media, photo_id)
    served = phone.client.get(f"/media/{photo_id}")
    assert served.status_code == 200
    from app.media.storage import get_storage

    assert served.data == get_storage().read(media.storage_key)
    winner = next(b for b in bodies if hashlib.sha256(b).hexdigest() == media.upload_sha256)
    colour = Image.open(io.BytesIO(served.data)).getpixel((5, 5))
    expected = Image.open(io.BytesIO(winner)).getpixel((5, 5))
    assert max(abs(a - b) for a, b in zip(colour, expected, strict=True)) < 8


def test_concurrent_uploads_of_the_same_bytes_are_stored_once(phone, app):
    photo_id, data = str(uuid.uuid4()), jpeg_bytes()
    cookie = phone.client.get_cookie("gridwalk_session").value
    codes, barrier = [], threading.Barrier(4)

    def upload():
        client = app.test_client()
        client.set_cookie("gridwalk_session", cookie)
        barrier.wait()
        codes.append(client.put(f"/api/v1/media/{photo_id}", data=data, content_type="image/jpeg",
                                headers={"X-CSRFToken": phone.token}).status_code)

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 200, 200, 201]
    assert phone.client.get(f"/media/{photo_id}").status_code == 200


# --- patrol pieces in any order -----------------------------------------------------------------

def _patrol_mutations(phone, grid_point, rng):
    patrol_id = str(uuid.uuid4())
    t0 = int(datetime(2026, 11, 27, 1, 0, tzinfo=UTC).timestamp())
    lon, lat = grid_point
    chunks = []
    for seq in range(6):
        points = [[t0 + (seq * 10 + i) * 10, lon + (seq * 10 + i) * 0.00005, lat, 8] for i in range(10)]
        chunks.append({"seq": seq, "points": points, "gaps": []})

    def m(kind, record_id, data):
        return {"id": str(uuid.uuid4()), "kind": kind, "record_id": record_id,
                "author_id": phone.user_id, "created_at": "2026-11-27T01:00:00Z", "data": data}

    start = m("patrol.start", patrol_id, {"started_at": "2026-11-27T01:00:00Z"})
    pieces = [m("patrol.chunk", patrol_id, c) for c in chunks]
    checkins = [m("patrol.checkin", str(uuid.uuid4()), {"patrol_id": patrol_id, "lon": lon, "lat": lat,
                                                         "accuracy": 5, "note": "路口"}) for _ in range(2)]
    stop = m("patrol.stop", patrol_id, {"ended_at": "2026-11-27T02:00:00Z"})
    return patrol_id, start, pieces + checkins, stop


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_patrol_shuffled_across_batches_loses_no_point(phone, seed):
    from app.org.models import Grid

    rng = random.Random(seed)
    point = Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.representative_point()
    patrol_id, start, middle, stop = _patrol_mutations(phone, (point.x, point.y), rng)
    # The start comes first (nothing can attach to a patrol that does not exist yet); after it,
    # the stop, the chunks and the check-ins arrive in any order, split over batches.
    rest = middle + [stop]
    rng.shuffle(rest)
    assert _statuses(phone.send(start)) == [("applied", None)]
    while rest:
        take = rng.randint(1, 4)
        batch, rest = rest[:take], rest[take:]
        assert {s for s, _ in _statuses(phone.send(*batch))} == {"applied"}
    db.session.remove()
    patrol = db.session.get(Patrol, patrol_id)
    assert patrol.status == "closed"
    assert patrol.point_count == 60
    from app.patrols.services import fixes_of

    assert len(fixes_of(patrol)) == 60
    assert patrol.distance_m > 0 and patrol.coverage_pct > 0
    assert CheckIn.query.filter_by(patrol_id=patrol_id).count() == 2
    # Replaying everything changes nothing.
    assert {s for s, _ in _statuses(phone.send(*middle, stop))} == {"duplicate"}
    db.session.remove()
    assert db.session.get(Patrol, patrol_id).point_count == 60


def test_patrol_changes_write_no_change_log_rows(phone):
    from app.org.models import Grid

    point = Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.representative_point()
    before = ChangeLog.query.count()
    patrol_id, start, middle, stop = _patrol_mutations(phone, (point.x, point.y), random.Random(0))
    phone.send(start, *middle, stop)
    db.session.remove()
    assert ChangeLog.query.count() == before  # no phone pulls patrols


def test_the_mutation_docs_are_written_from_the_schemas(app):
    from app.sync import schema
    from app.sync.cli import DOC

    assert DOC.read_text(encoding="utf-8") == schema.markdown(), "run `flask sync docs`"
    assert set(schema.KIND_SCHEMAS) == set(sync_services._handlers)


def test_a_taken_record_id_in_a_run_of_reports_is_a_conflict_and_the_rest_are_stored(phone):
    photo, _ = phone.put_photo()
    first = phone.report([photo])
    assert _statuses(phone.send(first)) == [("applied", None)]
    batch = [phone.report([photo]) for _ in range(4)]
    batch[2] = {**batch[2], "record_id": first["record_id"]}  # a new mutation, an old record id
    statuses = _statuses(phone.send(*batch))
    assert statuses == [("applied", None)] * 2 + [("conflict", "record_exists"), ("applied", None)]
    db.session.remove()
    assert quick_reports().count() == 4
    assert Mutation.query.count() == 4


def test_healthz_with_a_session_cookie_asks_the_database_nothing(phone):
    from sqlalchemy import event

    statements = []

    def count(*args, **kwargs):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = phone.client.get("/healthz")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert statements == []


def test_a_day_of_work_is_written_in_runs_without_falling_back(phone, caplog):
    """Reports, a patrol's chunks and check-ins are staged: checked, then written together.
    A fall-back to one savepoint each is for surprises only, so a normal day shows none."""
    from app.org.models import Grid

    point = Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.representative_point()
    photo, _ = phone.put_photo()
    patrol_id, start, middle, stop = _patrol_mutations(phone, (point.x, point.y), random.Random(1))
    with caplog.at_level(logging.WARNING, logger="app.sync.services"):
        statuses = _statuses(phone.send(phone.report([photo]), start, *middle, stop,
                                        phone.report([photo])))
    assert {s for s, _ in statuses} == {"applied"}
    assert not [r for r in caplog.records if "fell back" in r.getMessage()]
    db.session.remove()
    patrol = db.session.get(Patrol, patrol_id)
    assert patrol.point_count == 60 and patrol.status == "closed"


# --- defects the fuzz test found ----------------------------------------------------------------

def _broken_exif_jpeg(replacement):
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make, its tag then rewritten to one whose value must be a number
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue().replace(b"\x01\x0f\x00\x02", replacement)


@pytest.mark.parametrize("replacement", [b"\x00\xfe\x00\x02", b"\x01\x1a\x00\x02"])
def test_a_photo_with_broken_exif_is_stored_not_a_500(phone, replacement):
    photo_id, response = phone.put_photo(_broken_exif_jpeg(replacement))
    assert response.status_code == 201, response.get_data(as_text=True)[:200]
    served = phone.client.get(f"/media/{photo_id}")
    assert served.status_code == 200
    assert not Image.open(io.BytesIO(served.data)).getexif()


@pytest.mark.parametrize("kind,field,value", [
    ("event.report", "created_at", "9999-12-31T23:59:59-14:00"),
    ("event.report", "created_at", "0001-01-01T00:00:00+14:00"),
    ("patrol.start", "started_at", "1900-01-01T00:00:00Z"),
    ("patrol.chunk", "points", [[2**53, 117.0099, 36.6627, 8]]),
    ("patrol.chunk", "points", [[5e9, 117.0099, 36.6627, 8]]),
])
def test_times_no_phone_can_have_are_refused_with_a_field_error(phone, kind, field, value):
    photo, _ = phone.put_photo()
    if kind == "event.report":
        mutation = phone.report([photo])
        mutation[field] = value
    else:
        data = {"started_at": value} if kind == "patrol.start" else {"seq": 0, field: value}
        mutation = {"id": str(uuid.uuid4()), "kind": kind, "record_id": str(uuid.uuid4()),
                    "author_id": phone.user_id, "data": data}
    result = phone.send(mutation).get_json()["results"][0]
    assert result["status"] == "rejected", result
    assert field in result["errors"]


def test_a_patrol_with_decades_between_its_fixes_still_stops(phone):
    from app.org.models import Grid

    point = Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.representative_point()
    patrol_id = str(uuid.uuid4())

    def m(kind, data):
        return {"id": str(uuid.uuid4()), "kind": kind, "record_id": patrol_id,
                "author_id": phone.user_id, "data": data}

    statuses = _statuses(phone.send(
        m("patrol.start", {"started_at": "2000-01-02T00:00:00Z"}),
        m("patrol.chunk", {"seq": 0, "points": [[4.0e9, point.x, point.y, 8]]}),
        m("patrol.stop", {"ended_at": "2099-12-31T00:00:00Z"})))
    assert statuses == [("applied", None)] * 3
    db.session.remove()
    assert db.session.get(Patrol, patrol_id).duration_s == 2**31 - 1


def test_a_long_name_fits_the_search_columns(phone, login):
    secretary = Phone(login("worker"))
    record = {"id": str(uuid.uuid4()), "kind": "registry.create", "record_id": str(uuid.uuid4()),
              "author_id": phone.user_id, "form_version": 1,
              "data": {"kind": "site", "fields": {"name": "张" * 120, "address": "芙蓉街1号",
                                                  "site_type": None}}}
    from app.org.models import Grid

    point = Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.representative_point()
    record["data"]["fields"].update(lon=point.x, lat=point.y)
    assert _statuses(secretary.send(record)) == [("applied", None)]


def test_a_handler_that_ends_the_transaction_loses_nothing_already_answered(phone):
    """If anything in a batch ends its transaction, nothing is answered as stored: the phone
    keeps every record and sends the batch again."""
    photo, _ = phone.put_photo()
    first, second = phone.report([photo]), phone.report([photo])
    real = sync_services._handlers["patrol.stop"]
    sync_services._handlers["patrol.stop"] = lambda user, m: db.session.rollback()
    stop = {"id": str(uuid.uuid4()), "kind": "patrol.stop", "record_id": str(uuid.uuid4()),
            "author_id": phone.user_id, "data": {}}
    try:
        response = phone.send(first, stop, second)
    finally:
        sync_services._handlers["patrol.stop"] = real
    assert response.status_code == 503 and response.get_json()["error"] == "retry"
    db.session.remove()
    assert quick_reports().count() == 0 and Mutation.query.count() == 0
    assert _statuses(phone.send(first, second)) == [("applied", None)] * 2


def test_a_stale_event_move_in_a_batch_keeps_what_came_before_it(phone, app):
    """PostgreSQL: another writer moves the event while the batch waits on its row; the move
    is answered 'stale' and the report before it in the batch is stored."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs two writers at once: SQLite lets one write at a time")
    import psycopg

    photo, _ = phone.put_photo()
    target = phone.report([photo])
    assert _statuses(phone.send(target)) == [("applied", None)]
    url = db.engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    other = psycopg.connect(url)
    other.execute("UPDATE event SET version = 2 WHERE id = %s", (target["record_id"],))
    fresh = phone.report([photo])
    move = {"id": str(uuid.uuid4()), "kind": "event.transition", "record_id": target["record_id"],
            "author_id": phone.user_id, "base_version": 1,
            "data": {"action": "self_resolve", "note": "已清理", "photos": [photo]}}
    cookie = phone.client.get_cookie("gridwalk_session").value
    answer = {}

    def push():
        client = app.test_client()
        client.set_cookie("gridwalk_session", cookie)
        answer["response"] = client.post("/api/v1/sync/push", data=json.dumps({"mutations": [fresh, move]}),
                                         content_type="application/json",
                                         headers={"X-CSRFToken": phone.token})

    thread = threading.Thread(target=push)
    thread.start()
    time.sleep(1.0)
    other.commit()
    thread.join()
    other.close()
    statuses = _statuses(answer["response"])
    assert statuses[0] == ("applied", None)
    assert statuses[1][0] in ("rejected", "forbidden")
    db.session.remove()
    assert db.session.get(Event, fresh["record_id"]) is not None
    assert db.session.get(Mutation, fresh["id"]) is not None


def test_tags_sent_for_a_record_that_has_none_are_no_fault(phone):
    """Found by the fuzz bench: an edit of a building that names 'tags' was answered 'retry'."""
    from app.org.models import Grid
    from app.registry.models import RegistryRecord

    grid = Grid.query.filter_by(code="LX-QCL-FRJ-01").one()
    building = RegistryRecord.query.filter_by(kind="building", grid_id=grid.id).first()
    edit = {"id": str(uuid.uuid4()), "kind": "registry.edit", "record_id": building.id,
            "author_id": phone.user_id, "base_version": building.version, "form_version": 1,
            "data": {"fields": {"floors": 7, "tags": []}, "base": {"floors": building.data.get("floors")}}}
    status, _code = _statuses(phone.send(edit))[0]
    assert status == "applied"


def test_fixes_alike_but_for_a_missing_accuracy_are_no_fault(phone):
    """Found in review: sorting [t, lon, lat, null] beside [t, lon, lat, 8] raised TypeError."""
    from app.org.models import Grid

    point = Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.representative_point()
    patrol_id, t = str(uuid.uuid4()), 1795741200
    fix = [t, point.x, point.y]

    def m(kind, data):
        return {"id": str(uuid.uuid4()), "kind": kind, "record_id": patrol_id,
                "author_id": phone.user_id, "data": data}

    statuses = _statuses(phone.send(
        m("patrol.start", {"started_at": "2026-11-27T01:00:00Z"}),
        m("patrol.chunk", {"seq": 0, "points": [fix + [None], fix + [8]]}),
        m("patrol.stop", {})))
    assert statuses == [("applied", None)] * 3


def test_a_media_id_that_starts_with_a_slash_gets_json_not_a_redirect(phone):
    """Found by the fuzz bench: '//' in the path was redirected with an HTML page (308)."""
    response = phone.client.put("/api/v1/media//abc", data=jpeg_bytes(), content_type="image/jpeg",
                                headers={"X-CSRFToken": phone.token})
    assert response.status_code == 404 and response.is_json
