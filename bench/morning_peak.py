"""The district's 08:30 morning peak against PostgreSQL under gunicorn, as deployed.

    .venv/bin/python -m bench.morning_peak [--workers 1293] [--arrival-seconds 60] [--sign-in]
                                          [--gunicorn-workers 2 --threads 4]

Loads the district-scale demo (1,293 grids, each with its grid worker) into a fresh PostgreSQL
database and serves it with gunicorn as `make run` does (password hashes with the deployed
default, scrypt). Before the clock starts every participating grid worker is signed in and
their session cookie kept; with --sign-in the sign-in is part of each worker's session instead,
as when sessions ran out overnight.

Then N workers arrive evenly over --arrival-seconds (30 s is "twice the arrival rate"). Each
one, on its own keep-alive connection: GET /api/v1/csrf, pulls from cursor 0 until `more` is
false, PUTs one ~200 KB JPEG, and pushes yesterday's leftovers in batches of 20: a patrol
(start, 12 chunks of 50 fixes, 2 check-ins, stop), 2 quick reports and 3 registry records
(building, site, object), all inside the worker's own grid: 21 mutations, 2 pushes. A bounded
pool of client threads starts each session at its arrival time (a late start is reported as
start lag); a sampler GETs /healthz every 0.5 s on its own connection.

Afterwards the database is checked for exactly-once: every record id and mutation id sent is
counted in its table and in the sync_mutation ledger. The database is dropped and gunicorn
stopped on the way out, also on an error or Ctrl-C.
"""
import argparse
import http.client
import io
import json
import math
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

SECRET_KEY = "morning-peak-secret-key"
DATA_KEY = "morning-peak-data-key"
# The bench process and the server must agree on the secret key (--presign direct forges cookies).
os.environ["SECRET_KEY"] = SECRET_KEY
os.environ["DATA_KEY"] = DATA_KEY

from tests.browser import ROOT, LiveServer  # noqa: E402

BATCH = 20
FIXES_PER_CHUNK = 50
CHUNKS = 12
FIX_EVERY_S = 12
USER_AGENT = "gridwalk-morning-peak/1"
PHOTO_TARGET_BYTES = 200_000
REQUEST_TYPES = ["login page", "sign-in", "csrf", "pull", "media", "push"]
CSRF_RE = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


# --- measurements -------------------------------------------------------------------------------

def pctl(values, q):
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    values = sorted(values)
    return values[max(0, min(len(values) - 1, math.ceil(q * len(values)) - 1))]


class Recorder:
    """Latencies and errors per request type, and the last answer for every mutation sent."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors = defaultdict(Counter)  # request type -> {status or exception: n}
        self.results = Counter()  # (status, code) of per-mutation answers other than applied/dup
        self.applied = 0
        self.duplicate = 0
        self.answer = {}  # mutation id -> last status seen ("applied", "rejected:invalid", ...)
        self.sent = set()  # mutation ids sent at least once
        self.reconnects = 0
        self.samples = []  # (mutation status, code, errors) of non-applied answers, a few
        self.sessions = []  # dicts: scheduled, started, ended, outcome

    def request(self, kind, seconds, error=None):
        with self.lock:
            self.latency[kind].append(seconds)
            if error is not None:
                self.errors[kind][str(error)] += 1

    def mutation_answers(self, results):
        with self.lock:
            for r in results:
                status = r.get("status")
                if status == "applied":
                    self.applied += 1
                    self.answer[r.get("id")] = "applied"
                elif status == "duplicate":
                    self.duplicate += 1
                    # A replay of something applied under a lost reply: stored once, acknowledged.
                    self.answer[r.get("id")] = "duplicate"
                else:
                    code = r.get("code") or ""
                    self.results[(status, code)] += 1
                    self.answer[r.get("id")] = f"{status}:{code}"
                    if len(self.samples) < 8:
                        self.samples.append(r)


class Aborted(Exception):
    """A worker's session stops (its reason is counted)."""


class Client:
    """One phone: a keep-alive connection, its cookies, and timing of every request."""

    def __init__(self, port, rec, timeout, cookies=None):
        self.port, self.rec, self.timeout = port, rec, timeout
        self.conn = None
        self.used = False
        self.cookies = dict(cookies or {})

    def _connect(self):
        self.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        self.used = False

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def _once(self, method, path, body, headers):
        if self.conn is None:
            self._connect()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        self.used = True
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie = rest.split(";", 1)[0]
                if cookie:
                    self.cookies[name.strip()] = cookie
                else:
                    self.cookies.pop(name.strip(), None)
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, data

    def call(self, kind, method, path, body=None, headers=None, ok=(200,), record=True):
        """(status, body); status is None after a timeout or a network error. Every answer and
        failure is recorded under ``kind``."""
        headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            try:
                status, data = self._once(method, path, body, headers)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if not self.used:
                    raise
                # The server closed an idle keep-alive connection before reading the request:
                # send it again on a new one (every request here is safe to repeat).
                with self.rec.lock:
                    self.rec.reconnects += 1
                self._connect()
                started = time.perf_counter()
                status, data = self._once(method, path, body, headers)
        except TimeoutError:
            self.close()
            if record:
                self.rec.request(kind, time.perf_counter() - started, "timeout")
            return None, b""
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            if record:
                self.rec.request(kind, time.perf_counter() - started, type(exc).__name__)
            return None, b""
        if record:
            self.rec.request(kind, time.perf_counter() - started, None if status in ok else status)
        return status, data


