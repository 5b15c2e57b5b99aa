from collections.abc import Iterator

from dbsense.analyzers.catalog import Index
from dbsense.analyzers.ir import (
    DJANGO,
    RAW_SQL,
    SQL_FILE,
    OrmPatternFact,
    PatternMatchFact,
    Span,
)
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
    Severity,
)
from dbsense.engines.postgres.helpers import display_name, index_name, table_indexes

_TRIGRAM_OPCLASSES = {"gin_trgm_ops", "gist_trgm_ops"}
_PATTERN_OPCLASSES = {"text_pattern_ops", "varchar_pattern_ops", "bpchar_pattern_ops"}
_REGEX_META = set(".^$*+?()[]{}|\\")
_MANY_FIELDS = 3


class LikeSubstringSearch(Rule):
    """## What it does
    Flags a `LIKE`/`ILIKE`/`SIMILAR TO` pattern that starts with a wildcard (`'%term%'`,
    `'_term'`), and a regular expression match (`~`, `~*`), on a column that has no trigram
    (`gin_trgm_ops` or `gist_trgm_ops`) index in the workspace schema, in SQL and in the Django
    lookups and SQLAlchemy operators that send them.

    ## Why is this bad?
    A btree index is ordered by the leading characters of the value, so it can only serve a
    pattern whose start is fixed (`LIKE 'abc%'`, and only with `text_pattern_ops` or the `C`
    collation). A leading wildcard, a case-insensitive match or an unanchored regular expression
    leaves Postgres one plan: read every row of the table and test the pattern on each. The
    query gets slower as the table grows, and a search box turns into sequential scans under
    load.

    What to use depends on what the search is for:
    - **Substrings, typos, `ILIKE`**: the `pg_trgm` extension indexes the three-letter sequences
      of each value; a GIN index on `col gin_trgm_ops` serves `LIKE`, `ILIKE`, `~` and `~*`
      with any wildcard position, and `similarity()` for fuzzy matching. It stays in the same
      transaction as the data, at the cost of a larger index and slower writes.
    - **Words and ranking**: full-text search (`to_tsvector(...) @@ websearch_to_tsquery(...)`
      with a GIN index on the `tsvector`, ideally a stored generated column) matches words with
      stemming and ranks results with `ts_rank`.
    - **Many fields, facets, synonyms, relevance tuning**: a search engine such as
      Elasticsearch. It does these well, but it is a second system to run, secure and monitor,
      and its index is only eventually consistent with Postgres: you need a sync path (outbox,
      change data capture) and must accept that a row just written may not be found yet.

    ## Example
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
    SELECT id, name FROM customers WHERE name ILIKE '%smith%';
    ```

    Use instead:
    ```sql
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
    CREATE INDEX customers_name_trgm_idx ON customers USING gin (name gin_trgm_ops);
    SELECT id, name FROM customers WHERE name ILIKE '%smith%';
    ```

    A prefix search (`name LIKE 'smi%'`) is not flagged; give it a
    `btree (name text_pattern_ops)` index.

    ## Django
    `__contains`, `__endswith`, `__regex` and `__iregex` lookups are flagged, and so are
    `__icontains`/`__iendswith`, which Django sends as `UPPER(col) LIKE UPPER(...)`: their index
    must be on `UPPER(col)`. Declare it in `Meta.indexes` (with `TrigramExtension()` in a
    migration):
    ```python
    from django.contrib.postgres.indexes import GinIndex, OpClass
    from django.db.models.functions import Upper

    indexes = [
        GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="customers_name_trgm_idx"),
        GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="customers_email_trgm_idx"),
    ]
    ```
    `__contains` on an `ArrayField` or `JSONField` is containment (`@>`), not a pattern.

    ## SQLAlchemy / Alembic
    `.contains()`, `.endswith()`, `.regexp_match()` and `.like()`/`.ilike()` with a leading
    `%` are flagged. Declare the index in `__table_args__`:
    ```python
    Index(
        "customers_name_trgm_idx",
        Customer.name,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    ```

    ## Fix safety
    The fix is display-only: it adds an extension and an index, which the schema owner must
    approve, and `CREATE INDEX CONCURRENTLY` cannot run inside a transaction block.

    ## Options
    `postgres.small-tables` lists tables small enough for a sequential scan; patterns on them
    are not flagged.

    ## References
    - https://www.postgresql.org/docs/current/pgtrgm.html
    - https://www.postgresql.org/docs/current/textsearch-tables.html
    - https://www.postgresql.org/docs/current/indexes-opclass.html
    """

    code = "PG601"
    name = "like-substring-search"
    summary = "Leading-wildcard or regex pattern on a column with no trigram index"
    severity = Severity.INFO
    fix_availability = FixAvailability.ALWAYS
    tags = ("indexing", "query", "engine-choice")
    consumes = (PatternMatchFact, OrmPatternFact)
    options = ("postgres.small-tables",)

    def check(self, fact: PatternMatchFact | OrmPatternFact, ctx: RuleContext) -> Iterator[Finding]:
        if isinstance(fact, OrmPatternFact):
            yield from self._orm(fact, ctx)
            return
        if fact.negated or fact.table is None or not _needs_scan(fact):
            return
        small = set(ctx.option("postgres", "small-tables") or ())
        if display_name(fact.table) in small:
            return
        table = ctx.catalog.table(fact.table) if ctx.catalog is not None else None
        indexes = table_indexes(ctx.catalog, table) if table is not None else []
        if any(_trigram(index, fact) for index in indexes):
            return
        if _prefix_regex(fact) and any(_pattern_btree(index, fact.column) for index in indexes):
            return
        name = display_name(table.name if table is not None else fact.table)
        target = f"{fact.wrapped}({fact.column})" if fact.wrapped else fact.column
        shown = f"{fact.wrapped}({name}.{fact.column})" if fact.wrapped else f"{name}.{target}"
        yield Finding(
            fact.span,
            f"`{fact.operator}` {_describe(fact)} on `{shown}` cannot use a btree "
            f"index, so every query reads the whole table; {_advice(fact, ctx)}",
            self._fix(fact, name, target, {index.name or "" for index in indexes}),
        )

    def _orm(self, orm: OrmPatternFact, ctx: RuleContext) -> Iterator[Finding]:
        catalog = ctx.catalog
        located = catalog.python.model(orm.model) if catalog is not None else None
        name = getattr(located.fact, "table", None) if located is not None else None
        table = catalog.table(name) if name is not None else None
        if table is None:
            return
        column = table.columns.get(orm.field)
        if column is None or _not_text(column.type, orm):
            return
        if display_name(table.name) in set(ctx.option("postgres", "small-tables") or ()):
            return
        fact = PatternMatchFact(
            orm.span,
            orm.origin,
            table.name,
            orm.field,
            orm.span,
            orm.operator,
            orm.pattern,
            wrapped=orm.wrapped,
        )
        if not _needs_scan(fact):
            return
        indexes = table_indexes(catalog, table)
        if any(_trigram(index, fact) for index in indexes):
            return
        if _prefix_regex(fact) and any(_pattern_btree(index, fact.column) for index in indexes):
            return
        shown = display_name(table.name)
        target = f"{orm.wrapped}({orm.field})" if orm.wrapped else orm.field
        pattern = orm.pattern if orm.pattern not in (None, "%", "") else f"{orm.pattern or ''}…"
        if orm.lookup in ("contains", "icontains") and pattern.endswith("…"):
            pattern += "%"
        sql = f"{target} {orm.operator} '{pattern}'"
        written = f"{orm.field}__{orm.lookup}" if orm.origin == DJANGO else f".{orm.lookup}()"
        yield Finding(
            orm.span,
            f"`{written}` on `{shown}.{orm.field}` is `{sql}`"
            ", which cannot use a btree index, so every query reads the whole table; "
            f"{_advice(fact, ctx)}",
            self._fix(fact, shown, target, {index.name or "" for index in indexes}),
        )

    def _fix(self, fact: PatternMatchFact, table: str, target: str, taken: set[str]) -> Fix:
        base = index_name(fact.table, (fact.column,), "trgm_idx")
        name, attempt = base, 0
        while name in taken:
            attempt += 1
            name = f"{base}{attempt}"
        key = f"({target})" if fact.wrapped else target
        recipe = (
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
            f"CREATE INDEX CONCURRENTLY {name} ON {table} USING gin ({key} gin_trgm_ops);"
        )
        edits = ()
        if fact.origin == SQL_FILE and fact.statement_span is not None:
            end = fact.statement_span.end
            edits = (Edit(Span(end, end), f"\n{recipe}"),)
        return Fix(
            f"Add a trigram index: `{recipe}`".replace("\n", " "),
            edits,
            Applicability.DISPLAY_ONLY,
        )


