"""The sync API on the server: idempotent push, conflicts, pull since cursor, media pipeline."""
import io
import json
import threading
import uuid

import pytest
from PIL import Image

from app.events.models import EventCategory
from app.extensions import db
from app.media.models import Media
from app.org.models import Grid
from app.sync.models import Mutation
from tests import support
from tests.conftest import csrf_from
from tests.support import Phone, jpeg_bytes, quick_reports

phone = support.api_phone  # the API phone fixture, not conftest's browser one


def test_replaying_a_mutation_three_times_gives_one_row(phone):
    photo, _ = phone.put_photo()
    mutation = phone.report([photo])
    answers = [phone.send(mutation).get_json()["results"][0] for _ in range(3)]
    assert [a["status"] for a in answers] == ["applied", "duplicate", "duplicate"]
    assert answers[1]["record_id"] == answers[0]["record_id"] == mutation["record_id"]
    assert quick_reports().count() == 1 and Mutation.query.count() == 1
    event = quick_reports().one()
    assert event.grid.code == "LX-QCL-FRJ-01" and [p.media_id for p in event.photos] == [photo]


def test_same_id_different_content_is_a_conflict(phone):
    photo, _ = phone.put_photo()
    mutation = phone.report([photo])
    phone.send(mutation)
    changed = {**mutation, "data": {**mutation["data"], "description": "别的内容"}}
    answer = phone.send(changed).get_json()["results"][0]
    assert answer["status"] == "conflict"
    assert quick_reports().one().description == "路口垃圾堆积"
    # A new mutation trying to reuse the record id is a conflict too, never a second event.
    again = {**phone.report([photo]), "record_id": mutation["record_id"]}
    assert phone.send(again).get_json()["results"][0]["status"] == "conflict"
    assert quick_reports().count() == 1


def test_rejected_with_field_errors_and_nothing_stored(phone):
    photo, _ = phone.put_photo()
    bad = phone.report([photo], description="", category_id=999999, lon=116.0, lat=30.0)
    answer = phone.send(bad).get_json()["results"][0]
    assert answer["status"] == "rejected"
    assert "请填写情况描述" in answer["errors"]["description"][0]
    assert "已停用或不存在" in answer["errors"]["category_id"][0]
    outside = phone.report([photo], lon=116.0, lat=30.0)
    answer = phone.send(outside).get_json()["results"][0]
    assert answer["status"] == "rejected" and "不在任何网格内" in answer["errors"]["lon"][0]
    no_photo = phone.report([])
    assert "至少需要 1 张照片" in phone.send(no_photo).get_json()["results"][0]["errors"]["photos"][0]
    missing = phone.report([str(uuid.uuid4())])
    answer = phone.send(missing).get_json()["results"][0]
    assert answer["status"] == "rejected" and answer["code"] == "media_missing"
    assert quick_reports().count() == 0 and Mutation.query.count() == 0


def test_a_mutation_by_another_author_is_refused_and_not_stored(phone):
    photo, _ = phone.put_photo()
    other = phone.report([photo])
    other["author_id"] = phone.user_id + 1
    answer = phone.send(other).get_json()["results"][0]
    assert answer["status"] == "forbidden" and answer["code"] == "other_author"
    assert quick_reports().count() == 0


def test_roles_that_cannot_report_are_forbidden(demo, login, app, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path)
    client = login("secretary")
    secretary = Phone(client)
    photo, _ = secretary.put_photo()
    answer = secretary.send(secretary.report([photo])).get_json()["results"][0]
    assert answer["status"] == "forbidden"
    assert quick_reports().count() == 0


@pytest.mark.parametrize("raw, status, code", [
    ("{not json", 400, "bad_json"),
    (json.dumps({"mutations": "nope"}), 400, "bad_json"),
    (json.dumps({"mutations": [{}] * 101}), 413, "batch_too_large"),
])
def test_bad_push_bodies_get_a_clear_4xx(phone, raw, status, code):
    response = phone.send(raw=raw)
    assert response.status_code == status and response.get_json()["error"] == code
    assert response.get_json()["message"]
    assert quick_reports().count() == 0