# --- the district and what each worker sends ------------------------------------------------------

def make_photo():
    """A 1600×1200 noisy JPEG close to 200 KB, made once."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(830)
    y, x = np.mgrid[0:1200, 0:1600]
    base = np.stack([90 + 60 * np.sin(x / 170), 140 + 50 * np.cos(y / 130),
                     60 + 40 * np.sin((x + y) / 210)], -1)
    pixels = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype("uint8")
    image = Image.fromarray(pixels)
    best = None
    for quality in range(60, 96, 5):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        size = len(out.getvalue())
        if best is None or abs(size - PHOTO_TARGET_BYTES) < abs(len(best) - PHOTO_TARGET_BYTES):
            best = out.getvalue()
    return best


class Walker:
    """Points inside one grid, ~5 m clear of its edges (so none sits on an edge it shares).

    The demo's grids are convex quadrilaterals: a bilinear map of the unit square onto the
    corners keeps a point inside, and shapely checks every point anyway. Any other shape falls
    back to sampling its bounding box."""

    def __init__(self, geojson, rng):
        import shapely
        from shapely.geometry import Polygon, shape

        self.rng = rng
        self.polygon = shape(json.loads(geojson))
        self.inner = self.polygon.buffer(-0.00005)
        if self.inner.is_empty:
            self.inner = self.polygon
        shapely.prepare(self.inner)
        self.corners = None
        if isinstance(self.polygon, Polygon) and len(self.polygon.exterior.coords) == 5:
            ring = list(self.polygon.exterior.coords)[:4]
            cx, cy = sum(p[0] for p in ring) / 4, sum(p[1] for p in ring) / 4
            # By angle from the middle, from -pi: SW, SE, NE, NW.
            self.corners = sorted(ring, key=lambda p: math.atan2(p[1] - cy, p[0] - cx))

    def at(self, u, v):
        if self.corners is None:
            x0, y0, x1, y1 = self.polygon.bounds
            return round(x0 + u * (x1 - x0), 7), round(y0 + v * (y1 - y0), 7)
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = self.corners
        lon = (1 - u) * (1 - v) * x0 + u * (1 - v) * x1 + u * v * x2 + (1 - u) * v * x3
        lat = (1 - u) * (1 - v) * y0 + u * (1 - v) * y1 + u * v * y2 + (1 - u) * v * y3
        return round(lon, 7), round(lat, 7)

    def inside(self, points):
        import shapely

        return bool(shapely.contains_xy(self.inner, [p[0] for p in points],
                                        [p[1] for p in points]).all())

    def point(self):
        for _ in range(200):
            p = self.at(self.rng.uniform(0.1, 0.9), self.rng.uniform(0.1, 0.9))
            if self.inside([p]):
                return p
        return tuple(round(c, 7) for c in self.inner.representative_point().coords[0])

    def walk(self, n):
        """n fixes ~14 m apart (a grid is ~200 m a side: 0.07 of it), turning slowly, turning
        back at the edges."""
        u, v = self.rng.uniform(0.3, 0.7), self.rng.uniform(0.3, 0.7)
        while not self.inside([self.at(u, v)]):
            u, v = self.rng.uniform(0.1, 0.9), self.rng.uniform(0.1, 0.9)
        heading = self.rng.uniform(0, 2 * math.pi)
        points = []
        for _ in range(n):
            heading += self.rng.uniform(-0.5, 0.5)
            for _turn in range(12):
                nu, nv = u + 0.07 * math.cos(heading), v + 0.07 * math.sin(heading)
                if 0.05 < nu < 0.95 and 0.05 < nv < 0.95 and self.inside([self.at(nu, nv)]):
                    u, v = nu, nv
                    break
                heading += math.pi / 2 + self.rng.uniform(-0.4, 0.4)
            points.append(self.at(u, v))
        return points


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Worker:
    """One grid worker and yesterday's leftovers in their outbox."""

    def __init__(self, index, user_id, username, grid_id, geojson, day):
        self.index, self.user_id, self.username, self.grid_id = index, user_id, username, grid_id
        self.cookies = None
        self.photo_id = str(uuid.uuid4())
        rng = random.Random(index)
        walker = Walker(geojson, rng)
        start = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 09:00 in Jinan
        t0 = int(start.timestamp())
        trace = walker.walk(CHUNKS * FIXES_PER_CHUNK)
        fixes = [[t0 + i * FIX_EVERY_S + rng.randint(0, 2), lon, lat, rng.randint(4, 25)]
                 for i, (lon, lat) in enumerate(trace)]
        self.patrol_ids = [str(uuid.uuid4())]
        self.checkin_ids, self.event_ids, self.record_ids = [], [], []
        patrol = self.patrol_ids[0]
        outbox = [self._m("patrol.start", patrol, start, {"started_at": iso(start),
                                                           "grid_id": grid_id})]
        for seq in range(CHUNKS):
            points = fixes[seq * FIXES_PER_CHUNK:(seq + 1) * FIXES_PER_CHUNK]
            outbox.append(self._m("patrol.chunk", patrol, start, {"seq": seq, "points": points}))
            if seq in (4, 8):
                fix = points[-1]
                checkin = str(uuid.uuid4())
                self.checkin_ids.append(checkin)
                at = datetime.fromtimestamp(fix[0], UTC)
                outbox.append(self._m("patrol.checkin", checkin, at, {
                    "patrol_id": patrol, "lon": fix[1], "lat": fix[2], "accuracy": 8,
                    "note": "路口巡查打卡" if seq == 4 else "小区门口打卡"}))
        end = datetime.fromtimestamp(fixes[-1][0] + FIX_EVERY_S, UTC)
        outbox.append(self._m("patrol.stop", patrol, end, {"ended_at": iso(end)}))
        self.reports = []
        for k, text in enumerate(("楼道口垃圾堆积，需要清运", "路灯不亮，夜间通行不便")):
            lon, lat = walker.point()
            event = str(uuid.uuid4())
            self.event_ids.append(event)
            # The server wants 1–9 photos on every quick report: both carry the one upload.
            m = self._m("event.report", event, start + timedelta(hours=5, minutes=10 * k), {
                "category_id": None, "description": text, "urgency": "normal", "lon": lon,
                "lat": lat, "accuracy": 9, "location_manual": False, "photos": [self.photo_id]})
            self.reports.append(m)
            outbox.append(m)
        registry = [
            ("building", {"name": f"{index + 1}号楼", "address": f"历下区测试路{index + 1}号",
                          "floors": 6, "units": 3}),
            ("site", {"name": f"便民超市{index + 1}", "site_type": "shop",
                      "address": f"历下区测试路{index + 1}号底商", "contact_name": "王芳",
                      "phone": "13800138000"}),
            ("object", {"name": f"JG-{index + 1:04d}-01", "object_type": "manhole",
                        "condition": "damaged", "address": "人行道东侧"}),
        ]
        for k, (kind, fields) in enumerate(registry):
            lon, lat = walker.point()
            record = str(uuid.uuid4())
            self.record_ids.append(record)
            outbox.append(self._m("registry.create", record, start + timedelta(hours=6, minutes=k),
                                  {"kind": kind, "fields": {**fields, "lon": lon, "lat": lat}},
                                  form_version=1))
        self.outbox = outbox
        self.mutation_ids = [m["id"] for m in outbox]

    def _m(self, kind, record_id, at, data, form_version=1):
        return {"id": str(uuid.uuid4()), "kind": kind, "record_id": record_id,
                "author_id": self.user_id, "created_at": iso(at), "form_version": form_version,
                "data": data}

    def batches(self):
        return [self.outbox[i:i + BATCH] for i in range(0, len(self.outbox), BATCH)]


