"""Push endpoint throughput and latency under gunicorn, against a trivial endpoint on the same
server, for SQLite and PostgreSQL.

    .venv/bin/python -m bench.push_bench [--threads 8] [--pushes 25]

Each client thread signs in as its own grid worker and pushes batches of 20 quick reports over
one keep-alive connection (loopback only, a bounded number of requests). The same threads then
call /healthz in the same run, with their session cookies, which touches neither the database
nor the session: the last column is the issue's "mutations/s ÷ /healthz req/s".
"""
import argparse
import http.client
import io
import json
import re
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from PIL import Image

from tests.browser import LiveServer

BATCH = 20
WORKERS = ["worker", "w-qcl-frj-02", "w-qcl-frj-03", "w-qcl-acs-01", "w-qcl-acs-02",
           "w-dmh-qst-01", "w-dmh-qst-02", "w-dmh-bhz-01"]


class Client:
    def __init__(self, port, username):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = {}
        self.username = username

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed an idle keep-alive connection; a push is safe to resend.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def sign_in(self):
        _, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        body = f"username={self.username}&password=gridwalk-demo&csrf_token={token}"
        status, _ = self.request("POST", "/login", body,
                                 {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302, status
        _, me = self.request("GET", "/api/v1/me")
        self.user_id = json.loads(me)["id"]
        _, token = self.request("GET", "/api/v1/csrf")
        self.token = json.loads(token)["csrf_token"]
        out = io.BytesIO()
        Image.new("RGB", (1600, 1200), (90, 140, 60)).save(out, "JPEG", quality=85)
        self.photo = str(uuid.uuid4())
        status, _ = self.request("PUT", f"/api/v1/media/{self.photo}", out.getvalue(),
                                 {"Content-Type": "image/jpeg", "X-CSRFToken": self.token})
        assert status == 201, status

    def grid_point(self):
        _, grids = self.request("GET", "/api/v1/grids?geometry=1")
        ring = json.loads(grids)["grids"][0]["geometry"]["coordinates"][0]
        xs, ys = [c[0] for c in ring], [c[1] for c in ring]
        self.point = (sum(xs) / len(xs), sum(ys) / len(ys))

    def batch(self, category_id):
        return json.dumps({"mutations": [{
            "id": str(uuid.uuid4()), "kind": "event.report", "record_id": str(uuid.uuid4()),
            "author_id": self.user_id, "created_at": "2026-11-27T08:00:00Z", "form_version": 1,
            "data": {"category_id": category_id, "description": "基准测试上报", "urgency": "normal",
                     "lon": self.point[0], "lat": self.point[1], "accuracy": 10,
                     "photos": [self.photo]}} for _ in range(BATCH)]})


def pctl(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run(server, threads, pushes):
    clients = [Client(server.port, WORKERS[i % len(WORKERS)]) for i in range(threads)]
    for c in clients:
        c.sign_in()
        c.grid_point()
    _, pulled = clients[0].request("GET", "/api/v1/sync/pull?cursor=0")
    category_id = next(int(ch["id"]) for ch in json.loads(pulled)["changes"]
                       if ch["type"] == "category" and ch["data"]["parent_id"])

    def measure(work):
        latencies, lock = [], threading.Lock()

        def loop(client):
            for _ in range(pushes):
                started = time.perf_counter()
                status = work(client)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append((elapsed, status))

        started = time.perf_counter()
        pool = [threading.Thread(target=loop, args=(c,)) for c in clients]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return latencies, time.perf_counter() - started

    def push(client):
        status, body = client.request("POST", "/api/v1/sync/push", client.batch(category_id),
                                      {"Content-Type": "application/json", "X-CSRFToken": client.token})
        results = json.loads(body)["results"]
        assert status == 200 and all(r["status"] == "applied" for r in results), body[:300]
        return status

    def trivial(client):
        return client.request("GET", "/healthz")[0]

    push_lat, push_wall = measure(push)
    triv_lat, triv_wall = measure(trivial)
    p = [x for x, _ in push_lat]
    t = [x for x, _ in triv_lat]
    return {
        "requests": len(p), "mutations_per_s": len(p) * BATCH / push_wall,
        "push_req_per_s": len(p) / push_wall, "push_p50_ms": statistics.median(p) * 1000,
        "push_p95_ms": pctl(p, 0.95) * 1000, "trivial_req_per_s": len(t) / triv_wall,
        "trivial_p95_ms": pctl(t, 0.95) * 1000,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--pushes", type=int, default=25)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-{backend}-"))
        extra, pg_name = {}, None
        if backend == "postgres":
            from tests.conftest import create_pg_database, postgres_available

            ok, why = postgres_available()
            if not ok:
                print(f"postgres skipped: {why}")
                continue
            pg_name, url = create_pg_database()
            extra["DATABASE_URL"] = url
        server = LiveServer(workdir, extra)
        if pg_name:
            server.db_path = None
        server.start()
        try:
            result = run(server, args.threads, args.pushes)
        finally:
            server.stop()
            if pg_name:
                from tests.conftest import drop_pg_database

                drop_pg_database(pg_name)
        rows.append((backend, result))
    print(f"gunicorn 2 workers × 4 threads; {args.threads} client threads × {args.pushes} pushes "
          f"of {BATCH} mutations")
    print("| backend | mutations/s | pushes/s | push p50 ms | push p95 ms | /healthz req/s "
          "| /healthz p95 ms | mutations/s ÷ /healthz req/s |")
    print("|---|---|---|---|---|---|---|---|")
    for backend, r in rows:
        print(f"| {backend} | {r['mutations_per_s']:.0f} | {r['push_req_per_s']:.1f} | "
              f"{r['push_p50_ms']:.0f} | {r['push_p95_ms']:.0f} | {r['trivial_req_per_s']:.0f} | "
              f"{r['trivial_p95_ms']:.1f} | {r['mutations_per_s'] / r['trivial_req_per_s']:.2f} |")


if __name__ == "__main__":
    main()
