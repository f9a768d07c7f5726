"""Fuzzing the sync API: generators and the oracle, shared by ``tests/test_sync_fuzz.py`` and
``bench/fuzz_push.py``.

A fuzzed mutation starts as a valid mutation of its kind (built from the demo data for the signed-in
worker) and has one thing (sometimes two or three) made wrong: a node anywhere in it replaced by a
wrong type, NaN/Infinity, a number far beyond 64 bits, a lone surrogate, a NUL, a very long string,
JSON nested thousands deep or a UUID with a trailing newline; a field dropped; an unknown field
added; or the whole mutation (or its data) replaced by random JSON. Bodies are written with
``json.dumps(allow_nan=True, ensure_ascii=True)`` (lone surrogates go out as ``\\ud83d`` escapes);
what the json module will not write (thousands deep, integers of more than 4300 digits) goes in
verbatim through ``Raw``.

The oracle (``World.push``) reads the body back as the server will, fingerprints every record a
mutation names before the push, and after it checks: no 5xx; a JSON answer; one result per
mutation, in order; every "applied"/"duplicate" has its ledger row and its record; nothing was
written for a mutation answered rejected/forbidden/conflict (no ledger row, the record it names
unchanged or absent); and, across the whole run, exactly one row per applied record id.

Nothing here edits the application; it only talks to it through the test client.
"""
import copy
import io
import json
import logging
import math
import re
import traceback
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from flask import has_app_context
from hypothesis import strategies as st
from PIL import Image
from stdnum.cn import ric

from app.assist.models import AssistRequest, ConvenienceItem
from app.enterprise.models import RiskScreening, SurveyAnswer
from app.events.models import Event, EventAction, EventCategory, EventPhoto, EventSupport
from app.extensions import db
from app.media.models import Media
from app.org.models import Grid
from app.patrols.models import CheckIn, Patrol, PatrolChunk, PatrolGap
from app.registry.models import PersonTag, RecordRevision, RegistryRecord, Submission, Visit
from app.sync.models import Mutation
from app.sync.schema import KIND_SCHEMAS, is_uuid
from app.tasks.models import Task, TaskReport
from app.volunteers.models import ServiceClaim, ServiceNeed

KINDS = sorted(KIND_SCHEMAS)
STORED = {"applied", "duplicate"}
REFUSED = {"rejected", "forbidden", "conflict"}
KNOWN_STATUSES = STORED | REFUSED | {"retry"}

# The table a kind writes (for kinds that change an existing record: the record it changes).
CREATES = {"event.report": Event, "patrol.start": Patrol, "patrol.checkin": CheckIn,
           "registry.create": RegistryRecord, "registry.visit": Visit, "task.report": TaskReport,
           "assist.create": AssistRequest, "service.claim": ServiceClaim, "event.support": EventSupport}
TARGETS = {**CREATES, "event.transition": Event, "patrol.chunk": Patrol, "patrol.stop": Patrol,
           "registry.edit": RegistryRecord, "assist.advance": AssistRequest, "service.log": ServiceClaim,
           # An enterprise officer's kinds: valid in shape, refused to the signed-in worker.
           "enterprise.need": Event, "enterprise.answer": SurveyAnswer, "enterprise.screening": RiskScreening}
assert set(TARGETS) == set(KINDS), "a new mutation kind needs a valid example and a table here"

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
T0_EPOCH = int(T0.timestamp())


# --- writing bodies -----------------------------------------------------------------------------

class Raw:
    """JSON text put into a body verbatim: nesting the json module will not write, integers
    beyond Python's 4,300-digit limit, literals such as 1e400."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        head = self.text if len(self.text) <= 40 else f"{self.text[:20]}…{self.text[-10:]}"
        return f"Raw({head!r}, {len(self.text)} chars)"

    def __eq__(self, other):
        return isinstance(other, Raw) and other.text == self.text

    def __hash__(self):
        return hash(self.text)


def encode(value) -> str:
    """The body as a phone with a bug could send it: NaN and Infinity written out, lone
    surrogates as \\uXXXX escapes, Raw pieces verbatim."""
    pieces = {}

    def default(obj):
        if isinstance(obj, Raw):
            key = f"@@raw{len(pieces)}:{uuid.uuid4().hex}@@"
            pieces[key] = obj.text
            return key
        raise TypeError(type(obj))

    text = json.dumps(value, allow_nan=True, ensure_ascii=True, default=default)
    for key, raw in pieces.items():
        text = text.replace(json.dumps(key), raw, 1)
    return text


def server_view(body):
    """The body as the server's ``json.loads`` reads it, or None when it cannot."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


# --- values -------------------------------------------------------------------------------------

def _uuid_variant(pair):
    u, how = str(pair[0]), pair[1]
    return {
        "trailing newline": u + "\n", "upper case": u.upper(), "braces": "{" + u + "}",
        "leading space": " " + u, "short": u[:-1], "long": u + "0", "no dashes": u.replace("-", ""),
        "urn": "urn:uuid:" + u, "NUL": u[:-1] + "\x00", "lone surrogate": u[:-1] + "\ud83d",
        "full-width": u.replace("a", "ａ").replace("1", "１"), "trailing CRLF": u + "\r\n",
    }[how]


UUID_VARIANTS = st.tuples(st.uuids(), st.sampled_from([
    "trailing newline", "upper case", "braces", "leading space", "short", "long", "no dashes",
    "urn", "NUL", "lone surrogate", "full-width", "trailing CRLF"])).map(_uuid_variant)

SPECIALS = [
    None, True, False, 0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53, 2**53 + 1, 2**63 - 1, 2**63,
    2**64, -(2**63) - 1, 10**30, -(10**30), 10**300, 1.5, -0.0, 0.1, 1e308, -1e308, 5e-324,
    float("nan"), float("inf"), float("-inf"), 1e15, 1e11, 99999999999.0,
    "", " ", "12", "1e3", "0x10", "true", "null", "NaN", "Infinity", "117.0", " 36.6 ", "-0",
    "\x00", "a\x00b", "\ud83d", "路口\ud83d", "\udc00x", "😀", "\u202e", "\ufeff", "\u2028",
    "<script>alert(1)</script>", "'; DROP TABLE event; --", "%s%s%n", "../../etc/passwd",
    [], {}, [[]], [None], {"": None}, [1, 2, 3], {"a": {"b": {"c": [1]}}},
    # Times a handler parses.
    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "2026-11-27", "2026-11-27T08:00:00+24:00",
    "2026-11-27T08:00:00.123456789Z", "now", "1795741200", "2026-11-27T08:00:00Z\n",
]
DEEP = [9, 100, 1000, 5000, 100_000]
RAWS = ([Raw("[" * n + "]" * n) for n in DEEP] + [Raw('{"a":' * n + "1" + "}" * n) for n in DEEP]
        + [Raw("9" * 5000), Raw("-" + "1" * 4400), Raw("1e400"), Raw("-1e400"), Raw("1" * 400),
           Raw("1.0e-400"), Raw("-0"), Raw('"\\ud83d"'), Raw('"\\udc00\\ud83d"'), Raw('"\\u0000"')])

