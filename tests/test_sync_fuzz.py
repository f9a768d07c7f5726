"""Property-based fuzzing of the sync API (hypothesis), on SQLite and PostgreSQL.

Every mutation kind (the keys of ``KIND_SCHEMAS``) is sent mostly valid with one thing wrong —
wrong types, NaN/Infinity, numbers beyond 64 bits, lone surrogates, NUL bytes, very long strings,
JSON nested thousands deep, UUIDs with a trailing newline, fields missing or added — or as random
JSON, next to a correct report with a photo uploaded for that example. For every push: no 5xx, a
JSON answer, one result per mutation in order, the neighbour applied and stored, and nothing written
for what was refused (see ``tests/sync_fuzz.py`` for the oracle). Pulls with arbitrary cursors and
photo uploads with arbitrary ids, bytes and content types never get a 5xx either.

More examples: ``FUZZ_SCALE=10 .venv/bin/python -m pytest -q tests/test_sync_fuzz.py``; the
smallest failing example: ``FUZZ_SHRINK=1`` (slow: every shrink step pushes again).
"""
import os

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from tests import support
from tests.sync_fuzz import World, media_case, pull_query, push_case, raw_push_body

phone = support.api_phone  # the API phone fixture, not conftest's browser one

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


# Shrinking replays pushes against the database for minutes; the oracle's message already names
# the mutation, the answer and the traceback. FUZZ_SHRINK=1 asks for the smallest example.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink, Phase.explain] if os.environ.get("FUZZ_SHRINK") else [])


def fuzz(examples):
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None, database=None,
                    phases=PHASES,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


@pytest.fixture
def world(phone, app):  # noqa: F811 - the fixture imported above
    world = World(app, phone.client, phone.token, phone.user_id)
    yield world
    world.close()
    # Across every example of the test: one row per applied record, one ledger row per applied
    # mutation, none for what was only ever refused.
    world.check_counts(full=True)
    assert not world.problems, "\n\n".join(world.problems[:5])


def assert_no_problems(world):
    problems, world.problems = world.problems, []
    assert not problems, f"{len(problems)} problem(s):\n\n" + "\n\n".join(problems[:5])


@fuzz(examples=240)
@given(data=st.data())
def test_fuzzed_mutations_next_to_a_valid_one(world, data):
    case = push_case(data.draw, world)
    note(f"what was broken: {case['notes']}")
    world.push(case["body"], neighbours=case["neighbours"], intended=case["mutations"])
    world.check_counts()
    assert_no_problems(world)


@fuzz(examples=20)
@given(data=st.data())
def test_malformed_push_bodies_get_a_json_4xx_and_store_nothing(world, data):
    body = raw_push_body(data.draw, world)
    outcome = world.push(body)
    # 200 only for a body that is a push after all (a list nested a few deep): nothing applied.
    assert outcome["status"] in (200, 400, 413), outcome["status"]
    assert not [r for r in outcome["results"] or () if r.get("status") != "rejected"], outcome
    world.check_counts()
    assert_no_problems(world)


@fuzz(examples=60)
@given(data=st.data())
def test_pull_with_any_cursor_and_limit(world, data):
    world.pull(pull_query(data.draw))
    assert_no_problems(world)


@fuzz(examples=160)
@given(data=st.data())
def test_photo_upload_with_any_id_bytes_and_type(world, data):
    media_id, body, content_type = media_case(data.draw, world)
    world.put_media(media_id, body, content_type)
    assert_no_problems(world)
