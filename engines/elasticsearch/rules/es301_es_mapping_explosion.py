from collections.abc import Iterable, Iterator
from typing import Any

from dbsense.analyzers.ir import EsCallFact, Fact
from dbsense.engines.core import (
    Applicability,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)

_WRITES = {"index", "create", "update"}


class EsMappingExplosion(Rule):
    """## What it does
    Flags documents whose keys come from data (a dict comprehension, `**payload`, computed
    keys, `json.loads` output) written into an index that no module of the workspace creates
    with `"dynamic": "strict"` or `false`; and settings that raise
    `index.mapping.total_fields.limit`.

    ## Why is this bad?
    Under dynamic mapping every new key becomes a new field in the index mapping. The mapping
    is cluster state: each new field is a cluster-state update published to every node, and
    every field costs heap and disk per shard. Keys taken from user data (ids, tags, header
    names) grow without bound until indexing fails at `total_fields.limit` (1,000); raising the
    limit only postpones the failure and makes the cluster state heavier.

    ## Example
    ```python
    from elasticsearch import Elasticsearch

    es = Elasticsearch()


    def save(event_id, attributes):
        es.index(index="events", id=event_id, document={k: v for k, v in attributes.items()})
    ```

    Use instead:
    ```python
    from elasticsearch import Elasticsearch

    es = Elasticsearch()
    es.indices.create(
        index="events",
        mappings={"dynamic": "strict", "properties": {"attributes": {"type": "flattened"}}},
    )


    def save(event_id, attributes):
        es.index(index="events", id=event_id, document={"attributes": attributes})
    ```

    ## elasticsearch-py
    Put variable keys under one `flattened` field, or store them as a list of
    `{"key": ..., "value": ...}` objects mapped as `nested`. The `indices.create` call may be
    in another module (a setup script, say): any module of the workspace counts.

    ## Fix safety
    The fix is display-only: an existing index keeps its mapping (the change needs a new index
    and a reindex), and under `"dynamic": "strict"` every document with a field outside the
    mapping is rejected, so the variable keys must move under the `flattened` field first.

    ## References
    - https://www.elastic.co/docs/reference/elasticsearch/index-settings/mapping-limit
    - https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/flattened
    """

    code = "ES301"
    name = "es-mapping-explosion"
    summary = "Data-derived keys under dynamic mapping grow the mapping without bound"
    aliases = ("es-total-fields-limit",)
    fix_availability = FixAvailability.ALWAYS
    tags = ("elasticsearch", "mapping")
    consumes = (EsCallFact,)
    _catalog: Any = None
    _indices: frozenset[str | None] = frozenset()

    def check(self, fact: EsCallFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.total_fields_limit is not None and fact.total_fields_limit > 1000:
            yield Finding(
                fact.span,
                f"`total_fields.limit` raised to {fact.total_fields_limit}: the mapping keeps "
                "growing; map variable keys as `flattened` instead",
                Fix(
                    "Keep `total_fields.limit` at 1000 and map the variable keys as one field: "
                    '`{"type": "flattened"}`',
                    (),
                    Applicability.DISPLAY_ONLY,
                ),
            )
        if fact.method not in _WRITES or fact.dynamic_document is None:
            return
        if self._strict(fact.index, ctx):
            return
        index = f"`{fact.index}`" if fact.index else "the index"
        yield Finding(
            fact.span,
            f"document keys come from data ({fact.dynamic_document}) and {index} maps them "
            "dynamically: each new key adds a field until `total_fields.limit` (1,000)",
            Fix(
                f"Create {index} with "
                '`mappings={"dynamic": "strict", "properties": {"attributes": '
                '{"type": "flattened"}}}` and index the variable keys under `attributes`',
                (),
                Applicability.DISPLAY_ONLY,
            ),
        )

    def _strict(self, index: str | None, ctx: RuleContext) -> bool:
        """An ``indices.create`` of ``index`` anywhere in the workspace maps it strictly."""
        history = getattr(ctx.catalog, "history", None)
        if not history:
            return index in _strict_indices(ctx.unit_facts)
        if self._catalog is not ctx.catalog:  # one scan of the workspace per check
            self._catalog = ctx.catalog
            self._indices = _strict_indices(fact for unit in history for fact in unit.facts)
        return index in self._indices


def _strict_indices(facts: Iterable[Fact]) -> frozenset[str | None]:
    """Indices created with ``"dynamic": "strict"`` or ``false``."""
    return frozenset(
        fact.index
        for fact in facts
        if isinstance(fact, EsCallFact)
        and fact.method == "indices.create"
        and fact.mapping_dynamic in ("strict", False, "false")
    )