LONG = st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "张", "😀", " ", "\u200b", "a\x00", "9"]),
                 st.sampled_from([19, 33, 37, 41, 61, 101, 121, 201, 301, 401, 1001, 2001, 5000,
                                  100_000]))
WEIRD_TEXT = st.text(st.one_of(st.characters(codec=None, exclude_categories=()),
                               st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                               st.sampled_from(["\x00", "\n", "\"", "\\", "张", "\ufffd"])),
                     max_size=30)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                      max_size=4),
    max_leaves=12)


def pick(items):
    """One of ``items``, a list that may grow between examples: the same draws (an index) whatever
    its length, so that hypothesis sees generation that does not depend on outside state."""
    return st.integers(0, 2**16).map(lambda i: items[i % len(items)])


def bad_values(world):
    """Anything a phone with a bug (or an attacker) could put where a field goes."""
    return st.one_of(
        st.sampled_from(SPECIALS), st.sampled_from(RAWS), UUID_VARIANTS, LONG, WEIRD_TEXT,
        JSON_VALUES, st.integers(), st.floats(), pick(world.foreign_values()))


def _iso(pair):
    moment, zone = pair
    return moment.isoformat() + zone


# Times at the ends of what a datetime holds (with offsets that carry them past), a wrong clock's
# years, dates that do not exist, and other text a parser meets.
EDGE_TIMES = ["9999-12-31T23:59:59-14:00", "9999-12-31T23:00:00-01:00", "9999-12-31T23:59:59Z",
              "0001-01-01T00:00:00+14:00", "0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z",
              "1900-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2096-01-01T00:00:00Z",
              "2026-02-30T00:00:00Z", "2026-11-27", "2026-11-27T08:00:00+24:00", "1795741200",
              "2026-11-27T08:00:00.123456789Z", "2026-11-27T08:00:00Z\n", "12", "1e3"]
TIMES = st.one_of(
    st.sampled_from(EDGE_TIMES),
    st.tuples(st.datetimes(), st.sampled_from(["Z", "+14:00", "-14:00", "+08:00", "", "+23:59"])).map(_iso))
# Lengths just under, at and over the limits of the schemas, the forms and the columns.
EDGE_LENGTHS = [18, 19, 20, 21, 35, 36, 37, 39, 40, 41, 59, 60, 61, 99, 100, 101, 119, 120, 121, 199,
                200, 201, 299, 300, 301, 399, 400, 401, 999, 1000, 1001, 1999, 2000, 2001]
EDGE_TEXT = st.builds(lambda ch, n: ch * n, st.sampled_from(["a", "张", "😀", "A1"]),
                      st.sampled_from(EDGE_LENGTHS))
EDGE_INTS = [0, -1, 1, 2, 7, 100, 200, 201, 1000, 1440, 1441, 10_000, 10_001, 100_000, 1_000_000,
             1_000_001, 2**31 - 1, 2**31, -(2**31), 2**32, 2**53, 2**53 + 1, 2**63 - 1, 2**63]
# Seconds since the epoch a phone with a wrong clock could send, and coordinates at the edges.
EDGE_FLOATS = [0.0, -0.0, 0.5, -1.0, 1e-320, 89.999999, 90.0, 90.000001, 180.0, 180.000001, -180.0,
               4e9, 1e10, 1e11, 253402300800.0, 9007199254740992.0, 1e15, 100000.0, 100000.5,
               1e6, 1e6 + 1, 116.0, 30.0]


def near_values(current, world):
    """Values of the same kind as ``current``, at and beyond the edges that kind has: what a
    phone that is almost right sends (a wrong clock, a long name, a float for an int)."""
    if isinstance(current, bool):
        return st.sampled_from([0, 1, "true", None, [True]])
    if isinstance(current, int):
        return st.one_of(st.sampled_from(EDGE_INTS), st.sampled_from(EDGE_FLOATS),
                         st.integers(current - 2, current + 2), st.just(float(current)),
                         pick(world.foreign_values()))
    if isinstance(current, float) and not math.isfinite(current):
        return st.one_of(st.sampled_from(EDGE_FLOATS), st.sampled_from(EDGE_INTS))
    if isinstance(current, float):
        return st.one_of(st.sampled_from(EDGE_FLOATS), st.sampled_from(EDGE_INTS),
                         st.floats(current - 1, current + 1), st.just(round(current)))
    if isinstance(current, str) and is_uuid(current):
        return st.one_of(UUID_VARIANTS, st.uuids().map(str), pick(world.foreign_values()))
    if isinstance(current, str) and current[:4].isdigit():
        return TIMES
    if isinstance(current, str):
        return st.one_of(EDGE_TEXT, st.just(current + "\ud83d"), st.just(" " * 3),
                         st.just(current.upper()), st.just(current + "\x00"))
    if isinstance(current, list):
        return st.one_of(st.just([]), st.just([None]), st.just(current * 101),
                         st.just(current + current), st.just(current[:1] * 501))
    return bad_values(world)


KEY_POOL = sorted({name for schema in KIND_SCHEMAS.values() for name in schema.model_fields}
                  | {"id", "kind", "record_id", "author_id", "created_at", "base_version",
                     "form_version", "data", "__proto__", "constructor", "", " ", "\x00",
                     "\ud83d", "id\n", "tags", "grid_id", "parent_id", "population_type"})


# --- the world: the signed-in worker and the demo data ------------------------------------------

def small_jpeg(color=(10, 120, 200), size=(48, 32), exif_orientation=None):
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