# --- the server ---------------------------------------------------------------------------------

class PeakServer(LiveServer):
    """tests.browser.LiveServer on PostgreSQL, with gunicorn's command line as in `make run`."""

    def __init__(self, workdir, database_url, workers, threads, hash_method):
        super().__init__(workdir, {"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
                                   "DATA_KEY": DATA_KEY, "PASSWORD_HASH_METHOD": hash_method})
        self.db_path = None
        self.workdir = workdir
        self.workers, self.threads = workers, threads

    def flask(self, *args):
        done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def _serve(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--threads", str(self.threads),
             "--access-logfile", "-",
             # Its own control socket: the default (~/.gunicorn/gunicorn.ctl) is shared with
             # any other gunicorn of this user, e.g. the browser tests running beside us.
             "--control-socket", str(self.workdir / "gunicorn.ctl"), "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start; see {self.log.name}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if not self.log.closed:
            self.log.close()


def district_workers(url):
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            'SELECT u.id, u.username, ra.grid_id, g.geojson FROM "user" u '
            "JOIN role_assignment ra ON ra.user_id = u.id JOIN grid g ON g.id = ra.grid_id "
            "WHERE ra.role = 'grid_worker' ORDER BY u.username").fetchall()


def sign_in(client, username, password, kind_page, kind_post):
    """GET /login, POST the form; True on the redirect a good sign-in answers."""
    status, page = client.call(kind_page, "GET", "/login")
    match = CSRF_RE.search(page) if status == 200 else None
    if not match:
        return False
    body = urlencode({"username": username, "password": password,
                      "csrf_token": match.group(1).decode()})
    status, _ = client.call(kind_post, "POST", "/login", body,
                            {"Content-Type": "application/x-www-form-urlencoded"}, ok=(302,))
    return status == 302


