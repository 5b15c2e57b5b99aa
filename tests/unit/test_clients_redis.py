"""redis-py front-end: clients, commands, keys, loops and pipelines resolved from snippets."""

from __future__ import annotations

from dbsense.analyzers.ir import (
    CallPlace,
    ClientCreationFact,
    RedisCommandFact,
    RedisPipelineLoopFact,
    SourceFile,
)
from dbsense.analyzers.python import analyze_python


def facts(text: str, kind: type) -> list:
    return [f for f in analyze_python(SourceFile("app.py", text)).facts if isinstance(f, kind)]


def test_aliased_clients_and_keys() -> None:
    text = (
        "from redis import asyncio as aio\n"
        "import redis as rd\n"
        "a = aio.Redis.from_url('redis://x')\n"
        "class Repo:\n"
        "    def __init__(self):\n"
        "        self.r = rd.StrictRedis()\n"
        "    def load(self, uid):\n"
        "        return self.r.get(f'user:{uid}:name')\n"
        "async def scan():\n"
        "    return await a.execute_command('KEYS', 'x*')\n"
    )
    commands = facts(text, RedisCommandFact)
    assert [(c.command, c.key, c.receiver) for c in commands] == [
        ("get", "user:*:name", "self.r"),
        ("keys", "x*", "a"),
    ]
    assert commands[0].place == CallPlace(function="load")
    creations = facts(text, ClientCreationFact)
    assert [c.constructor for c in creations] == [
        "redis.asyncio.Redis.from_url",
        "redis.StrictRedis",
    ]


def test_loop_dependence_bound_and_batch() -> None:
    text = (
        "import redis\n"
        "r = redis.Redis()\n"
        "def f(ids):\n"
        "    vals = [r.get(i) for i in ids]\n"
        "    for name in ['a', 'b']:\n"
        "        r.get('fixed')\n"
    )
    first, second = facts(text, RedisCommandFact)
    assert first.place.in_loop and first.place.loop_dependent and first.place.loop_bound is None
    assert first.batch_keys == "ids"
    assert text[first.batch_span.start : first.batch_span.end] == "[r.get(i) for i in ids]"
    assert second.place.loop_bound == 2 and not second.place.loop_dependent
    assert second.batch_span is None


def test_pipeline_loops() -> None:
    text = (
        "import redis\n"
        "r = redis.Redis()\n"
        "def f(rows):\n"
        "    with r.pipeline() as p:\n"
        "        for row in rows:\n"
        "            p.set(row, 1).expire(row, 5)\n"
        "        for n in range(100):\n"
        "            p.delete(n)\n"
        "            p.execute()\n"
    )
    loops = facts(text, RedisPipelineLoopFact)
    assert [(x.pipeline, x.loop_bound, x.executes_in_loop, x.iterable) for x in loops] == [
        ("p", None, False, "rows"),
        ("p", 100, True, "range(100)"),
    ]
    assert all(c.pipeline for c in facts(text, RedisCommandFact))


def test_no_redis_import_no_facts_and_bad_input() -> None:
    assert facts("r = object()\nr.keys('*')\n", RedisCommandFact) == []
    assert facts("import redis\nr = redis.Redis(\n", RedisCommandFact) == []


def test_key_lambdas_run_per_element() -> None:
    text = (
        "import redis\n"
        "r = redis.Redis()\n"
        "def f(ids):\n"
        "    by_score = sorted(ids, key=lambda i: r.get(f'score:{i}'))\n"
        "    ids.sort(key=lambda i: r.get(f'rank:{i}'))\n"
        "    return max(ids, key=len), sorted(ids, key=lambda i: i)\n"
    )
    score, rank = facts(text, RedisCommandFact)
    assert score.place.in_loop and score.place.loop_dependent
    assert rank.place.in_loop and rank.place.loop_dependent
