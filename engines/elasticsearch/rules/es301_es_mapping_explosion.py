from collections.abc import Iterator

from dbsense.analyzers.ir import EsCallFact
from dbsense.engines.core import Finding, Rule, RuleContext

_WRITES = {"index", "create", "update"}


class EsMappingExplosion(Rule):
    """## What it does
    Flags documents whose keys come from data (a dict comprehension, `**payload`, computed
    keys, `json.loads` output) written into an index that this module does not create with
    `"dynamic": "strict"` or `false`; and settings that raise
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
        es.index(index="events", id=event_id, document={k: v for k, v in attributes.items()})
    ```

    ## elasticsearch-py
    Put variable keys under one `flattened` field, or store them as a list of
    `{"key": ..., "value": ...}` objects mapped as `nested`.

    ## References
    - https://www.elastic.co/docs/reference/elasticsearch/index-settings/mapping-limit
    - https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/flattened
    """

    code = "ES301"
    name = "es-mapping-explosion"
    summary = "Data-derived keys under dynamic mapping grow the mapping without bound"
    aliases = ("es-total-fields-limit",)
    tags = ("elasticsearch", "mapping")
    consumes = (EsCallFact,)

    def check(self, fact: EsCallFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.total_fields_limit is not None and fact.total_fields_limit > 1000:
            yield Finding(
                fact.span,
                f"`total_fields.limit` raised to {fact.total_fields_limit}: the mapping keeps "
                "growing; map variable keys as `flattened` instead",
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
        )

    @staticmethod
    def _strict(index: str | None, ctx: RuleContext) -> bool:
        for other in ctx.unit_facts:
            if (
                isinstance(other, EsCallFact)
                and other.method == "indices.create"
                and other.index == index
                and other.mapping_dynamic in ("strict", False, "false")
            ):
                return True
        return False