def presign_server(server, workers, rec, threads, timeout, password):
    """Sign every worker in through the server, a few at a time."""
    from concurrent.futures import ThreadPoolExecutor

    def one(worker):
        for _ in range(3):
            client = Client(server.port, rec, timeout)
            try:
                if sign_in(client, worker.username, password, "login page (before clock)",
                           "sign-in (before clock)"):
                    return worker, client.cookies
            finally:
                client.close()
        return worker, None

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for worker, cookies in pool.map(one, workers):
            worker.cookies = cookies


def presign_direct(workers, database_url):
    """Make each worker's signed session cookie in-process, as a sign-in would have set it."""
    from flask import session
    from flask_login import login_user

    from app import create_app
    from app.auth.models import User
    from app.config import normalise_database_url
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
                      "SECRET_KEY": SECRET_KEY})
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    try:
        with app.app_context():
            users = {u.id: u for u in User.query.filter(User.id.in_([w.user_id for w in workers]))}
            for worker in workers:
                with app.test_request_context("/login", method="POST",
                                              environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                              headers={"User-Agent": USER_AGENT}):
                    session.clear()
                    session.permanent = True
                    login_user(users[worker.user_id], remember=False)
                    session["last_seen"] = datetime.now(UTC).timestamp()
                    session["lang"] = users[worker.user_id].locale or "zh_Hans"
                    worker.cookies = {name: serializer.dumps(dict(session))}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- the peak -----------------------------------------------------------------------------------

class Peak:
    def __init__(self, args, server, workers, photo, rec):
        self.args, self.server, self.workers, self.photo, self.rec = args, server, workers, photo, rec
        self.stop = threading.Event()
        self.done = threading.Condition()
        self.finished = 0
        self.deadline = None

    def expired(self):
        return self.stop.is_set() or time.monotonic() > self.deadline

    def session(self, worker, scheduled):
        started = time.monotonic()
        outcome = "completed"
        client = Client(self.server.port, self.rec, self.args.timeout,
                        None if self.args.sign_in else worker.cookies)
        try:
            self._session(client, worker)
        except Aborted as exc:
            outcome = f"aborted: {exc}"
        except Exception as exc:  # noqa: BLE001 - a bench bug must not hang the run
            outcome = f"aborted: client {type(exc).__name__}: {exc}"
        finally:
            client.close()
            ended = time.monotonic()
            with self.done:
                self.rec.sessions.append({"scheduled": scheduled, "started": started,
                                          "ended": ended, "outcome": outcome})
                self.finished += 1
                self.done.notify_all()

    def _check(self):
        if self.expired():
            raise Aborted("run deadline" if not self.stop.is_set() else "stopped")

    def _session(self, c, w):
        args = self.args
        if args.sign_in:
            self._check()
            if not sign_in(c, w.username, args.password, "login page", "sign-in"):
                raise Aborted("sign-in failed")
        self._check()
        token = self._csrf(c)
        cursor, subs = 0, []
        for _ in range(100):
            self._check()
            status, body = c.call("pull", "GET", f"/api/v1/sync/pull?cursor={cursor}")
            if status != 200:
                raise Aborted(f"pull {status or 'failed'}")
            page = json.loads(body)
            subs += [int(ch["id"]) for ch in page["changes"] if ch["type"] == "category"
                     and ch["op"] == "upsert" and ch["data"].get("parent_id")]
            cursor = page["cursor"]
            if not page["more"]:
                break
        if not subs:
            raise Aborted("no sub-category in the pulled catalogue")
        self._check()
        status, _ = c.call("media", "PUT", f"/api/v1/media/{w.photo_id}", self.photo,
                           {"Content-Type": "image/jpeg", "X-CSRFToken": token}, ok=(200, 201))
        if status not in (200, 201):
            raise Aborted(f"media {status or 'failed'}")
        rng = random.Random(w.index)
        for m in w.reports:
            m["data"]["category_id"] = rng.choice(sorted(subs))
        for batch in w.batches():
            token = self._push(c, batch, token)

    def _csrf(self, c):
        status, body = c.call("csrf", "GET", "/api/v1/csrf")
        if status != 200:
            raise Aborted(f"csrf {status or 'failed'}")
        return json.loads(body)["csrf_token"]

    def _push(self, c, batch, token):
        """Push like the phone: resend on a network error, a 5xx or a per-mutation "retry"
        (with backoff, up to --retries times); a 400 fetches a fresh CSRF token first."""
        pending = batch
        for attempt in range(self.args.retries + 1):
            self._check()
            with self.rec.lock:
                self.rec.sent.update(m["id"] for m in pending)
            body = json.dumps({"mutations": pending}, ensure_ascii=False,
                              separators=(",", ":")).encode()
            status, data = c.call("push", "POST", "/api/v1/sync/push", body,
                                  {"Content-Type": "application/json", "X-CSRFToken": token})
            if status == 200:
                results = json.loads(data)["results"]
                self.rec.mutation_answers(results)
                retry = {r["id"] for r in results if r.get("status") == "retry"}
                pending = [m for m in pending if m["id"] in retry]
                if not pending:
                    return token
            elif status == 400:
                token = self._csrf(c)
            elif status is not None and status < 500 and status != 429:
                raise Aborted(f"push {status}")
            if attempt < self.args.retries:
                time.sleep(min(2 * 2 ** attempt, 10) * random.uniform(0.8, 1.2))
        raise Aborted("push gave up after retries")

    def client_thread(self, jobs):
        while True:
            job = jobs.get()
            if job is None:
                return
            worker, scheduled = job
            if self.stop.is_set():
                with self.done:
                    self.rec.sessions.append({"scheduled": scheduled, "started": None,
                                              "ended": time.monotonic(), "outcome": "aborted: stopped"})
                    self.finished += 1
                    self.done.notify_all()
                continue
            self.session(worker, scheduled)

    def sampler(self, results):
        client = Client(self.server.port, self.rec, 5)
        start = time.monotonic()
        k = 0
        while not self.stop.is_set():
            t0 = time.perf_counter()
            status, _ = client.call("healthz", "GET", "/healthz", record=False)
            results.append((time.perf_counter() - t0, status))
            k += 1
            wait = start + k * 0.5 - time.monotonic()
            if wait < 0:  # a slow answer: the next sample goes now, on the 0.5 s grid
                k = int((time.monotonic() - start) / 0.5) + 1
                wait = start + k * 0.5 - time.monotonic()
            self.stop.wait(max(0, wait))
        client.close()

    def run(self):
        args = self.args
        n = len(self.workers)
        jobs = queue.Queue()
        threads = [threading.Thread(target=self.client_thread, args=(jobs,), daemon=True)
                   for _ in range(args.client_threads)]
        for t in threads:
            t.start()
        health = []
        sampler = threading.Thread(target=self.sampler, args=(health,), daemon=True)
        cpu0 = time.process_time()
        clock = time.monotonic()
        self.deadline = clock + args.arrival_seconds + args.max_session_seconds
        sampler.start()
        try:
            for i, worker in enumerate(self.workers):
                scheduled = clock + i * args.arrival_seconds / n
                delay = scheduled - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                jobs.put((worker, scheduled))
            hard_stop = self.deadline + args.timeout + 10
            with self.done:
                while self.finished < n and time.monotonic() < hard_stop:
                    self.done.wait(0.5)
        finally:
            self.stop.set()
            for _ in threads:
                jobs.put(None)
            sampler.join(timeout=10)
        ends = [s["ended"] for s in self.rec.sessions]
        wall = (max(ends) if ends else time.monotonic()) - clock
        unfinished = n - len(self.rec.sessions)
        return {"wall": wall, "clock": clock, "health": health, "unfinished": unfinished,
                "client_cpu": time.process_time() - cpu0}