def _not_text(type_: object, orm: OrmPatternFact) -> bool:
    """``contains`` on an array or JSON column is ``@>``, not a pattern."""
    name = str(getattr(type_, "name", "") or "").lower()
    array = bool(getattr(type_, "array", False))
    return orm.lookup == "contains" and (array or "json" in name or name == "hstore")


def _needs_scan(fact: PatternMatchFact) -> bool:
    """True when no btree can serve the pattern: a leading wildcard, or any regex that is
    not a plain anchored prefix (those are handled with the index check)."""
    pattern = fact.pattern
    if fact.operator in ("~", "~*"):
        return pattern is not None
    return pattern is not None and pattern[:1] in ("%", "_")


def _prefix_regex(fact: PatternMatchFact) -> bool:
    """``col ~ '^abc'``: a case-sensitive regex anchored to a literal prefix."""
    pattern = fact.pattern or ""
    return (
        fact.operator == "~"
        and fact.wrapped is None
        and pattern.startswith("^")
        and len(pattern) > 1
        and pattern[1] not in _REGEX_META
    )


def _trigram(index: Index, fact: PatternMatchFact) -> bool:
    for key in index.keys:
        if (key.opclass or "").lower() not in _TRIGRAM_OPCLASSES:
            continue
        if fact.wrapped is None and key.column == fact.column:
            return True
        expression = key.expression.lower().replace(" ", "")
        if fact.wrapped is not None and f"{fact.wrapped}({fact.column})" in expression:
            return True
    return False