def test_unknown_kind_and_wrong_types_are_rejected_per_mutation(phone):
    photo, _ = phone.put_photo()
    unknown = {**phone.report([photo]), "kind": "event.teleport"}
    wrong_types = phone.report([photo], lon="east", category_id="garbage")
    bad_ids = {**phone.report([photo]), "id": "123", "author_id": "me"}
    results = phone.send(unknown, wrong_types, bad_ids).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert "kind" in results[0]["errors"]
    assert {"lon", "category_id"} <= set(results[1]["errors"])
    assert {"id", "author_id"} <= set(results[2]["errors"])
    assert quick_reports().count() == 0


def test_push_without_session_or_csrf(demo, client, app):
    response = client.post("/api/v1/sync/push", json={"mutations": []})
    assert response.status_code == 401 and response.get_json()["error"] == "not_signed_in"


def test_csrf_required_on_push(phone):
    response = phone.client.post("/api/v1/sync/push", json={"mutations": []})
    assert response.status_code == 400


def test_oversized_body_is_refused(phone, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        photo_id, response = phone.put_photo(data=b"\xff" * (2 * 1024 * 1024))
        assert response.status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 40 * 1024 * 1024
    assert Media.query.count() == 0


def test_media_pipeline_fixes_orientation_strips_exif_and_thumbnails(phone, app):
    from app.media.storage import get_storage

    photo_id, response = phone.put_photo(jpeg_bytes((800, 600), exif_orientation=6))
    assert response.status_code == 201
    media = db.session.get(Media, photo_id)
    assert (media.width, media.height) == (600, 800)  # rotated upright
    stored = Image.open(io.BytesIO(get_storage().read(media.storage_key)))
    assert stored.size == (600, 800) and not stored.getexif()
    thumb = Image.open(io.BytesIO(get_storage().read(media.thumb_key)))
    assert max(thumb.size) == 320
    # Same id, same bytes: safe to repeat. Same id, other bytes: conflict.
    again = phone.client.put(f"/api/v1/media/{photo_id}", data=jpeg_bytes((800, 600), exif_orientation=6),
                             content_type="image/jpeg", headers={"X-CSRFToken": phone.token})
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    _, clash = phone.put_photo(jpeg_bytes(color=(1, 2, 3)), photo_id=photo_id)
    assert clash.status_code == 409
    assert Media.query.count() == 1


def _with_segments(jpeg: bytes, *segments: bytes, trailer: bytes = b"") -> bytes:
    """The JPEG with extra marker segments after its start marker and bytes after its end."""
    return jpeg[:2] + b"".join(segments) + jpeg[2:] + trailer


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def test_a_phone_made_photo_keeps_its_pixels_and_loses_its_metadata(phone):
    """A photo as the phone sends it (upright, baseline, within the long edge) is stored with
    its image data untouched, no second JPEG generation, while comments, ICC and IPTC segments
    and anything after the image are dropped; a progressive or EXIF-bearing photo is re-encoded."""
    from app.media.storage import get_storage

    canvas = jpeg_bytes((1600, 1200), color=(180, 90, 40))
    sent = _with_segments(canvas, _segment(0xFE, "王芳 13800138000".encode()),
                          _segment(0xE2, b"ICC_PROFILE\0" + b"\1" * 40),
                          _segment(0xED, b"Photoshop 3.0\0" + "地址".encode()),
                          trailer=b"<script>alert(1)</script>")
    photo_id, response = phone.put_photo(sent)
    assert response.status_code == 201
    media = db.session.get(Media, photo_id)
    stored = get_storage().read(media.storage_key)
    assert stored == canvas  # the bytes the phone's encoder made: nothing re-encoded
    for leak in (b"13800138000", b"ICC_PROFILE", b"Photoshop", b"<script>"):
        assert leak not in stored
    assert (media.width, media.height) == (1600, 1200)
    thumb = Image.open(io.BytesIO(get_storage().read(media.thumb_key)))
    assert thumb.size == (320, 240)
    colour = thumb.resize((1, 1)).getpixel((0, 0))
    assert all(abs(a - b) < 8 for a, b in zip(colour, (180, 90, 40), strict=True))

    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (30, 60, 90)).save(out, "JPEG", progressive=True)
    progressive = _with_segments(out.getvalue(), _segment(0xFE, b"13800138000"))
    photo_id, response = phone.put_photo(progressive)
    assert response.status_code == 201
    media = db.session.get(Media, photo_id)
    stored = get_storage().read(media.storage_key)
    assert b"13800138000" not in stored and Image.open(io.BytesIO(stored)).size == (1600, 1200)

    # Nothing rides along in the segments that are kept: a JFIF header's thumbnail or any other
    # APP0 (an extension holding a JPEG with GPS in its EXIF, or plain text), or an APP14.
    inner = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {2: (36.0, 40.0, 1.0)}  # GPS latitude
    Image.new("RGB", (8, 8)).save(inner, "JPEG", exif=exif)
    jfif_thumbnail = b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x02\x02" + bytes([200, 100, 50]) * 4
    for extra in (_segment(0xE0, b"JFXX\0\x10" + inner.getvalue()),
                  _segment(0xE0, "NAME=王芳 13800138000".encode()),
                  _segment(0xEE, b"Adobe 13800138000 home address"),
                  _segment(0xE0, jfif_thumbnail)):
        photo_id, response = phone.put_photo(canvas[:2] + extra + canvas[2:])
        assert response.status_code == 201
        stored = get_storage().read(db.session.get(Media, photo_id).storage_key)
        for leak in (b"Exif", b"13800138000", b"NAME", bytes([200, 100, 50]) * 4):
            assert leak not in stored, (extra[:12], leak)
        assert Image.open(io.BytesIO(stored)).size == (1600, 1200)

    # A cut-off photo is refused as before, on whichever path.
    _, response = phone.put_photo(canvas[: len(canvas) // 2])
    assert response.status_code == 422


def test_large_photos_are_scaled_down(phone):
    photo_id, response = phone.put_photo(jpeg_bytes((4000, 3000)))
    assert response.status_code == 201
    assert max(response.get_json()["width"], response.get_json()["height"]) == 2048


@pytest.mark.parametrize("make, content_type, status", [
    (lambda: b"this is not an image at all", "image/jpeg", 422),
    (lambda: b"%PDF-1.4 fake", "application/pdf", 415),
    (lambda: jpeg_bytes(), "text/plain", 415),
    (lambda: b"", "image/jpeg", 400),
])
def test_non_images_are_refused(phone, make, content_type, status):
    _, response = phone.put_photo(make(), content_type=content_type)
    assert response.status_code == status and response.get_json()["message"]
    assert Media.query.count() == 0


def test_decompression_bomb_is_refused(phone, app):
    # A 20000×20000 PNG of one colour is tiny on the wire and 400 megapixels decoded.
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    assert len(out.getvalue()) < 200_000
    _, response = phone.put_photo(out.getvalue(), content_type="image/png")
    assert response.status_code == 413 and "像素" in response.get_json()["message"]
    assert Media.query.count() == 0
    assert not list((__import__("pathlib").Path(app.config["MEDIA_ROOT"])).rglob("*.jpg"))


def test_pull_returns_changes_in_scope_with_tombstones(phone, login, app):
    from datetime import timedelta

    from app.sync import services as sync_services

    photo, _ = phone.put_photo()
    phone.send(phone.report([photo]))
    first = phone.client.get("/api/v1/sync/pull?cursor=0").get_json()
    types = {(c["type"], c["op"]) for c in first["changes"]}
    assert ("event", "upsert") in types and ("category", "upsert") in types
    event = next(c for c in first["changes"] if c["type"] == "event")
    assert event["data"]["mine"] and event["data"]["photos"][0]["thumb"].endswith("/thumb")
    # The worker's own grid staff sees it; a worker elsewhere and the rider do not.
    secretary = login("secretary").get("/api/v1/sync/pull?cursor=0").get_json()
    assert any(c["type"] == "event" for c in secretary["changes"])
    other = login("w-dmh-bhz-01").get("/api/v1/sync/pull?cursor=0").get_json()
    assert not any(c["type"] == "event" and c["id"] == event["id"] for c in other["changes"])
    rider = login("rider").get("/api/v1/sync/pull?cursor=0").get_json()
    assert not any(c["type"] == "event" and c["id"] == event["id"] for c in rider["changes"])
    # Switching a category off sends a tombstone.
    old = sync_services.PULL_SETTLE
    sync_services.PULL_SETTLE = timedelta(0)
    try:
        cursor = phone.client.get("/api/v1/sync/pull?cursor=0").get_json()["cursor"]
        category = EventCategory.query.filter_by(code="SR02").one()
        admin = login("admin")
        token = csrf_from(admin.get(f"/admin/categories/{category.id}").get_data(as_text=True))
        admin.post(f"/admin/categories/{category.id}", data={
            "code": "SR02", "name": category.name, "parent_id": category.parent_id,
            "sort_order": 1, "csrf_token": token})
        later = phone.client.get(f"/api/v1/sync/pull?cursor={cursor}").get_json()
        assert {"type": "category", "id": str(category.id), "op": "delete"} in later["changes"]
        assert later["cursor"] > cursor
    finally:
        sync_services.PULL_SETTLE = old


def test_concurrent_identical_pushes_give_one_row(phone, app):
    """Threads push the same mutation at once; on PostgreSQL they really race."""
    photo, _ = phone.put_photo()
    mutation = phone.report([photo])
    body = json.dumps({"mutations": [mutation]})
    cookie = phone.client.get_cookie("gridwalk_session").value
    statuses, errors = [], []
    barrier = threading.Barrier(6)

    def push():
        client = app.test_client()
        client.set_cookie("gridwalk_session", cookie)
        barrier.wait()
        try:
            response = client.post("/api/v1/sync/push", data=body, content_type="application/json",
                                   headers={"X-CSRFToken": phone.token})
            statuses.append(response.get_json()["results"][0]["status"])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=push) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(statuses) == ["applied"] + ["duplicate"] * 5
    db.session.remove()
    assert quick_reports().count() == 1 and Mutation.query.count() == 1


def test_outbox_file_ingest_is_idempotent(phone, login):
    import base64

    photo_bytes = jpeg_bytes()
    photo_id = str(uuid.uuid4())
    mutation = phone.report([photo_id])
    outbox = {"format": "gridwalk-outbox", "version": 1, "mutations": [mutation],
              "media": {photo_id: {"type": "image/jpeg", "data": base64.b64encode(photo_bytes).decode()}}}
    secretary = login("secretary")
    for expected in ("applied", "duplicate"):
        token = csrf_from(secretary.get("/sync/ingest").get_data(as_text=True))
        page = secretary.post("/sync/ingest", content_type="multipart/form-data", data={
            "csrf_token": token, "file": (io.BytesIO(json.dumps(outbox).encode()), "outbox.json")})
        assert expected in page.get_data(as_text=True)
    event = quick_reports().one()
    assert event.reporter.username == "worker" and event.photos[0].media_id == photo_id
    # Each record applied from a file is audited: who brought it in, whose it is, what it is.
    from app.audit.models import AuditLog

    (row,) = AuditLog.query.filter_by(action="sync.ingest.applied").all()
    assert row.actor_name == "secretary" and row.object_id == mutation["id"]
    assert row.detail == {"kind": "event.report", "record_id": mutation["record_id"],
                          "author_id": phone.user_id}
    # A secretary elsewhere may not ingest this worker's records.
    other = login("s-qcl-acs")
    token = csrf_from(other.get("/sync/ingest").get_data(as_text=True))
    mutation2 = phone.report([photo_id])
    outbox["mutations"] = [mutation2]
    page = other.post("/sync/ingest", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(json.dumps(outbox).encode()), "outbox.json")})
    assert "forbidden" in page.get_data(as_text=True)
    assert quick_reports().count() == 1
    # Riders and workers cannot open the ingest page.
    assert phone.client.get("/sync/ingest").status_code == 403