class ErrorLog(logging.Handler):
    """Collects the tracebacks the app logs (a handler answered "retry", a commit failed)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.records.append(text)

    def take(self):
        out, self.records = self.records, []
        return out


class World:
    """A signed-in worker's phone, the ids of the demo data it may use, and what the server has
    answered so far (for the exactly-once check)."""

    def __init__(self, app, client, token, user_id):
        self.app, self.client, self.token, self.user_id = app, client, token, user_id
        self.counter = 0
        self.photo_id = None
        self.prelude_pushes = 0
        self.photo = small_jpeg()
        self.applied_ids = {}  # mutation id -> (kind, record_id)
        self.created = {}  # table -> record ids answered applied by a creating kind
        self.refused = {}  # mutation id -> (kind, record_id) for answers rejected/forbidden/conflict
        self.history = []  # recent mutations sent (for replays)
        self.problems = []
        self.statuses = Counter()  # (request, HTTP status) -> how many
        self.signatures = Counter()  # kind of problem -> how many times
        self.first_of = {}  # kind of problem -> its first occurrence in full
        self.errors = ErrorLog()
        logging.getLogger("app").addHandler(self.errors)
        with self.db():
            self.grid = Grid.query.filter_by(code="LX-QCL-FRJ-01").one()
            self.grid_id = self.grid.id
            point = self.grid.shape.representative_point()
            self.lon, self.lat = round(point.x, 6), round(point.y, 6)
            self.other_grid_id = Grid.query.filter_by(code="LX-DMH-BHZ-01").one().id
            self.category_id = EventCategory.query.filter_by(code="SR01").one().id
            self.major_category_id = EventCategory.query.filter_by(code="SR").one().id
            self.no_self_resolve_category_id = EventCategory.query.filter_by(code="GS01").one().id
            records = RegistryRecord.query.filter_by(grid_id=self.grid_id).all()
            by_kind = {}
            for r in records:
                by_kind.setdefault(r.kind, []).append(r.id)
            self.building_id, self.room_id = by_kind["building"][0], by_kind["room"][0]
            self.person_id, self.organisation_id = by_kind["person"][0], by_kind["organisation"][0]
            self.object_id = by_kind["object"][0]
            self.demo_records = len(records) + RegistryRecord.query.filter(
                RegistryRecord.grid_id != self.grid_id).count()
            tasks = {t.title: t for t in Task.query}
            self.tasks = {t.kind: t.id for t in tasks.values() if t.status == "open"}
            self.pending_task_id = next(t.id for t in tasks.values() if t.status != "open")
            from app.auth.models import User

            self.other_user_id = User.query.filter_by(username="w-qcl-frj-02").one().id
            self.convenience_item_id = ConvenienceItem.query.first().id
            self.need_id = ServiceNeed.query.first().id
            self.baseline = {model: model.query.count() for model in set(CREATES.values())}
        assert set(self.tasks) == {"task", "survey", "publicity"}, self.tasks

    @classmethod
    def sign_in(cls, app, username="worker"):
        from tests.conftest import sign_in

        client = app.test_client()
        response = sign_in(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        user_id = client.get("/api/v1/me").get_json()["id"]
        token = client.get("/api/v1/csrf").get_json()["csrf_token"]
        _drop_session()
        return cls(app, client, token, user_id)

    def db(self):
        """A fresh session on committed data (its own app context)."""
        return self.app.app_context()

    def close(self):
        logging.getLogger("app").removeHandler(self.errors)

    def foreign_values(self):
        """Ids that exist but do not belong where the fuzzer puts them."""
        return [self.other_user_id, self.other_grid_id, self.major_category_id,
                self.no_self_resolve_category_id, self.pending_task_id, self.building_id,
                self.person_id, self.room_id, self.object_id, self.grid_id, self.category_id,
                self.user_id, *sorted(self.tasks.values()),
                *sorted(self.created.get(Event, ()))[:3], *sorted(self.created.get(Patrol, ()))[:3]]

    # -- requests ------------------------------------------------------------------------------

    def _call(self, method, path, **kw):
        """(status, response or None, traceback or None). An exception out of the app (TESTING
        propagates them) counts as a 500."""
        route = path.split("?")[0].rsplit("/", 1)[0] if path.startswith("/api/v1/media/") else path
        try:
            response = getattr(self.client, method)(path, **kw)
            self.statuses[(f"{method.upper()} {route}", response.status_code)] += 1
            return response.status_code, response, None
        except Exception:  # noqa: BLE001 - the app raised: report it as the server's 500
            self.statuses[(f"{method.upper()} {route}", 500)] += 1
            return 500, None, traceback.format_exc()
        finally:
            _drop_session()

    def upload_photo(self, data=None, content_type="image/jpeg"):
        photo_id = str(uuid.uuid4())
        status, response, tb = self._call("put", f"/api/v1/media/{photo_id}", data=data or self.photo,
                                          content_type=content_type,
                                          headers={"X-CSRFToken": self.token})
        assert status == 201, tb or response.get_data(as_text=True)[:300]
        return photo_id

    # -- valid mutations -----------------------------------------------------------------------

    def uid(self):
        return str(uuid.uuid4())

    def envelope(self, kind, record_id=None, data=None, **extra):
        return {"id": self.uid(), "kind": kind, "record_id": record_id or self.uid(),
                "author_id": self.user_id, "created_at": "2026-11-27T08:00:00Z", "form_version": 1,
                "data": data or {}, **extra}

    def report(self, photo, **data):
        payload = {"category_id": self.category_id, "description": "路口垃圾堆积", "urgency": "normal",
                   "lon": self.lon, "lat": self.lat, "accuracy": 8, "location_manual": False,
                   "photos": [photo]}
        payload.update(data)
        return self.envelope("event.report", data=payload)

    def resident_id(self):
        self.counter += 1
        n = self.counter
        birth = f"{1950 + n // 300000 % 50}{1 + n // 25000 % 12:02d}{1 + n // 900 % 28:02d}"
        body = f"370102{birth}{n % 900 + 100:03d}"
        return body + ric.calc_check_digit(body + "0")

    def valid(self, kind, draw, photo):
        """(a valid mutation of ``kind``, the valid mutations it needs stored first)."""
        lon, lat = self.lon, self.lat
        if kind == "event.report":
            return self.report(photo, urgency=draw(st.sampled_from(["normal", "urgent", "critical"]))), []
        if kind == "event.support":
            target = self.report(photo)
            return self.envelope("event.support", data={"event_id": target["record_id"], "note": "同一处垃圾",
                                                        "photos": [photo]}), [target]
        if kind == "event.transition":
            target = self.report(photo)
            return self.envelope("event.transition", target["record_id"], base_version=1, data={
                "action": "self_resolve", "note": "已清理", "photos": [photo]}), [target]
        if kind == "patrol.start":
            return self.envelope("patrol.start", data={"started_at": "2026-11-27T01:00:00Z",
                                                       "grid_id": self.grid_id}), []
        start = self.envelope("patrol.start", data={"started_at": "2026-11-27T01:00:00Z",
                                                    "grid_id": self.grid_id})
        if kind == "patrol.chunk":
            points = [[T0_EPOCH + 10 * i, round(lon + 0.00004 * i, 6), lat, 8] for i in range(5)]
            return self.envelope("patrol.chunk", start["record_id"], data={
                "seq": 0, "points": points,
                "gaps": [["2026-11-27T01:05:00Z", "2026-11-27T01:06:00Z", "hidden"]]}), [start]
        if kind == "patrol.stop":
            return self.envelope("patrol.stop", start["record_id"],
                                 data={"ended_at": "2026-11-27T02:00:00Z"}), [start]
        if kind == "patrol.checkin":
            with_patrol = draw(st.booleans())
            data = {"patrol_id": start["record_id"] if with_patrol else None, "lon": lon, "lat": lat,
                    "accuracy": 9, "note": "路口", "photo_id": photo, "link_kind": "record",
                    "link_id": self.building_id}
            return self.envelope("patrol.checkin", data=data), [start] if with_patrol else []
        if kind == "registry.create":
            return self.envelope("registry.create", data=self.registry_fields(draw), form_version=2), []
        if kind == "registry.edit":
            target = self.envelope("registry.create", data={"kind": "building", "fields": {
                "name": "芙蓉街20号楼", "address": "芙蓉街20号", "floors": 6, "units": 2}})
            return self.envelope("registry.edit", target["record_id"], base_version=1, data={
                "fields": {"address": "芙蓉街21号", "floors": 7},
                "base": {"address": "芙蓉街20号", "floors": 6}}), [target]
        if kind == "registry.visit":
            return self.envelope("registry.visit", data={
                "target_id": self.person_id, "note": "上门走访，情况正常", "photos": [photo]}), []
        if kind == "task.report":
            which = draw(st.sampled_from(["task", "survey", "publicity"]))
            data = {
                "task": {"task_id": self.tasks["task"], "note": "已检查 12 户", "photos": [photo],
                         "minutes": 30},
                "survey": {"task_id": self.tasks["survey"], "minutes": 10, "answers": {
                    "q1": "同意", "q2": ["费用分摊", "采光"], "q3": 2000, "q4": "希望尽快"}},
                "publicity": {"task_id": self.tasks["publicity"], "households": 8, "photos": [photo],
                              "note": "发放传单"},
            }[which]
            return self.envelope("task.report", data=data), []
        if kind in ("assist.create", "assist.advance"):
            request = self.envelope("assist.create", data={
                "item_id": self.convenience_item_id, "resident_id": self.person_id, "consent": True,
                "consent_method": draw(st.sampled_from(["in_person", "written", "family"])),
                "note": "居民委托代办", "photos": [photo]})
            if kind == "assist.create":
                return request, []
            return self.envelope("assist.advance", request["record_id"], data={
                "to": draw(st.sampled_from(["materials", "refused"])), "note": "材料已收齐",
                "photos": [photo]}), [request]
        if kind in ("service.claim", "service.log"):
            # A party member's kinds: valid in shape, refused to the signed-in worker.
            if kind == "service.claim":
                return self.envelope("service.claim", data={"need_id": self.need_id}), []
            return self.envelope("service.log", data={"hours": 2, "note": "清理楼道", "photos": [photo]}), []
        firm = self.organisation_id
        if kind == "enterprise.need":
            return self.envelope(kind, data={"enterprise_id": firm, "category_id": self.category_id,
                                             "description": "招工需求", "photos": [photo]}), []
        if kind == "enterprise.answer":
            return self.envelope(kind, data={"survey_id": 1, "version": 1, "enterprise_id": firm,
                                             "period": "2026-11", "answers": {"q1": 100}}), []
        if kind == "enterprise.screening":
            return self.envelope(kind, data={"enterprise_id": firm, "period": "2026-11",
                                             "results": {"fire": "risk"}, "notes": {"fire": "通道堵塞"}}), []
        raise AssertionError(f"no valid example for {kind}")

    def registry_fields(self, draw):
        kind = draw(st.sampled_from(["building", "room", "person", "site", "object", "organisation"]))
        fields = {
            "building": {"name": "芙蓉街20号楼", "address": "芙蓉街20号", "floors": 6, "units": 2,
                         "property_company": "泉城物业"},
            "room": {"parent_id": self.building_id, "name": "3单元501", "use": "rented", "area_m2": 88.5},
            "person": {"name": "张三", "id_number": self.resident_id(), "phone": "13853100000",
                       "population_type": "floating", "parent_id": self.room_id,
                       "tags": ["elderly_alone"]},
            "site": {"name": "芙蓉街小吃", "site_type": "catering", "address": "芙蓉街1号",
                     "phone": "0531-86001234"},
            "object": {"name": "LX-JG-000999", "object_type": "manhole", "lon": self.lon,
                       "lat": self.lat, "condition": "good"},
            "organisation": {"name": "芙蓉志愿者协会", "org_type": "social",
                             "parent_id": self.building_id, "staff": 12},
        }[kind]
        return {"kind": kind, "fields": fields}

    # -- fuzzed mutations ----------------------------------------------------------------------

    def fuzzed(self, draw, kind=None, photo=None):
        """(mutation, preludes, what was done to it)."""
        kind = kind or draw(st.sampled_from(KINDS))
        valid, preludes = self.valid(kind, draw, photo or self.photo_id)
        m = copy.deepcopy(valid)
        done = []
        for _ in range(draw(st.sampled_from([1, 1, 1, 1, 1, 1, 1, 2, 2, 3]))):
            m, what = self._break(draw, m)
            done.append(what)
        return m, preludes, done

    def _break(self, draw, m):
        op = draw(st.sampled_from(["replace"] * 10 + ["delete"] * 3 + ["extra"] * 3 + ["kind"]
                                  + ["data"] + ["whole"]))
        if not isinstance(m, dict):
            op = "whole"
        if op == "whole":
            value = draw(st.one_of(JSON_VALUES, bad_values(self)))
            return value, "whole mutation replaced"
        if op == "data":
            m["data"] = draw(st.one_of(JSON_VALUES, bad_values(self)))
            return m, "data replaced"
        if op == "kind":
            m["kind"] = draw(st.one_of(st.sampled_from(KINDS), bad_values(self)))
            return m, f"kind := {m['kind']!r}"
        nodes = list(_paths(m))
        if not nodes:
            op = "extra"
        if op == "replace":
            # Half the time a field of the data: those reach the handlers once the schema passes.
            inner = [p for p in nodes if p[0] == "data" and len(p) > 1]
            path = draw(st.sampled_from(inner if inner and draw(st.booleans()) else nodes))
            value = draw(st.one_of(near_values(_get(m, path), self), bad_values(self)))
            _set(m, path, value)
            return m, f"{_show(path)} := {value!r}"[:200]
        if op == "delete":
            path = draw(st.sampled_from(nodes))
            parent = _get(m, path[:-1])
            del parent[path[-1]]
            return m, f"del {_show(path)}"
        containers = [()] + [p for p in nodes if isinstance(_get(m, p), dict)]
        path = draw(st.sampled_from(containers))
        key = draw(st.one_of(st.sampled_from(KEY_POOL), WEIRD_TEXT))
        value = draw(st.one_of(bad_values(self), st.sampled_from(["x", 1, True, None])))
        _get(m, path)[key] = value
        return m, f"{_show(path + (key,))} += {value!r}"[:200]

    def replay(self, draw, original):
        """The same mutation again (a duplicate), or its id or record id reused (a conflict)."""
        how = draw(st.sampled_from(["same", "same", "same id other data", "same record new id"]))
        again = copy.deepcopy(original)
        if how == "same id other data":
            data = again.get("data")
            again["data"] = {**data, "replayed": True} if isinstance(data, dict) else {"replayed": True}
        elif how == "same record new id":
            again["id"] = self.uid()
        return again, f"replay: {how}"

    # -- pushing and checking ------------------------------------------------------------------

    def push_mutations(self, mutations, expect_applied=False):
        """Push and check; with ``expect_applied`` every one must be applied (valid preludes)."""
        self.prelude_pushes += 1
        outcome = self.push(encode({"mutations": mutations}), intended=mutations)
        if expect_applied and outcome.get("results") is not None:
            for m, r in zip(mutations, outcome["results"], strict=False):
                if r.get("status") != "applied":
                    self.problem(f"a valid {m['kind']} was answered {r}", mutation=m)
        return outcome

    def problem(self, text, **context):
        detail = "\n".join(f"  {k}: {_short(v)}" for k, v in context.items())
        full = f"{text}\n{detail}" if detail else text
        self.problems.append(full)
        # One line per kind of problem, for a long run's summary: the message without numbers,
        # the kind of mutation, and the error the server raised.
        mutation = context.get("mutation")
        kind = mutation.get("kind") if isinstance(mutation, dict) else None
        logged = "\n".join(str(context.get(k, "")) for k in ("traceback", "log"))
        errors = [line.strip() for line in logged.splitlines()
                  if re.match(r"^\s*[\w.]+(Error|Exception|error)\b", line)]
        key = " | ".join(filter(None, [re.sub(r"#\d+|\d+", "N", text),
                                       kind if isinstance(kind, str) else None,
                                       errors[-1][:160] if errors else None]))
        self.signatures[key] += 1
        self.first_of.setdefault(key, full)

    def push(self, body, neighbours=(), intended=None):
        """POST a push body and check everything the oracle knows. Returns a dict with the HTTP
        status, the results (or None) and the mutations as the server read them (or, when it
        cannot read the body, as they were ``intended``: none of them may be stored then)."""
        sent = server_view(body)
        mutations = sent.get("mutations") if isinstance(sent, dict) else None
        if not isinstance(mutations, list):
            mutations = list(intended or []) if sent is None else []
        # Before: what the ledger and the tables hold for every id the batch names.
        with self.db():
            ledger_before = {i: _ledger(m) for i, m in enumerate(mutations)}
            prints_before = {i: _fingerprint(m) for i, m in enumerate(mutations)}
        self.errors.take()
        status, response, tb = self._call("post", "/api/v1/sync/push", data=body,
                                          content_type="application/json",
                                          headers={"X-CSRFToken": self.token})
        logged = self.errors.take()
        outcome = {"status": status, "results": None, "mutations": mutations}
        where = {"body": body}
        if status >= 500:
            self.problem(f"push answered {status}", body=body, traceback=_last_frames(tb),
                         answer=response.get_data(as_text=True) if response else "", log="\n".join(logged))
        answer = _json_of(response)
        if response is not None and answer is None:
            self.problem(f"push answered {status} with a body that is not JSON",
                         body=body, answer=response.get_data(as_text=True))
        results = answer.get("results") if status == 200 and isinstance(answer, dict) else None
        if status == 200 and not isinstance(results, list):
            self.problem("push answered 200 without a list of results", **where, answer=answer)
            results = None
        if status == 200 and sent is None:
            self.problem("push answered 200 to a body that is not JSON", **where)
        if status != 200 and response is not None and status < 500:
            if not (isinstance(answer, dict) and answer.get("error") and answer.get("message")):
                self.problem(f"push answered {status} without an error code and message", **where,
                             answer=answer)
        outcome["results"] = results
        if results is not None and len(results) != len(mutations):
            self.problem(f"{len(mutations)} mutations got {len(results)} results", **where)
            results = None
        outcome["results"] = results
        answers = results or [None] * len(mutations)
        # Record ids some mutation of this batch stored: a refused one naming the same record
        # cannot be told apart from it by a fingerprint.
        stored = [m for m, r in zip(mutations, answers, strict=True)
                  if isinstance(m, dict) and isinstance(r, dict) and r.get("status") in STORED]
        touched = {_clean_str(m.get("record_id")) for m in stored}
        stored_ids = {_clean_str(m.get("id")) for m in stored}
        with self.db():
            for i, (m, r) in enumerate(zip(mutations, answers, strict=True)):
                self._check_one(i, m, r, ledger_before[i], prints_before[i], touched, stored_ids,
                                logged)
        if sent is None:
            if status != 400:
                self.problem(f"a body json.loads cannot read was answered {status}", body=body)
            neighbours = ()  # a body that is not JSON is refused whole: 400, nothing stored
        for i in neighbours:
            r = answers[i]
            if not (isinstance(r, dict) and r.get("status") == "applied"):
                self.problem(f"the valid neighbour #{i} was answered {r}", body=body)
            else:
                with self.db():
                    if db.session.get(Event, mutations[i]["record_id"]) is None:
                        self.problem(f"the neighbour #{i} was answered applied but has no event",
                                     body=body)
        for m in intended or ():  # as built (Raw pieces unexpanded): safe to copy and resend
            if isinstance(m, dict) and isinstance(m.get("kind"), str):
                self.history.append(m)
        del self.history[:-200]
        return outcome

    def _check_one(self, i, m, r, ledger_before, print_before, touched, stored_ids, logged):
        mid = _clean_str(m.get("id")) if isinstance(m, dict) else None
        kind = m.get("kind") if isinstance(m, dict) else None
        rid = _clean_str(m.get("record_id")) if isinstance(m, dict) else None
        ctx = {"mutation": m, "answer": r}
        if r is None:  # the whole request was refused: nothing of it may be stored
            if _ledger(m) != ledger_before:
                self.problem(f"#{i}: the push was refused but the ledger changed", **ctx)
            if _fingerprint(m) != print_before:
                self.problem(f"#{i}: the push was refused but its record changed", **ctx,
                             before=print_before, after=_fingerprint(m))
            return
        if not isinstance(r, dict) or r.get("status") not in KNOWN_STATUSES:
            self.problem(f"#{i}: unknown answer", **ctx)
            return
        status = r["status"]
        if mid is not None and is_uuid(mid) and r.get("id") != mid:
            self.problem(f"#{i}: answered under id {r.get('id')!r}, not {mid!r} (order?)", **ctx)
        if status == "retry":
            own = [text for text in logged if mid and mid in text.split("\n", 1)[0]]
            self.problem(f"#{i}: the handler failed (answered retry, server_error)", **ctx,
                         log="\n".join(own or logged)[-4000:])
        ledger_after = _ledger(m)
        if status in STORED:
            if ledger_after is None or ledger_after[1] != rid:
                self.problem(f"#{i}: answered {status} without its ledger row", **ctx, ledger=ledger_after)
            if _fingerprint(m) is None:
                self.problem(f"#{i}: answered {status} but {kind} wrote no record {rid}", **ctx)
            if status == "applied":
                if ledger_before is not None:
                    self.problem(f"#{i}: applied a second time (a ledger row existed)", **ctx)
                if mid in self.applied_ids:
                    self.problem(f"#{i}: this mutation id was applied before", **ctx)
                self.applied_ids[mid] = (kind, rid)
                if kind in CREATES:
                    self.created.setdefault(CREATES[kind], set()).add(rid)
            return
        # Refused (or retry): nothing written for it. (Its id may be the ledger row of another
        # mutation of this batch, stored under the same id: an id reused with other content.)
        if mid not in stored_ids and ledger_after != ledger_before:
            self.problem(f"#{i}: answered {status} but the ledger changed", **ctx,
                         before=ledger_before, after=ledger_after)
        if rid not in touched and _fingerprint(m) != print_before:
            self.problem(f"#{i}: answered {status} but its record changed", **ctx,
                         before=print_before, after=_fingerprint(m))
        if mid is not None and status in REFUSED:
            self.refused.setdefault(mid, (kind if isinstance(kind, str) else None, rid))

    def check_counts(self, full=False):
        """Across the run: one row per applied record id, one ledger row per applied mutation;
        with ``full``, also every applied one by id and none that was only ever refused."""
        with self.db():
            # What the demo held before the run, plus what the run's answers say was made.
            expected = {model: self.baseline[model] + len(self.created.get(model, ()))
                        for model in set(CREATES.values())}
            expected[Mutation] = len(self.applied_ids)
            for model, n in expected.items():
                got = model.query.count()
                if got != n:
                    self.problem(f"{model.__tablename__}: {got} rows, {n} expected from the answers")
            if not full:
                return
            ids = sorted(self.applied_ids)
            for part in _chunks(ids):
                found = Mutation.query.filter(Mutation.id.in_(part)).count()
                if found != len(part):
                    self.problem(f"{len(part) - found} applied mutations have no ledger row")
            for model, record_ids in self.created.items():
                for part in _chunks(sorted(record_ids)):
                    found = model.query.filter(model.id.in_(part)).count()
                    if found != len(part):
                        self.problem(f"{len(part) - found} applied {model.__tablename__} ids have no row")
            # A mutation answered rejected/forbidden/conflict and never applied has no ledger row,
            # and the record id it named has no record unless another mutation stored it.
            never = sorted(i for i in self.refused if i not in self.applied_ids)
            for part in _chunks(never):
                found = [row.id for row in Mutation.query.filter(Mutation.id.in_(part))]
                if found:
                    self.problem(f"refused mutations have ledger rows: {found[:5]}")
            for model in set(CREATES.values()):
                rids = sorted({rid for kind, rid in (self.refused[i] for i in never)
                               if kind in CREATES and CREATES[kind] is model and rid
                               and rid not in self.created.get(model, ())})
                for part in _chunks(rids):
                    found = [row.id for row in model.query.filter(model.id.in_(part))]
                    # Ids the fuzzer took from existing records (demo data) are no one's fault.
                    found = [f for f in found if f not in self.foreign_values()]
                    if found:
                        self.problem(f"refused {model.__tablename__} ids have rows: {found[:5]}")

    # -- pull and media ------------------------------------------------------------------------

    def pull(self, query):
        status, response, tb = self._call("get", "/api/v1/sync/pull", query_string=query)
        answer = _json_of(response)
        where = {"query": query}
        if status >= 500:
            self.problem(f"pull answered {status}", **where, traceback=_last_frames(tb))
        elif status not in (200, 400):
            self.problem(f"pull answered {status}", **where, answer=answer)
        if response is not None and answer is None:
            self.problem("pull answered with a body that is not JSON", **where,
                         answer=response.get_data(as_text=True)[:500])
        if status == 200 and not (isinstance(answer.get("changes"), list)
                                  and type(answer.get("cursor")) is int
                                  and isinstance(answer.get("more"), bool)):
            self.problem("pull answered 200 without changes/cursor/more", **where, answer=answer)
        return status

    def put_media(self, media_id, body, content_type):
        path = "/api/v1/media/" + quote(media_id, safe="")
        key = media_id.lower() if isinstance(media_id, str) else ""
        with self.db():
            existed = is_uuid(key) and db.session.get(Media, key) is not None
        headers = {"X-CSRFToken": self.token}
        kw = {"data": body, "headers": headers}
        if content_type is not None:
            headers["Content-Type"] = content_type
        status, response, tb = self._call("put", path, **kw)
        answer = _json_of(response)
        where = {"id": media_id, "content_type": content_type, "body": body[:200]}
        if status >= 500:
            self.problem(f"media PUT answered {status}", **where, traceback=_last_frames(tb),
                         log="\n".join(self.errors.take()))
        if response is not None and answer is None:
            self.problem(f"media PUT answered {status} with a body that is not JSON", **where,
                         answer=response.get_data(as_text=True)[:300])
        if is_uuid(key):
            with self.db():
                stored = db.session.get(Media, key) is not None
            if status in (200, 201) and not stored:
                self.problem(f"media PUT answered {status} but stored nothing", **where)
            if status not in (200, 201) and stored and not existed:
                self.problem(f"media PUT answered {status} but stored a photo", **where)
            root = Path(self.app.config.get("MEDIA_ROOT") or "/nonexistent")
            if status not in (200, 201) and not existed and root.exists() and any(
                    root.rglob(f"{key}*")):
                self.problem(f"media PUT answered {status} but left files", **where)
        return status


# --- strategies for whole requests --------------------------------------------------------------

def push_case(draw, world, fuzzed=(1, 3), neighbour=True, valid=0, replays=0.1):
    """A push for ``World.push``: fresh preludes are stored first (their own push); then a batch of
    the neighbour (a correct report with a photo uploaded just now), ``valid`` correct mutations
    and 1–3 fuzzed ones, in a drawn order, maybe followed by a replay."""
    photo = world.upload_photo()
    world.photo_id = photo
    items, preludes, notes = [], [], []
    n = draw(st.integers(*fuzzed)) if isinstance(fuzzed, tuple) else fuzzed
    for _ in range(n):
        m, before, done = world.fuzzed(draw, photo=photo)
        items.append(("fuzzed", m))
        preludes.extend(before)
        notes.append(done)
    for _ in range(valid):
        m, before = world.valid(draw(st.sampled_from(KINDS)), draw, photo)
        items.append(("valid", m))
        preludes.extend(before)
    if neighbour:
        items.append(("neighbour", world.report(photo)))
    items = draw(st.permutations(items))
    earlier = world.history[-50:] + [m for role, m in items if isinstance(m, dict)]
    if replays and draw(st.floats(0, 1)) < replays and earlier:
        again, how = world.replay(draw, draw(pick(earlier)))
        items.append(("replay", again))
        notes.append(how)
    if preludes:
        world.push_mutations(preludes, expect_applied=True)
    mutations = [m for _, m in items]
    return {"body": encode({"mutations": mutations}), "notes": notes, "mutations": mutations,
            "neighbours": [i for i, (role, _) in enumerate(items) if role == "neighbour"]}


def raw_push_body(draw, world):
    """Whole bodies that are not a well-formed push: garbage bytes, random JSON, bad UTF-8,
    too many mutations, mutations not a list, a deep body."""
    how = draw(st.sampled_from(["bytes", "json", "utf8", "many", "not a list", "deep", "dup keys",
                                "empty"]))
    if how == "bytes":
        return draw(st.binary(max_size=300))
    if how == "json":
        return encode(draw(JSON_VALUES))
    if how == "utf8":
        return b'{"mutations": ["\xff\xfe\xc0\x80"]}'
    if how == "many":
        return encode({"mutations": [world.report(world.uid())] * draw(st.integers(101, 150))})
    if how == "not a list":
        return encode({"mutations": draw(st.one_of(JSON_VALUES, bad_values(world)).filter(
            lambda v: not isinstance(v, list) and not (isinstance(v, Raw) and v.text.startswith("["))))})
    if how == "deep":
        n = draw(st.sampled_from(DEEP))
        return '{"mutations": ' + "[" * n + "]" * n + "}"
    if how == "dup keys":
        m = world.report(world.uid())
        return '{"mutations": [], "mutations": ' + encode([m]) + ', "mutations": 5}'
    return b""


CURSOR_TEXT = st.one_of(
    st.integers(-10, 2**70).map(str),
    st.sampled_from(["", " ", "0", "-0", "+5", "1e3", "0x10", "١٢", "²", "9" * 19, "9" * 20,
                     str(2**63 - 1), str(2**63), "NaN", "1.5", "1,2", "\x00", "0\n", "\u00a0"]),
    st.text(st.characters(codec="utf-8"), max_size=30))


def pull_query(draw):
    how = draw(st.sampled_from(["both", "cursor", "limit", "raw", "repeated"]))
    if how == "raw":
        return draw(st.sampled_from(["cursor=%ff%fe&limit=%00", "cursor", "cursor=&limit=",
                                     "cursor=1&cursor=2", "limit=1&limit=-1", "%zz=1", "cursor=%",
                                     "cursor=1;limit=2", "cursor[]=1"]))
    if how == "repeated":
        return "cursor=" + quote(draw(CURSOR_TEXT)) + "&cursor=" + quote(draw(CURSOR_TEXT))
    query = {}
    if how in ("both", "cursor"):
        query["cursor"] = draw(CURSOR_TEXT)
    if how in ("both", "limit"):
        query["limit"] = draw(CURSOR_TEXT)
    return query


def _images():
    images = {"jpeg": small_jpeg(), "jpeg exif 6": small_jpeg(exif_orientation=6),
              "jpeg exif 9": small_jpeg(exif_orientation=9)}
    for name, mode, fmt in [("png", "RGBA", "PNG"), ("png 16-bit", "I;16", "PNG"), ("webp", "RGB", "WEBP"),
                            ("gif", "P", "GIF"), ("bmp", "RGB", "BMP"), ("tiff", "RGB", "TIFF"),
                            ("cmyk jpeg", "CMYK", "JPEG"), ("png 1x1", "L", "PNG"), ("png LA", "LA", "PNG")]:
        out = io.BytesIO()
        Image.new(mode, (1, 1) if "1x1" in name else (40, 30)).save(out, fmt)
        images[name] = out.getvalue()
    return images


IMAGES = _images()


def _exif_jpeg():
    """A phone photo's kind of JPEG: orientation, maker and a sub-IFD in its EXIF."""
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif[0x8769] = {0x9003: "2026:11:27 08:00:00"}
    Image.new("RGB", (40, 30), (200, 80, 20)).save(out, "JPEG", exif=exif)
    data = out.getvalue()
    tiff = data.index(b"Exif\x00\x00") + 6
    ifd = tiff + int.from_bytes(data[tiff + 4:tiff + 8], "big")
    count = int.from_bytes(data[ifd:ifd + 2], "big")
    return data, [ifd + 2 + 12 * i for i in range(count)]