# --- exactly-once ---------------------------------------------------------------------------------

def verify(url, workers, rec):
    import psycopg

    answered_ok = {mid for mid, status in rec.answer.items() if status in ("applied", "duplicate")}
    rows = []
    tables = {"event.report": ("events", "event"), "patrol.start": ("patrols", "patrol"),
              "patrol.checkin": ("check-ins", "patrol_checkin"),
              "registry.create": ("registry records", "registry_record")}
    all_ids = [mid for w in workers for mid in w.mutation_ids]
    with psycopg.connect(url) as conn:
        def count(sql, ids):
            return conn.execute(sql, (ids,)).fetchone()[0]

        for kind, (label, table) in tables.items():
            ids, sent, acked = [], 0, 0
            for w in workers:
                for m in w.outbox:
                    if m["kind"] == kind:
                        ids.append(m["record_id"])
                        sent += m["id"] in rec.sent
                        acked += m["id"] in answered_ok
            in_db = count(f'SELECT count(*) FROM "{table}" WHERE id = ANY(%s)', ids)
            rows.append((label, len(ids), sent, acked, in_db))
        ledger_ours = count("SELECT count(*) FROM sync_mutation WHERE id = ANY(%s)", all_ids)
        ledger_distinct = count("SELECT count(DISTINCT id) FROM sync_mutation WHERE id = ANY(%s)",
                                all_ids)
        ledger_total = conn.execute("SELECT count(*) FROM sync_mutation").fetchone()[0]
        not_acked = [mid for mid in all_ids if mid not in answered_ok]
        ledger_unacked = count("SELECT count(*) FROM sync_mutation WHERE id = ANY(%s)", not_acked)
        patrol_ids = [w.patrol_ids[0] for w in workers]
        event_ids = [e for w in workers for e in w.event_ids]
        checks = {
            "patrols closed with all 600 fixes": (
                count("SELECT count(*) FROM patrol WHERE id = ANY(%s) AND status = 'closed' "
                      f"AND point_count = {CHUNKS * FIXES_PER_CHUNK}", patrol_ids),
                rows[1][4]),
            "patrol_chunk rows left behind": (
                count("SELECT count(*) FROM patrol_chunk WHERE patrol_id = ANY(%s)", patrol_ids), 0),
            "event photos (one per event)": (
                count("SELECT count(*) FROM event_photo WHERE event_id = ANY(%s)", event_ids),
                rows[0][4]),
            "sync_change rows of the events": (
                count("SELECT count(*) FROM sync_change WHERE object_type = 'event' "
                      "AND object_id = ANY(%s)", event_ids), rows[0][4]),
            "registry submissions (pending review)": (
                count("SELECT count(*) FROM registry_submission WHERE id = ANY(%s)",
                      [m["id"] for w in workers for m in w.outbox if m["kind"] == "registry.create"]),
                rows[3][4]),
        }
    ledger = {"mutations": len(all_ids), "sent": len(rec.sent), "acked": len(answered_ok),
              "rows": ledger_ours, "distinct": ledger_distinct, "total": ledger_total,
              "unacked_rows": ledger_unacked}
    return rows, ledger, checks


