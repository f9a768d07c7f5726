"""Fuzzed pushes against a fresh database per backend, then an exactly-once audit.

    .venv/bin/python -m bench.fuzz_push [--pushes 10000] [--backends sqlite,postgres] [--seed N]

For each backend: a new database built by the migrations, the demo data, the demo worker signed
in (in-process Flask test client), then N pushes, each a batch of 1–20 mutations mixing valid ones
(every kind, each with the records it needs stored first by a push of its own) and fuzzed ones
(a valid mutation with one thing wrong, or random JSON; see ``tests/sync_fuzz.py``), now and then a
replay of an earlier mutation, now and then a body that is not a push at all; plus pulls with
arbitrary cursors and photo uploads with arbitrary ids, bytes and content types. Every answer goes
through the same oracle as ``tests/test_sync_fuzz.py``.

Printed per backend: requests by HTTP status, mutations by answer (status/code), the number of 5xx
(must be 0) and of mutations answered "retry" (a handler that raised: a 500 in all but name), the
exactly-once audit (each mutation answered applied/duplicate has one ledger row and one stored
record, none answered rejected/forbidden/conflict has any, and every table holds exactly the
records the answers account for), then each kind of problem the oracle saw with a count and its
first occurrence in full. The exit status is 1 when there was any problem.
"""
import argparse
import logging
import sys
import tempfile
import time
import warnings
from collections import Counter

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, FlakyStrategyDefinition

from bench.common import fresh_app  # noqa: I001  (sets the keys before the app loads)
from tests.sync_fuzz import KINDS, World, media_case, pull_query, push_case, raw_push_body, summary

PULL_SHARE, MEDIA_SHARE, RAW_SHARE = 0.10, 0.10, 0.03


def setup(app):
    from flask_migrate import upgrade

    from app.demo.data import load_demo

    app.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=True, WTF_CSRF_ENABLED=True,
                      MEDIA_ROOT=tempfile.mkdtemp(prefix="fuzz-media-"))
    with app.app_context():
        upgrade()
        load_demo()


def run(app, pushes, random_seed):
    world = World.sign_in(app)
    # The oracle collects the app's tracebacks; they are summarised at the end, not streamed.
    logging.getLogger("app").propagate = False
    warnings.filterwarnings("ignore", module="PIL")
    http, answers, kinds = Counter(), Counter(), Counter()
    done = {"pushes": 0}

    def tally(kind, status):
        http[(kind, status)] += 1

    def one(data):
        draw = data.draw
        # Everything is drawn before the push: an example hypothesis abandons midway (its data
        # ran out) then has pushed nothing, and the count of pushes is the count of examples.
        pull = pull_query(draw) if draw(st.floats(0, 1)) < PULL_SHARE else None
        media = media_case(draw, world) if draw(st.floats(0, 1)) < MEDIA_SHARE else None
        if draw(st.floats(0, 1)) < RAW_SHARE:
            outcome = world.push(raw_push_body(draw, world))
            tally("push (not a push body)", outcome["status"])
        else:
            size = draw(st.integers(1, 20))
            valid = draw(st.integers(0, size))
            case = push_case(draw, world, fuzzed=size - valid, valid=valid, neighbour=False,
                             replays=0.15)
            outcome = world.push(case["body"], intended=case["mutations"])
            tally("push", outcome["status"])
            for m, r in zip(outcome["mutations"], outcome["results"] or [], strict=False):
                kind = m.get("kind") if isinstance(m, dict) else None
                kinds[kind if kind in KINDS else "(other)"] += 1
                answers[r.get("status"), r.get("code")] += 1
        done["pushes"] += 1
        if pull is not None:
            tally("pull", world.pull(pull))
        if media is not None:
            tally("media PUT", world.put_media(*media))
        if done["pushes"] % 1000 == 0:
            world.check_counts()
            print(f"  … {done['pushes']} pushes, {len(world.problems)} problems", flush=True)

    # Generation depends on what the server has stored (ids to reuse, mutations to replay), so
    # hypothesis may call a run flaky now and then: the run goes on with the pushes still to do.
    attempt = 0
    while done["pushes"] < pushes:
        before = done["pushes"]
        test = settings(max_examples=pushes - before, database=None, deadline=None,
                        phases=[Phase.generate], suppress_health_check=list(HealthCheck))(
            given(data=st.data())(one))
        if random_seed is not None:
            test = seed(random_seed + attempt)(test)
        attempt += 1
        try:
            test()
        except (Flaky, FlakyStrategyDefinition) as exc:
            print(f"  (hypothesis: {type(exc).__name__} after {done['pushes']} pushes; going on)",
                  flush=True)
        if done["pushes"] == before:
            break
    started = time.perf_counter()
    before = len(world.problems)
    world.check_counts(full=True)
    audit = {"seconds": time.perf_counter() - started, "problems": world.problems[before:]}
    world.close()
    return world, http, answers, kinds, done["pushes"], audit


def report(backend, world, http, answers, kinds, pushes, elapsed, audit):
    # Every request the oracle made, the valid records' own pushes and the photos included.
    five = sum(n for (_, status), n in world.statuses.items() if status >= 500)
    print(f"\n## {backend}: {pushes} fuzzed pushes in {elapsed:.0f} s")
    print("HTTP status by request:")
    for kind in sorted({k for k, _ in http}):
        print(f"  {kind}: " + summary(Counter({s: n for (k, s), n in http.items() if k == kind})))
    print(f"  (plus {world.prelude_pushes} pushes of valid records the fuzzed ones need)")
    print("mutations by kind sent: " + summary(kinds))
    print("mutation answers (status, code):")
    for (status, code), n in sorted(answers.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        print(f"  {status:<10} {code or '-':<16} {n}")
    print(f"5xx answers (all {sum(world.statuses.values())} requests): {five}")
    retries = sum(n for (status, _), n in answers.items() if status == "retry")
    print(f"mutations answered retry (server_error): {retries}")
    verdict = "OK" if not audit["problems"] else f"FAILED ({len(audit['problems'])} problems)"
    print(f"exactly-once audit: {verdict} in {audit['seconds']:.1f} s; {len(world.applied_ids)} "
          f"mutations applied (one ledger row each), {len(world.refused)} refused (none), records: "
          + summary(Counter({m.__tablename__: len(ids) for m, ids in world.created.items()})))
    print(f"problems: {len(world.problems)}, of {len(world.signatures)} kinds:")
    for key, n in world.signatures.most_common():
        print(f"  {n:>6} × {key}")
    for key, _ in world.signatures.most_common():
        print("-" * 78)
        print(f"first of: {key}\n{world.first_of[key][:5000]}")
    return five, len(world.problems)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pushes", type=int, default=10000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    failed = False
    for backend in args.backends.split(","):
        with fresh_app(backend) as got:
            if got is None:
                continue
            app, _ = got
            setup(app)
            started = time.perf_counter()
            world, http, answers, kinds, pushes, audit = run(app, args.pushes, args.seed)
            five, problems = report(backend, world, http, answers, kinds, pushes,
                                    time.perf_counter() - started, audit)
            failed |= bool(five or problems)
    print("\nOK: no 5xx, exactly once" if not failed else "\nFAILED: see the problems above")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