EXIF_JPEG, EXIF_ENTRIES = _exif_jpeg()
IMAGES["jpeg exif ifd"] = EXIF_JPEG
# An EXIF entry is tag (2 bytes), type (2), count (4), value or offset (4), big-endian here.
EXIF_FIELDS = {"tag": (0, 2), "type": (2, 2), "count": (4, 4), "value": (8, 4)}


def _exif_edit(edits):
    data = bytearray(EXIF_JPEG)
    for entry, field, value in edits:
        start, size = EXIF_FIELDS[field]
        at = EXIF_ENTRIES[entry % len(EXIF_ENTRIES)] + start
        data[at:at + size] = (value % 256 ** size).to_bytes(size, "big")
    return bytes(data)


# Tags a reader knows (each with its own type), types 0–13 (1–12 are TIFF's), any count or offset.
KNOWN_TAGS = [0x00FE, 0x00FF, 0x0100, 0x0101, 0x0102, 0x0103, 0x010F, 0x0112, 0x011A, 0x0128,
              0x0131, 0x0132, 0x0201, 0x0202, 0x8769, 0x8825, 0x9003, 0x927C, 0xA005]
EXIF_EDITS = st.lists(st.one_of(
    st.tuples(st.integers(0, 7), st.just("tag"), st.sampled_from(KNOWN_TAGS)),
    st.tuples(st.integers(0, 7), st.just("type"), st.integers(0, 13)),
    st.tuples(st.integers(0, 7), st.sampled_from(["count", "value"]),
              st.one_of(st.integers(0, 64), st.integers(0, 2**32 - 1)))),
    min_size=1, max_size=3).map(_exif_edit)
