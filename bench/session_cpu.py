"""CPU a grid worker's morning session costs the server, by request, in-process (PostgreSQL).

    .venv/bin/python -m bench.session_cpu [--workers 150] [--profile]

The morning peak (bench/morning_peak.py) is decided by how much CPU each worker's session takes:
1,293 sessions in 60 s on 2 cores leave ~90 ms of a core for each, the database included. Its
figures swing from run to run, as any queue near saturation does. This bench measures the
same session without the queue: the district-scale demo on a fresh PostgreSQL database, the
Flask test client (no HTTP, no gunicorn), one worker after another, each doing what the peak's
workers do — a CSRF token, a pull from cursor 0, one ~200 KB photo, yesterday's 21 mutations in
pushes of 20 and 1 — and reports the process CPU time (not wall time) per request, p50 and the
mean, after a warm-up. --profile writes a cProfile of the pushes to bench/session_cpu.prof.
"""
import argparse
import json
import statistics
import time

from bench.common import fresh_app  # noqa: I001  (sets the keys before the app loads)
from bench.morning_peak import Worker, make_photo


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=150)
    parser.add_argument("--warm-up", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from datetime import date, timedelta

    from flask_login import FlaskLoginClient
    from flask_migrate import upgrade

    from app.auth.models import RoleAssignment, User
    from app.demo.data import load_district_scale
    from app.extensions import db
    from app.org.models import Grid

    with fresh_app("postgres") as made:
        if made is None:
            return
        app, _ = made
        app.test_client_class = FlaskLoginClient
        with app.app_context():
            upgrade()
            load_district_scale()
            rows = db.session.execute(
                db.select(User.id, User.username, Grid.id, Grid.geojson)
                .join(RoleAssignment, RoleAssignment.user_id == User.id)
                .join(Grid, Grid.id == RoleAssignment.grid_id)
                .where(RoleAssignment.role == "grid_worker").order_by(User.username)
                .limit(args.workers + args.warm_up)).all()
            yesterday = date.today() - timedelta(days=1)
            workers = [Worker(i, uid, name, gid, geojson, yesterday)
                       for i, (uid, name, gid, geojson) in enumerate(rows)]
            users = {u.id: u for u in User.query.filter(User.id.in_([w.user_id for w in workers]))}
        photo = make_photo()
        cpu = {"csrf": [], "pull": [], "media": [], "push of 20": [], "push of 1": [], "session": []}
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()

        def timed(label, call, record):
            started = time.process_time()
            if profiler and label.startswith("push"):
                profiler.enable()
            response = call()
            if profiler:
                profiler.disable()
            spent = (time.process_time() - started) * 1000
            if record:
                cpu[label].append(spent)
            assert response.status_code in (200, 201), (label, response.status_code,
                                                         response.get_data(as_text=True)[:300])
            return response, spent

        for n, w in enumerate(workers):
            record = n >= args.warm_up
            with app.app_context():
                user = db.session.get(User, w.user_id)
                users[w.user_id] = user
            client = app.test_client(user=users[w.user_id])
            total = 0.0
            response, spent = timed("csrf", lambda c=client: c.get("/api/v1/csrf"), record)
            total += spent
            token = response.get_json()["csrf_token"]
            cursor, subs = 0, []
            while True:
                response, spent = timed("pull", lambda c=client, k=cursor: c.get(
                    f"/api/v1/sync/pull?cursor={k}"), record)
                total += spent
                page = response.get_json()
                subs += [int(ch["id"]) for ch in page["changes"] if ch["type"] == "category"
                         and ch["op"] == "upsert" and ch["data"].get("parent_id")]
                cursor = page["cursor"]
                if not page["more"]:
                    break
            _, spent = timed("media", lambda c=client, w=w, t=token: c.put(
                f"/api/v1/media/{w.photo_id}", data=photo,
                headers={"Content-Type": "image/jpeg", "X-CSRFToken": t}), record)
            total += spent
            for k, m in enumerate(w.reports):
                m["data"]["category_id"] = sorted(subs)[(n + k) % len(subs)]
            for batch in w.batches():
                body = json.dumps({"mutations": batch}, ensure_ascii=False)
                response, spent = timed(f"push of {len(batch)}", lambda c=client, b=body, t=token: c.post(
                    "/api/v1/sync/push", data=b,
                    headers={"Content-Type": "application/json", "X-CSRFToken": t}), record)
                total += spent
                statuses = {r["status"] for r in response.get_json()["results"]}
                assert statuses == {"applied"}, response.get_json()["results"]
            if record:
                cpu["session"].append(total)

        print(f"## CPU per worker session, in-process, PostgreSQL ({args.workers} workers "
              f"after {args.warm_up} warm-up)\n")
        print("| request | count | p50 ms | mean ms |\n|---|---|---|---|")
        for label, values in cpu.items():
            print(f"| {label} | {len(values)} | {statistics.median(values):.1f} | "
                  f"{statistics.fmean(values):.1f} |")
        if profiler:
            profiler.dump_stats("bench/session_cpu.prof")
            print("\ncProfile of the pushes: bench/session_cpu.prof")


if __name__ == "__main__":
    main()
