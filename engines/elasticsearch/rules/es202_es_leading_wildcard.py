from collections.abc import Iterator

from dbsense.analyzers.ir import EsPatternFact
from dbsense.engines.core import (
    Applicability,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)


class EsLeadingWildcard(Rule):
    """## What it does
    Flags `wildcard` and `query_string` patterns that start with `*` or `?`, and `regexp`
    patterns that start with `.*`, in query DSL dicts.

    ## Why is this bad?
    Terms are stored sorted in each shard's term dictionary, so a pattern with a literal prefix
    seeks to it and walks a short range. A leading wildcard has no prefix: the query walks
    every term of the field on every shard and builds an automaton against each, which is slow,
    memory-hungry, and gets worse with every new distinct value. Clusters often forbid them
    (`search.allow_expensive_queries: false`) for that reason.

    ## Example
    ```python
    from elasticsearch import Elasticsearch

    es = Elasticsearch()


    def by_suffix(suffix):
        return es.search(index="users", query={"wildcard": {"email": {"value": "*@example.com"}}})
    ```

    Use instead:
    ```python
    from elasticsearch import Elasticsearch

    es = Elasticsearch()


    def by_suffix(suffix):
        return es.search(index="users", query={"term": {"email_domain": "example.com"}})
    ```

    ## elasticsearch-py
    For genuine infix search map the field with the `wildcard` type, add an n-gram subfield,
    or index a reversed copy of the value so suffix searches become prefix searches.

    ## Fix safety
    The fix is display-only: changing a field's type needs a new index (or a new subfield) and
    a reindex, and a `wildcard` field no longer scores or analyses the text.

    ## References
    - https://www.elastic.co/docs/reference/query-languages/query-dsl/query-dsl-wildcard-query
    - https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/keyword#wildcard-field-type
    """

    code = "ES202"
    name = "es-leading-wildcard"
    summary = "Leading wildcard walks the whole term dictionary"
    fix_availability = FixAvailability.ALWAYS
    tags = ("elasticsearch", "query")
    consumes = (EsPatternFact,)

    def check(self, fact: EsPatternFact, ctx: RuleContext) -> Iterator[Finding]:
        pattern = fact.pattern.lstrip()
        if fact.query == "regexp":
            leading = pattern.startswith((".*", ".+"))
        else:
            leading = pattern.startswith(("*", "?"))
        if not leading:
            return
        field = f" on `{fact.field}`" if fact.field else ""
        field_name = f"`{fact.field}`" if fact.field else "the queried field"
        subfield = f"`{fact.field}.wildcard`" if fact.field else "that subfield"
        yield Finding(
            fact.span,
            f"`{fact.query}` pattern `{fact.pattern}`{field} starts with a wildcard: it walks "
            "every term of the field on every shard",
            Fix(
                f'Map {field_name} as `{{"type": "wildcard"}}`, or add a subfield '
                '`"fields": {"wildcard": {"type": "wildcard"}}` and query '
                f"{subfield}",
                (),
                Applicability.DISPLAY_ONLY,
            ),
        )