def test_photos_are_seen_only_by_those_who_see_the_event(phone, login):
    photo, _ = phone.put_photo()
    phone.send(phone.report([photo]))
    assert phone.client.get(f"/media/{photo}/thumb").status_code == 200
    assert login("secretary").get(f"/media/{photo}").status_code == 200
    assert login("rider").get(f"/media/{photo}").status_code == 404
    assert login("w-dmh-bhz-01").get(f"/media/{photo}/thumb").status_code == 404


def test_report_form_works_without_javascript(demo, login, app, tmp_path):
    """The same form, posted as a plain HTML form with files, creates the same event."""
    app.config["MEDIA_ROOT"] = str(tmp_path)
    client = login("rider")
    page = client.get("/report").get_data(as_text=True)
    point = Grid.query.filter_by(code="LX-QCL-FRJ-02").one().shape.representative_point()
    category = EventCategory.query.filter_by(code="GS01").one()
    form = {"csrf_token": csrf_from(page), "category_id": category.id, "description": "井盖缺失",
            "urgency": "urgent", "lon": point.x, "lat": point.y,
            "photo_files": [(io.BytesIO(jpeg_bytes()), "a.jpg"), (io.BytesIO(jpeg_bytes()), "b.jpg")]}
    response = client.post("/report", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    event = quick_reports().one()
    assert event.grid.code == "LX-QCL-FRJ-02" and event.source == "part_time"
    assert len(event.photos) == 2 and event.urgency == "urgent"
    # Missing photos: the page says so and stores nothing more.
    form = {**form, "csrf_token": csrf_from(page), "photo_files": []}
    again = client.post("/report", data=form, content_type="multipart/form-data")
    assert again.status_code == 200 and "至少需要 1 张照片" in again.get_data(as_text=True)
    assert quick_reports().count() == 1


def test_nothing_personal_is_kept_by_a_cache(phone, login):
    """Pages with residents' data and every API answer are no-store; a reporter's offline pages
    may be kept by the user's own browser only; photos are private; sign-out clears the cache."""
    from app.registry.models import RegistryRecord

    photo, _ = phone.put_photo()
    assert phone.send(phone.report([photo])).get_json()["results"][0]["status"] == "applied"
    person = RegistryRecord.query.filter_by(kind="person").first()
    worker = phone.client
    header = lambda client, url: client.get(url).headers.get("Cache-Control")  # noqa: E731
    for url in ("/", "/report", "/reports", "/me", "/patrol", "/registry/app"):
        assert header(worker, url) == "private, no-cache", url
    for url in (f"/registry/{person.id}", "/registry", f"/api/v1/registry/{person.id}",
                "/api/v1/sync/pull?cursor=0", "/api/v1/me"):
        assert header(worker, url) == "no-store", url
    assert header(worker, f"/media/{photo}").startswith("private")
    secretary = login("secretary")
    assert header(secretary, "/") == "no-store"  # no offline set: nothing of theirs is kept
    assert header(login("rider"), "/registry/app") == "no-store"  # not theirs: a 404 page
    assert header(worker.application.test_client(), "/login") == "no-store"
    page = worker.get("/me").get_data(as_text=True)
    out = worker.post("/logout", data={"csrf_token": csrf_from(page)})
    assert out.status_code == 302 and out.headers["Clear-Site-Data"] == '"cache"'