# --- report ---------------------------------------------------------------------------------------

def fmt_ms(seconds):
    return "—" if seconds != seconds else f"{seconds * 1000:,.0f}"


def fmt_errors(counter):
    return ", ".join(f"{k}×{v}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1])) or "—"


def server_log_problems(path, limit=25):
    problems, statuses = [], Counter()
    access = re.compile(r'"\w+ (\S+?)(?:\?\S*)? HTTP/[\d.]+" (\d{3}) ')
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return ["(no gunicorn log)"], statuses
    for line in lines:
        m = access.search(line)
        if m:
            if m.group(2).startswith("5"):
                statuses[f"{m.group(2)} {m.group(1)[:40]}"] += 1
            continue
        if any(s in line for s in ("Traceback", "[ERROR]", "[CRITICAL]", "WORKER TIMEOUT",
                                   "Error", "error", "Exception")):
            problems.append(line[:300])
    return problems[:limit], statuses


def report(args, setup, peak, rec, workers, verdict_rows, ledger, checks, log_problems, totals):
    n = len(workers)
    print()
    print(f"## Morning peak: {n} grid workers arriving over {args.arrival_seconds:g} s "
          f"({n / args.arrival_seconds:.1f}/s), PostgreSQL")
    print()
    print(f"gunicorn {args.gunicorn_workers} workers × {args.threads} threads "
          f"(`--access-logfile -`), password hashes {args.password_hash}; "
          f"{args.client_threads} client threads; sign-in "
          f"{'inside each session' if args.sign_in else 'before the clock (' + args.presign + ')'}; "
          f"photo {setup['photo_bytes'] / 1000:.0f} KB; {len(workers[0].outbox)} mutations "
          f"a worker in {len(workers[0].batches())} pushes; request timeout {args.timeout:g} s.")
    print()
    print("| request | count | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("|---|---|---|---|---|---|---|")
    kinds = [k for k in REQUEST_TYPES if k in rec.latency or k in rec.errors]
    kinds += [k for k in rec.latency if k not in kinds and "before clock" not in k]
    for kind in kinds:
        values = rec.latency.get(kind, [])
        print(f"| {kind} | {len(values)} | {fmt_ms(pctl(values, .5))} | {fmt_ms(pctl(values, .95))} | "
              f"{fmt_ms(pctl(values, .99))} | {fmt_ms(max(values) if values else float('nan'))} | "
              f"{fmt_errors(rec.errors.get(kind, {}))} |")
    health = [s for s, _ in peak["health"]]
    health_errors = Counter(str(st or "timeout/network") for _, st in peak["health"] if st != 200)
    print(f"| /healthz sampler (every 0.5 s) | {len(health)} | {fmt_ms(pctl(health, .5))} | "
          f"{fmt_ms(pctl(health, .95))} | {fmt_ms(pctl(health, .99))} | "
          f"{fmt_ms(max(health) if health else float('nan'))} | {fmt_errors(health_errors)} |")
    print()
    done = [s for s in rec.sessions if s["outcome"] == "completed"]
    durations = [s["ended"] - s["started"] for s in done]
    from_arrival = [s["ended"] - s["scheduled"] for s in done]
    lags = [s["started"] - s["scheduled"] for s in rec.sessions if s["started"] is not None]
    outcomes = Counter(s["outcome"].removeprefix("aborted: ") for s in rec.sessions
                       if s["outcome"] != "completed")
    if peak["unfinished"]:
        outcomes["unfinished at the hard stop"] = peak["unfinished"]
    other = ", ".join(f"{(st or '?')}{'/' + code if code else ''}×{k}"
                      for (st, code), k in rec.results.most_common()) or "none"
    print("| figure | value |")
    print("|---|---|")
    print(f"| sessions completed | {len(done)} of {n} |")
    print(f"| sessions aborted | {fmt_errors(outcomes)} |")
    print(f"| session p50 / p95 / max s (from its start) | {pctl(durations, .5):.1f} / "
          f"{pctl(durations, .95):.1f} / {max(durations, default=float('nan')):.1f} |")
    print(f"| session p95 / max s (from its scheduled arrival) | {pctl(from_arrival, .95):.1f} / "
          f"{max(from_arrival, default=float('nan')):.1f} |")
    print(f"| start lag p95 / max ms (client pool busy) | {fmt_ms(pctl(lags, .95))} / "
          f"{fmt_ms(max(lags) if lags else float('nan'))} |")
    print(f"| mutations applied / duplicate | {rec.applied} / {rec.duplicate} |")
    print(f"| mutation answers other than applied/duplicate | {other} |")
    print(f"| mutations/s over the peak | {(rec.applied + rec.duplicate) / peak['wall']:.1f} "
          f"({rec.applied + rec.duplicate} in {peak['wall']:.1f} s, first arrival to last "
          f"session end) |")
    print(f"| keep-alive reconnects | {rec.reconnects} |")
    print(f"| bench client CPU during the peak | {peak['client_cpu']:.1f} s |")
    if setup.get("deadlocks") is not None:
        print(f"| PostgreSQL deadlocks during the peak | {setup['deadlocks']} |")
    print()
    if rec.samples:
        print("First non-applied answers:")
        for r in rec.samples[:5]:
            print(f"  {json.dumps(r, ensure_ascii=False)[:400]}")
        print()
    print("### Exactly-once")
    print()
    print("| records | generated | sent | acknowledged | in database | |")
    print("|---|---|---|---|---|---|")
    ok_all, ok_acked = True, True
    for label, generated, sent, acked, in_db in verdict_rows:
        mark = "✓" if in_db == acked == sent == generated else (
            "LOST" if in_db < acked else "stored without an answer" if in_db > acked
            else "not all sent/acknowledged")
        ok_all &= in_db == generated
        ok_acked &= in_db == acked
        print(f"| {label} | {generated} | {sent} | {acked} | {in_db} | {mark} |")
    ledger_ok = ledger["rows"] == ledger["distinct"] == ledger["acked"] and \
        ledger["total"] == ledger["rows"] and ledger["unacked_rows"] == 0
    ledger_mark = ("✓" if ledger_ok and ledger["rows"] == ledger["mutations"] else
                   "not all sent/acknowledged" if ledger_ok else
                   "LOST" if ledger["rows"] < ledger["acked"] else "✗")
    print(f"| sync_mutation ledger rows | {ledger['mutations']} | {ledger['sent']} | "
          f"{ledger['acked']} | {ledger['rows']} ({ledger['distinct']} distinct, "
          f"{ledger['total']} in the table, {ledger['unacked_rows']} for unacknowledged ids) | "
          f"{ledger_mark} |")
    for label, (got, want) in checks.items():
        print(f"| {label} | | | | {got} (expected {want}) | {'✓' if got == want else '✗'} |")
    checks_ok = all(got == want for got, want in checks.values())
    print()
    if ok_all and ledger_ok and ledger["rows"] == ledger["mutations"] and checks_ok:
        verdict = "PASS: every record and mutation sent is stored exactly once"
    elif ok_acked and ledger_ok and checks_ok:
        verdict = ("PASS for what was acknowledged (each acknowledged mutation stored exactly "
                   "once), but not everything generated was stored: see the aborts and answers")
    else:
        verdict = "FAIL: the database does not match what was acknowledged"
    print(f"**Exactly-once: {verdict}.**")
    print()
    if log_problems[0] or log_problems[1]:
        print("Server log: " + (fmt_errors(log_problems[1]) if log_problems[1] else "no 5xx") + ".")
        for line in log_problems[0]:
            print(f"  {line}")
        print()
    print("| phase | seconds |")
    print("|---|---|")
    for label, seconds in totals:
        print(f"| {label} | {seconds:.1f} |")


# --- main -------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1293, help="grid workers arriving (max 1293)")
    parser.add_argument("--arrival-seconds", type=float, default=60,
                        help="they arrive evenly over this many seconds (30: twice the rate)")
    parser.add_argument("--sign-in", action="store_true",
                        help="sign in inside each session (sessions expired overnight)")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--client-threads", type=int, default=128)
    parser.add_argument("--presign", choices=["server", "direct"], default="server",
                        help="before the clock: sign in through the server (a thread pool), or "
                             "make the session cookies in-process (fast)")
    parser.add_argument("--presign-threads", type=int, default=8)
    parser.add_argument("--password-hash", default="scrypt",
                        help="PASSWORD_HASH_METHOD of the demo users (deployed default: scrypt)")
    parser.add_argument("--password", default=None, help="the demo password (DEMO_PASSWORD)")
    parser.add_argument("--timeout", type=float, default=60, help="per request, seconds")
    parser.add_argument("--retries", type=int, default=2, help="push resends, as the phone does")
    parser.add_argument("--max-session-seconds", type=float, default=300,
                        help="the run stops this long after the last arrival")
    parser.add_argument("--keep-log", metavar="PATH", help="copy gunicorn's log here")
    args = parser.parse_args()
    if args.workers < 1 or args.arrival_seconds <= 0:
        parser.error("--workers must be ≥ 1 and --arrival-seconds > 0")

    from app.demo.data import DEMO_PASSWORD
    from tests.conftest import create_pg_database, drop_pg_database, postgres_available

    args.password = args.password or DEMO_PASSWORD

    ok, why = postgres_available()
    if not ok:
        sys.exit(f"PostgreSQL is needed: {why}")

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    started = time.perf_counter()
    totals = []
    workdir = Path(tempfile.mkdtemp(prefix="morning-peak-"))
    pg_name, server, failed = None, None, False
    try:
        pg_name, url = create_pg_database()
        server = PeakServer(workdir, url, args.gunicorn_workers, args.threads, args.password_hash)
        t = time.perf_counter()
        server.flask("db", "upgrade")
        totals.append(("migrations (flask db upgrade)", time.perf_counter() - t))
        t = time.perf_counter()
        out = server.flask("demo", "load", "--scale", "district")
        totals.append(("district load (flask demo load --scale district)", time.perf_counter() - t))
        print(out.strip().splitlines()[0] if out.strip() else "district loaded")

        t = time.perf_counter()
        rows = district_workers(url)
        count = min(args.workers, len(rows))
        picked = [rows[round(i * len(rows) / count)] for i in range(count)]  # across the district
        random.Random(830).shuffle(picked)  # arrival order
        day = (datetime.now(UTC) - timedelta(days=1)).date()
        workers = [Worker(i, uid, name, gid, geo, day) for i, (uid, name, gid, geo) in enumerate(picked)]
        photo = make_photo()
        totals.append(("outboxes and photo made", time.perf_counter() - t))

        t = time.perf_counter()
        server._serve()
        totals.append(("gunicorn start", time.perf_counter() - t))
        rec = Recorder()
        if not args.sign_in:
            t = time.perf_counter()
            if args.presign == "server":
                presign_server(server, workers, rec, args.presign_threads, args.timeout,
                               args.password)
            else:
                presign_direct(workers, url)
            missing = sum(w.cookies is None for w in workers)
            totals.append((f"pre-sign-in of {count} workers ({args.presign})",
                           time.perf_counter() - t))
            signs = rec.latency.get("sign-in (before clock)", [])
            if signs:
                print(f"pre-sign-in: {len(signs)} sign-ins, p50 {fmt_ms(pctl(signs, .5))} ms, "
                      f"p95 {fmt_ms(pctl(signs, .95))} ms"
                      + (f", {missing} failed" if missing else ""))
        pg_before = pg_counters(url, pg_name)
        print(f"peak: {count} workers over {args.arrival_seconds:g} s …", flush=True)
        peak_runner = Peak(args, server, workers, photo, rec)
        peak = peak_runner.run()
        totals.append(("peak (first arrival to last session end)", peak["wall"]))
        pg_after = pg_counters(url, pg_name)
        server.stop()  # nothing in flight while the database is checked
        t = time.perf_counter()
        verdict_rows, ledger, checks = verify(url, workers, rec)
        totals.append(("exactly-once check", time.perf_counter() - t))
        log_problems = server_log_problems(workdir / "gunicorn.log")
        if args.keep_log:
            shutil.copy(workdir / "gunicorn.log", args.keep_log)
        setup = {"photo_bytes": len(photo),
                 "deadlocks": pg_after - pg_before if None not in (pg_before, pg_after) else None}
        totals.append(("total wall time", time.perf_counter() - started))
        report(args, setup, peak, rec, workers, verdict_rows, ledger, checks, log_problems, totals)
    except KeyboardInterrupt:
        failed = True
        print("\ninterrupted: cleaning up", file=sys.stderr)
    except Exception:
        failed = True
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the clean-up finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            if server is not None:
                server.stop()
                if failed and (workdir / "gunicorn.log").exists():
                    print(f"gunicorn log tail ({workdir / 'gunicorn.log'}):", file=sys.stderr)
                    print("\n".join((workdir / "gunicorn.log").read_text(errors="replace")
                                    .splitlines()[-15:]), file=sys.stderr)
                    if args.keep_log:
                        shutil.copy(workdir / "gunicorn.log", args.keep_log)
        finally:
            if pg_name:
                drop_pg_database(pg_name)
            shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        sys.exit(1)


def pg_counters(url, name):
    """Deadlocks in the bench database so far, or None."""
    try:
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s",
                                (name,)).fetchone()[0]
    except Exception:  # noqa: BLE001 - a figure for the report only
        return None


if __name__ == "__main__":
    main()