CONTENT_TYPES = st.one_of(
    st.sampled_from(["image/jpeg", "image/png", "image/webp", "IMAGE/JPEG; charset=utf-8",
                     "image/jpeg;", " image/png ", "image/gif", "application/octet-stream", "",
                     "text/plain", "multipart/form-data; boundary=x", "application/json", None]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40))


def _flip(image, flips):
    data = bytearray(image)
    for pos, value in flips:
        data[pos % len(data)] = value
    return bytes(data)


DECLARED = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def media_case(draw, world):
    """(id, body, content type) for a photo upload: a valid one with its body, its id or its
    content type (or all three) made wrong."""
    wrong = draw(st.sampled_from(["body", "body", "body", "id", "type", "all"]))
    media_id = world.uid()
    if wrong in ("id", "all"):
        media_id = draw(st.one_of(
            UUID_VARIANTS.filter(lambda s: "\ud83d" not in s),
            st.text(st.characters(codec="utf-8"), max_size=60),
            st.sampled_from(["", "..", "%2e%2e", "a/b", "x" * 300, "null", "0"])))
    image = draw(st.sampled_from(sorted(IMAGES)))
    body = IMAGES[image]
    if wrong in ("body", "all"):
        body = draw(st.one_of(
            EXIF_EDITS, EXIF_EDITS, EXIF_EDITS,
            st.lists(st.tuples(st.one_of(st.integers(0, 200), st.integers(0, 10**6)),
                               st.one_of(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]), st.integers(0, 255))),
                     min_size=1, max_size=8).map(lambda flips: _flip(IMAGES[image], flips)),
            st.integers(1, len(IMAGES[image]) - 1).map(lambda n: IMAGES[image][:n]),
            st.binary(max_size=512), st.just(b"")))
    content_type = DECLARED.get(image.split()[0], "image/jpeg")
    if body is not IMAGES[image] and body[:3] == b"\xff\xd8\xff":
        content_type = "image/jpeg"
    if wrong in ("type", "all"):
        content_type = draw(CONTENT_TYPES)
    return media_id, body, content_type


