"""elasticsearch-py front-end: API calls, pagination, refresh, documents and DSL patterns."""

from __future__ import annotations

from dbsense.analyzers.ir import EsCallFact, EsPatternFact, SourceFile, Span
from dbsense.analyzers.python import analyze_python

TEXT = """\
import json
from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import bulk
es = AsyncElasticsearch()
async def f(page, raw, rows):
    body = {"from": 10, "size": 5, "query": {"bool": {"should": [{"regexp": {"p": ".*x"}}]}}}
    await es.search(index="i", body=body)
    await es.search(index="i", from_=page * 10, search_after=[1])
    doc = json.loads(raw)
    await es.index(index="i", document=doc, refresh=True)
    await es.indices.create(index="i", mappings={"properties": {}})
    bulk(es, rows, refresh="wait_for")
"""


def facts(kind: type) -> list:
    return [f for f in analyze_python(SourceFile("app.py", TEXT)).facts if isinstance(f, kind)]


def test_calls() -> None:
    search, paged, index, create, helper = facts(EsCallFact)
    assert (search.method, search.from_value, search.size_value) == ("search", 10, 5)
    assert paged.unclamped_from and paged.search_after
    assert (index.refresh, index.dynamic_document) == (True, "`json.loads` output")
    assert TEXT[index.refresh_span.start : index.refresh_span.end] == "True"
    assert (create.method, create.mapping_dynamic) == ("indices.create", "unset")
    assert (helper.method, helper.refresh) == ("helpers.bulk", "wait_for")


def test_patterns_in_variables() -> None:
    (pattern,) = facts(EsPatternFact)
    assert (pattern.query, pattern.field, pattern.pattern) == ("regexp", "p", ".*x")
    assert TEXT[pattern.span.start : pattern.span.end] == '".*x"'
    assert isinstance(pattern.span, Span)