def _pattern_btree(index: Index, column: str) -> bool:
    if index.method != "btree" or not index.keys or index.keys[0].column != column:
        return False
    key = index.keys[0]
    return (key.opclass or "").lower() in _PATTERN_OPCLASSES or key.collation in ("C", "POSIX")


def _describe(fact: PatternMatchFact) -> str:
    pattern = fact.pattern or ""
    if fact.origin == RAW_SQL:  # the driver's ``%%`` is one ``%``
        pattern = pattern.replace("%%", "%")
    if fact.operator in ("~", "~*"):
        return f"regular expression `'{pattern}'`"
    return f"pattern `'{pattern}{'…' if pattern in ('%', '_') else ''}'`"


def _advice(fact: PatternMatchFact, ctx: RuleContext) -> str:
    columns = {
        (other.table, other.column)
        for other in ctx.unit_facts
        if isinstance(other, PatternMatchFact)
        and other.statement_span == fact.statement_span
        and not other.negated
        and _needs_scan(other)
    }
    if len(columns) >= _MANY_FIELDS:
        return (
            f"this statement searches {len(columns)} columns: a `tsvector` over them with a GIN "
            "index, or a search engine such as Elasticsearch for facets, synonyms and relevance"
        )
    words = (fact.pattern or "").strip("%_ ")
    if fact.operator not in ("~", "~*") and " " in words:
        return (
            "to match words, use full-text search (`tsvector` + GIN index, "
            "`websearch_to_tsquery`); for substrings, a `pg_trgm` GIN index"
        )
    return "add a `pg_trgm` GIN index (`gin_trgm_ops`) on it"