# --- small helpers ------------------------------------------------------------------------------

def _drop_session():
    """After each request: in a test the app context outlives requests; a server's does not."""
    if has_app_context():
        db.session.remove()


def _last_frames(tb, frames=6):
    """The end of a traceback: the app's frames and the error, without the test client's."""
    if not tb:
        return ""
    lines = tb.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    return "\n".join(lines[starts[-frames]:] if len(starts) > frames else lines)


def _json_of(response):
    if response is None:
        return None
    if not response.is_json:
        return None
    try:
        return response.get_json()
    except Exception:  # noqa: BLE001 - a JSON content type with a body that does not parse
        return None


def _clean_str(value):
    """``value`` when it is text a query can name (no NUL, valid UTF-8, not absurdly long)."""
    if not isinstance(value, str) or len(value) > 100 or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def _ledger(m):
    mid = _clean_str(m.get("id")) if isinstance(m, dict) else None
    if mid is None:
        return None
    row = db.session.get(Mutation, mid)
    return None if row is None else (row.payload_sha256, row.record_id, row.user_id)


def _chunks(items, size=500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _count(model, **filters):
    return model.query.filter_by(**filters).count()


def _fingerprint(m):
    """What the record a mutation names looks like now (None: no such record)."""
    if not isinstance(m, dict) or not isinstance(m.get("kind"), str) or m["kind"] not in TARGETS:
        return None
    rid = _clean_str(m.get("record_id"))
    if rid is None:
        return None
    model = TARGETS[m["kind"]]
    row = db.session.get(model, rid)
    if row is None:
        return None
    if model is Event:
        return ("event", row.version, row.state, _count(EventAction, event_id=rid),
                _count(EventPhoto, event_id=rid))
    if model is Patrol:
        return ("patrol", row.status, row.point_count, row.ended_at, _count(PatrolChunk, patrol_id=rid),
                _count(PatrolGap, patrol_id=rid))
    if model is RegistryRecord:
        return ("record", row.version, row.review_state, _count(RecordRevision, record_id=rid),
                _count(Submission, record_id=rid), _count(PersonTag, record_id=rid))
    if model is AssistRequest:
        return ("assist", row.version, row.state, len(row.steps))
    return (model.__tablename__,)


def _paths(value, prefix=()):
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield prefix + (key,)
        yield from _paths(child, prefix + (key,))


def _get(root, path):
    for key in path:
        root = root[key]
    return root


def _set(root, path, value):
    _get(root, path[:-1])[path[-1]] = value


def _show(path):
    return "".join(f"[{k!r}]" for k in path) or "<root>"


def _short(value, limit=1500):
    """Long values cut in the middle: a traceback's last frames are the ones that matter."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit // 3]} … ({len(text)} chars) … {text[-(2 * limit) // 3:]}"


def summary(counter: Counter) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counter.items(), key=lambda kv: str(kv[0])))
