"""The intermediate representation shared by front-ends, the catalog and the rule packs.

Everything here is a frozen dataclass. Spans are ``str`` offsets into the host document (the
``.sql`` file, or the Python file that embeds the SQL), end exclusive.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class Span:
    start: int
    end: int

    def contains(self, offset: int) -> bool:
        return self.start <= offset < self.end


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A document to analyse: its workspace-relative POSIX path and full text."""

    path: str
    text: str

    @property
    def language(self) -> str:
        lowered = self.path.lower()
        if lowered.endswith(".sql"):
            return "sql"
        if is_python(lowered):
            return "python"
        if lowered.endswith(".toml"):
            return "toml"
        return "other"


def is_python(path: str) -> bool:
    """Whether ``path`` names a Python source (``.py``, or a ``.pyi`` stub)."""
    return path.lower().endswith((".py", ".pyi"))


# Origins name the front-end that produced a fact, so one rule can speak the right framework.
SQL_FILE = "sql-file"
RAW_SQL = "raw-sql"
ALEMBIC = "alembic"
DJANGO = "django"
DJANGO_MIGRATION = "django-migration"
SQLALCHEMY = "sqlalchemy"


@dataclass(frozen=True, slots=True)
class QualifiedName:
    """A possibly schema-qualified object name, already case-folded as Postgres would."""

    name: str
    schema: str | None = None

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True, slots=True)
class Fact:
    """Base of every fact: where it is and which front-end saw it."""

    span: Span
    origin: str


# --- statement level -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementFact(Fact):
    """One statement of a unit, parsed or not; used for coverage and transaction context."""

    kind: str  # upper-case leading keywords, e.g. "CREATE TABLE", "SET", "BEGIN"
    parsed: bool
    in_transaction: bool = False


# The start of every message about a failure of dbsense itself (never the user's input).
INTERNAL_ERROR = "dbsense could not analyse this file"


@dataclass(frozen=True, slots=True)
class ParseErrorFact(Fact):
    message: str
    unsupported: bool = (
        False  # valid Postgres our parser does not support: "not analysed", not an error
    )


@dataclass(frozen=True, slots=True)
class SettingFact(Fact):
    """``SET [LOCAL] name = value`` (search_path, lock_timeout, statement_timeout...)."""

    name: str
    value: str
    local: bool = False


# --- DDL ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A column type as written (``raw``) and in Postgres spelling (``name``, e.g. ``integer``)."""

    name: str
    raw: str
    span: Span
    args: tuple[str, ...] = ()
    array: bool = False


@dataclass(frozen=True, slots=True)
class ForeignKeyDef:
    columns: tuple[str, ...]
    ref_table: QualifiedName
    ref_columns: tuple[str, ...]
    name: str | None = None
    not_valid: bool = False
    on_delete: str | None = None


@dataclass(frozen=True, slots=True)
class ColumnDef:
    name: str
    name_span: Span
    type: TypeRef | None
    span: Span
    nullable: bool = True
    default: str | None = None
    primary_key: bool = False
    unique: bool = False
    identity: bool = False
    generated: bool = False
    references: ForeignKeyDef | None = None
    check: str | None = None


@dataclass(frozen=True, slots=True)
class ConstraintDef:
    """A table constraint. ``kind`` is ``primary-key``, ``unique``, ``check``, ``foreign-key`` or
    ``exclude``."""

    kind: str
    span: Span
    name: str | None = None
    columns: tuple[str, ...] = ()
    foreign_key: ForeignKeyDef | None = None
    expression: str | None = None
    not_valid: bool = False
    using_index: str | None = None
    include: tuple[str, ...] = ()  # INCLUDE columns of a PK/UNIQUE constraint


@dataclass(frozen=True, slots=True)
class CreateTableFact(Fact):
    table: QualifiedName
    name_span: Span
    columns: tuple[ColumnDef, ...] = ()
    constraints: tuple[ConstraintDef, ...] = ()
    temporary: bool = False
    if_not_exists: bool = False
    partition_of: QualifiedName | None = None
    partitioned: bool = False
    like: tuple[QualifiedName, ...] = ()  # ``(LIKE other ...)``: columns copied from ``other``
    # Where a new first element (column) is inserted, and the separator written after it.
    element_insert_at: int | None = None
    element_separator: str = ", "


@dataclass(frozen=True, slots=True)
class IndexKey:
    """One key of an index: a plain column (``column`` set) or an expression (normalised SQL)."""

    expression: str
    column: str | None = None
    opclass: str | None = None
    collation: str | None = None
    descending: bool = False
    nulls_first: bool | None = None
    label: str | None = None  # the column name Postgres gives this key (``lower``, ``expr``)


@dataclass(frozen=True, slots=True)
class CreateIndexFact(Fact):
    name: str | None
    table: QualifiedName
    table_span: Span
    keys: tuple[IndexKey, ...]
    unique: bool = False
    concurrently: bool = False
    method: str = "btree"
    include: tuple[str, ...] = ()
    where: str | None = None
    if_not_exists: bool = False
    # Offset just after the ``INDEX`` keyword: where ``CONCURRENTLY`` goes.
    concurrently_insert_at: int | None = None
    table_created_in_unit: bool = False
    function_calls: tuple[str, ...] = ()  # functions called in key expressions and the predicate


@dataclass(frozen=True, slots=True)
class AddColumnFact(Fact):
    table: QualifiedName
    column: ColumnDef
    table_created_in_unit: bool = False


@dataclass(frozen=True, slots=True)
class AddConstraintFact(Fact):
    table: QualifiedName
    constraint: ConstraintDef
    table_created_in_unit: bool = False


@dataclass(frozen=True, slots=True)
class UnitFacts:
    """All facts of one document, in source order, plus what the document says about itself."""

    path: str
    facts: tuple[Fact, ...] = ()
    statements: int = 0
    analysed_statements: int = 0
    suppressions: tuple[Suppression, ...] = field(default=())
    # Migration ordering (analyzers/migrations.py). Graph-ordered units (Alembic revisions,
    # Django migrations) set ``unit_id`` (``"ae1027a6acf"``, ``"shop.0002_order"``) and the ids
    # they come after; a schema dump (``pg_dump --schema-only``, ``structure.sql``) is replayed
    # first as the baseline.
    unit_id: str | None = None
    depends_on: tuple[str, ...] = ()
    dump: bool = False
    # Django: the migrations a squashed migration stands for (``replaces``), and those that must
    # come after this one (``run_before``), as unit ids.
    replaces: tuple[str, ...] = ()
    run_before: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SuppressedCode:
    selector: str
    span: Span


@dataclass(frozen=True, slots=True)
class Suppression:
    """A ``noqa`` / ``dbsense: ignore[...]`` / ``dbsense: file-ignore[...]`` comment.

    ``codes`` is empty for a blanket ``noqa``; ``line`` is 0-based; ``span`` is the whole comment.
    """

    line: int
    span: Span
    codes: tuple[SuppressedCode, ...]
    file_level: bool = False


# --- ALTER TABLE sub-commands, DROP (analyzers/sql/alter.py) -----------------------------------
# ``span`` is the whole statement (as for AddColumnFact); ``action_span`` is the sub-command
# (``ALTER COLUMN c TYPE bigint``), or the object name for DROP TABLE / DROP INDEX.


@dataclass(frozen=True, slots=True)
class AlterColumnTypeFact(Fact):
    """``ALTER COLUMN c [SET DATA] TYPE t [USING e]``."""

    table: QualifiedName
    column: str
    action_span: Span
    type: TypeRef | None
    using: str | None = None
    table_created_in_unit: bool = False


@dataclass(frozen=True, slots=True)
class AlterColumnNullFact(Fact):
    """``ALTER COLUMN c SET NOT NULL`` (``not_null``) or ``DROP NOT NULL``.

    ``restated`` marks a framework operation that states the whole column again (Django
    ``AlterField``): it changes nullability only when the column's state just before differs,
    which rules learn from the replayed history."""

    table: QualifiedName
    column: str
    action_span: Span
    not_null: bool
    table_created_in_unit: bool = False
    restated: bool = False


@dataclass(frozen=True, slots=True)
class AlterColumnDefaultFact(Fact):
    """``ALTER COLUMN c SET DEFAULT e`` or ``DROP DEFAULT`` (``default`` is ``None``);
    ``restated`` as for :class:`AlterColumnNullFact`."""

    table: QualifiedName
    column: str
    action_span: Span
    default: str | None
    table_created_in_unit: bool = False
    restated: bool = False


@dataclass(frozen=True, slots=True)
class RenameColumnFact(Fact):
    table: QualifiedName
    column: str
    new_name: str
    action_span: Span
    table_created_in_unit: bool = False


@dataclass(frozen=True, slots=True)
class RenameTableFact(Fact):
    """``ALTER TABLE t RENAME TO n``; ``new_name`` stays in the table's schema."""

    table: QualifiedName
    new_name: str
    action_span: Span
    table_created_in_unit: bool = False


@dataclass(frozen=True, slots=True)
class DropColumnFact(Fact):
    table: QualifiedName
    column: str
    action_span: Span
    cascade: bool = False
    if_exists: bool = False
    table_created_in_unit: bool = False


@dataclass(frozen=True, slots=True)
class ValidateConstraintFact(Fact):
    table: QualifiedName
    name: str
    action_span: Span
    table_created_in_unit: bool = False


@dataclass(frozen=True, slots=True)
class DropConstraintFact(Fact):
    table: QualifiedName
    name: str
    action_span: Span
    cascade: bool = False
    if_exists: bool = False
    table_created_in_unit: bool = False


@dataclass(frozen=True, slots=True)
class DropTableFact(Fact):
    """One table of ``DROP TABLE a, b``; ``action_span`` is the table name."""

    table: QualifiedName
    action_span: Span
    cascade: bool = False
    if_exists: bool = False
    table_created_in_unit: bool = False


@dataclass(frozen=True, slots=True)
class DropIndexFact(Fact):
    """One index of ``DROP INDEX [CONCURRENTLY] a, b``; ``action_span`` is the index name."""

    index: QualifiedName
    action_span: Span
    concurrently: bool = False
    if_exists: bool = False
    cascade: bool = False
    concurrently_insert_at: int | None = None  # just after ``INDEX``


# --- queries (analyzers/sql/queries.py) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryFact(Fact):
    """A top-level ``SELECT``/``INSERT``/``UPDATE``/``DELETE`` (``span`` is the statement);
    ``view`` is set for the query of ``CREATE [MATERIALIZED] VIEW``."""

    kind: str
    tables: tuple[QualifiedName, ...] = ()
    has_where: bool = False
    has_limit: bool = False
    has_order_by: bool = False
    view: QualifiedName | None = None


@dataclass(frozen=True, slots=True)
class SelectStarFact(Fact):
    """``*`` or ``t.*`` in a top-level select list (``span`` is the star item).

    ``table`` is the table the star expands to when that is one known table (``FROM t`` or the
    qualifier's table), ``None`` otherwise."""

    table: QualifiedName | None
    qualifier: str | None = None
    view: QualifiedName | None = None
    statement_span: Span | None = None


@dataclass(frozen=True, slots=True)
class OffsetFact(Fact):
    """``OFFSET`` of a query (``span`` is the offset expression); ``value`` for a literal."""

    value: int | None
    parameter: bool = False
    has_order_by: bool = False


@dataclass(frozen=True, slots=True)
class ComparisonFact(Fact):
    """A filter comparing a column with a value (``span`` is the whole comparison).

    ``operator`` is ``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``, ``IN``, ``BETWEEN``, ``ANY`` or
    ``IS``. ``value_type`` is the value's type as Postgres infers it: ``integer``, ``numeric``,
    ``double precision``, ``boolean``, a cast's type, ``unknown`` for a quoted literal,
    ``null``, or ``None`` when it is not a literal. ``table`` is resolved from the FROM clause
    (aliases included), ``None`` when ambiguous."""

    table: QualifiedName | None
    column: str
    column_span: Span
    operator: str
    value: str
    value_span: Span
    value_type: str | None = None
    negated: bool = False


# --- catalog objects besides tables (analyzers/sql/ddl.py, analyzers/sql/commands.py) ---------


@dataclass(frozen=True, slots=True)
class CreateSchemaFact(Fact):
    name: str
    if_not_exists: bool = False


@dataclass(frozen=True, slots=True)
class CreateViewFact(Fact):
    view: QualifiedName
    name_span: Span
    materialized: bool = False
    or_replace: bool = False


@dataclass(frozen=True, slots=True)
class CreateEnumFact(Fact):
    """``CREATE TYPE name AS ENUM (...)``."""

    type: QualifiedName
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddEnumValueFact(Fact):
    """``ALTER TYPE name ADD VALUE 'label'``."""

    type: QualifiedName
    label: str


@dataclass(frozen=True, slots=True)
class CreateDomainFact(Fact):
    domain: QualifiedName
    base_type: str  # as written, e.g. ``integer`` or ``varchar(20)``
    not_null: bool = False
    check: str | None = None


@dataclass(frozen=True, slots=True)
class CreateFunctionFact(Fact):
    """``CREATE [OR REPLACE] FUNCTION|PROCEDURE``; ``volatility`` is ``immutable``, ``stable``
    or ``volatile`` (Postgres' default)."""

    function: QualifiedName
    volatility: str = "volatile"
    language: str | None = None
    procedure: bool = False


@dataclass(frozen=True, slots=True)
class AttachPartitionFact(Fact):
    """``ALTER TABLE parent ATTACH PARTITION child ...`` or ``DETACH PARTITION`` (``attach``
    false)."""

    table: QualifiedName
    partition: QualifiedName
    attach: bool = True
    index: bool = False  # ``ALTER INDEX parent ATTACH PARTITION child`` (names are indexes)


@dataclass(frozen=True, slots=True)
class AddIdentityFact(Fact):
    """``ALTER TABLE t ALTER COLUMN c ADD GENERATED {ALWAYS|BY DEFAULT} AS IDENTITY``."""

    table: QualifiedName
    column: str


@dataclass(frozen=True, slots=True)
class RenameIndexFact(Fact):
    """``ALTER INDEX i RENAME TO n``; ``new_name`` stays in the index's schema."""

    index: QualifiedName
    new_name: str


# --- Python: ORM models and access patterns (analyzers/python) -------------------------------
# Attribute paths are dotted (``customer.address``) for both Django and SQLAlchemy.


@dataclass(frozen=True, slots=True)
class RelationDef:
    """A relation attribute of a model. ``kind`` is ``forward`` (Django FK), ``one-to-one``,
    ``reverse`` (the other side of a Django FK), ``many-to-many`` or ``relationship``
    (SQLAlchemy). ``lazy`` is SQLAlchemy's loading strategy (``select`` for Django)."""

    attr: str
    kind: str
    target: str  # qualified (or, when unresolved, plain) class name of the related model
    many: bool = False
    lazy: str = "select"
    span: Span | None = None
    reverse_name: str | None = None  # Django accessor added to ``target`` (``None``: none)


@dataclass(frozen=True, slots=True)
class ModelFact(Fact):
    """An ORM model class (``span`` is the class name); ``origin`` is ``django`` or
    ``sqlalchemy``. ``related_name`` pairs give the reverse accessors Django adds to targets."""

    qualified: str
    table: QualifiedName | None
    fields: tuple[str, ...] = ()
    relations: tuple[RelationDef, ...] = ()
    bases: tuple[str, ...] = ()
    abstract: bool = False
    # (attribute, column) of every column the model maps, in declaration order: Django's
    # implicit ``id`` and ``<fk>_id`` attributes included.
    columns: tuple[tuple[str, str], ...] = ()
    deferred: tuple[str, ...] = ()  # attributes not loaded with the row (SQLAlchemy deferral)


@dataclass(frozen=True, slots=True)
class AttributeAccess:
    """Attributes read from a root variable: ``order.customer.name`` is ``("customer", "name")``;
    ``method`` is a call on the last attribute (``order.items.count()`` -> ``count``)."""

    attrs: tuple[str, ...]
    span: Span
    method: str | None = None


@dataclass(frozen=True, slots=True)
class CallSite:
    """A call to a workspace function or method. ``arguments`` holds ``(parameter position,
    caller variable, attribute path)`` for each argument read from a tracked variable (a loop
    variable or a parameter); ``innermost`` is False when a nested loop runs the call."""

    callee: str  # qualified name
    span: Span
    arguments: tuple[tuple[int, str, tuple[str, ...]], ...] = ()
    innermost: bool = True


@dataclass(frozen=True, slots=True)
class QueryCall:
    """A call that talks to the database (``Customer.objects.get()``, ``session.get()``,
    ``cursor.execute()``); ``depends`` is True when it reads the loop variable."""

    description: str
    span: Span
    framework: str
    depends: bool = True
    batch_hint: str | None = None


@dataclass(frozen=True, slots=True)
class QuerySource:
    """What a loop iterates when it is an ORM query: the model, the eager-loaded paths, and
    where a fix adds eager loading (``insert_at``) and its import (``import_at``)."""

    framework: str
    model: str
    eager: tuple[str, ...] = ()
    select_all: bool = False  # Django ``select_related()`` without arguments
    rows_are_values: bool = False  # ``values()`` / ``values_list()`` / column selects
    iterator: bool = False  # Django ``.iterator()`` (defeats ``prefetch_related``)
    insert_at: int | None = None
    import_at: int | None = None
    loader_names: tuple[tuple[str, str], ...] = ()  # ("selectinload", local name) in scope
    bounded: bool = False  # sliced, limited, paginated, streamed or filtered on a key
    query_span: Span | None = None  # the query expression the loop iterates
    restricted: bool = False  # loads only some columns: ``only``/``defer``, ``load_only``...


@dataclass(frozen=True, slots=True)
class LoopFact(Fact):
    """A loop (``span`` is its header) with what runs per pass: attribute paths read from the
    loop variable (aliases and nested loops over its relations included), workspace calls, and
    the direct queries whose innermost loop it is.

    ``kind`` says what iterates the rows: ``loop`` (``for``, ``while``, a comprehension, a
    lambda run per element), ``list`` (``list(qs)``, ``tuple``, ``set``, ``sorted``),
    ``template`` (a queryset in a template context), ``serializer`` (DRF ``many=True``) or
    ``list-view`` (a DRF list view's ``queryset``; ``function`` is then the view class and
    ``pagination`` its ``pagination_class``: ``None`` when it inherits
    ``DEFAULT_PAGINATION_CLASS``, ``""`` when set to ``None``). ``rows_escape`` is True when
    the loop variable is used other than by reading attributes (passed on, stored, returned)
    or the query's rows are used elsewhere too, so the attributes read are not all visible."""

    variable: str | None
    source: QuerySource | None
    accesses: tuple[AttributeAccess, ...] = ()
    calls: tuple[CallSite, ...] = ()
    queries: tuple[QueryCall, ...] = ()
    function: str | None = None  # qualified name of the enclosing function
    request_kind: str | None = None
    kind: str = "loop"
    pagination: str | None = None
    rows_escape: bool = False


@dataclass(frozen=True, slots=True)
class FunctionFact(Fact):
    """A workspace function or method (``span`` is its name) summarised for callers in loops:
    paths read from each parameter, queries it runs, and calls it makes."""

    qualified: str
    params: tuple[str, ...]
    accesses: tuple[tuple[int, AttributeAccess], ...] = ()
    calls: tuple[CallSite, ...] = ()
    queries: tuple[QueryCall, ...] = ()
    is_property: bool = False


@dataclass(frozen=True, slots=True)
class DynamicSqlFact(Fact):
    """SQL built at run time (``style``: ``f-string``, ``%``, ``+`` or ``.format``) and passed
    to ``call``; ``fix_text`` replaces ``fix_span`` with the parameterized form when known."""

    style: str
    call: str
    fix_text: str | None = None
    fix_span: Span | None = None


@dataclass(frozen=True, slots=True)
class FrameworkFixFact(Fact):
    """A migration framework's own remedy for the operation at ``span`` (e.g. ``purpose``
    ``concurrently``: Alembic's ``autocommit_block()`` + ``postgresql_concurrently=True``,
    Django's ``AddIndexConcurrently`` + ``atomic = False``); rules offer it as their fix."""

    purpose: str
    title: str
    edits: tuple[tuple[Span, str], ...]


@dataclass(frozen=True, slots=True)
class ConnectionSetupFact(Fact):
    """An engine, pool or connection created in code (``span`` is the call): ``kind`` is e.g.
    ``create_engine``, ``psycopg.connect``, ``ConnectionPool`` or ``django-databases`` (a
    ``DATABASES`` setting). Pool sizes are the literal values, ``None`` when left default."""

    kind: str
    function: str | None = None  # enclosing function, ``None`` at module scope
    request_kind: str | None = None
    guarded: bool = False  # cached, factory, ``if _engine is None`` guard, or test code
    pool_size: int | None = None
    max_overflow: int | None = None
    null_pool: bool = False
    port: int | None = None
    driver: str | None = None  # SQLAlchemy URL driver: ``psycopg2``, ``psycopg``, ``asyncpg``...


@dataclass(frozen=True, slots=True)
class DeploymentFact(Fact):
    """Process and thread counts of an app server config (``gunicorn.conf.py``)."""

    workers: int | None = None
    threads: int | None = None


@dataclass(frozen=True, slots=True)
class CountForExistenceFact(Fact):
    """``qs.count() > 0`` or ``len(qs) > 0`` (``kind`` ``count``/``len``) testing whether rows
    exist; ``replacement`` is the ``.exists()`` form of the whole comparison, when known."""

    kind: str
    query: str
    replacement: str | None = None


# --- end of Python facts ---


# --- client calls: redis-py, pymongo, elasticsearch-py ---------------------------------------

REDIS_PY = "redis-py"
PYMONGO = "pymongo"
ELASTICSEARCH_PY = "elasticsearch-py"


@dataclass(frozen=True, slots=True)
class CallPlace:
    """Where a client call runs: loops around it, the function, whether it serves requests."""

    in_loop: bool = False
    loop_dependent: bool = False  # the key/filter/document reads a loop variable
    loop_bound: int | None = None  # items of the innermost loop when literal, else None
    loop_exits_early: bool = False  # the innermost loop has a ``break``/``return``
    function: str | None = None
    request_kind: str | None = None


@dataclass(frozen=True, slots=True)
class ClientCreationFact(Fact):
    """A client or pool constructed: ``Redis()``, ``MongoClient()``, ``Elasticsearch()``."""

    engine: str  # "redis" | "mongo" | "es"
    constructor: str  # qualified name
    place: CallPlace
    shared_pool: bool = False  # ``Redis(connection_pool=pool)``


@dataclass(frozen=True, slots=True)
class RedisCommandFact(Fact):
    """A redis-py command call (``span`` is the call)."""

    command: str  # lower-case method name: "get", "keys", "execute_command:KEYS"...
    key: str | None  # literal key; f-strings become glob patterns (``cache:{id}`` -> ``cache:*``)
    place: CallPlace
    pipeline: bool = False
    keywords: tuple[str, ...] = ()
    method_span: Span | None = None  # from the method name to the end of the call
    pattern_source: str | None = None  # source of the first argument
    insert_keyword_at: int | None = None  # after the last argument
    batch_span: Span | None = None  # ``[r.get(k) for k in ks]``: the whole comprehension
    batch_keys: str | None = None  # ... and ``[k for k in ks]``
    receiver: str | None = None  # source of the client expression


@dataclass(frozen=True, slots=True)
class RedisPipelineLoopFact(Fact):
    """Commands queued on a pipeline inside a loop (``span`` is the first queued call)."""

    pipeline: str
    loop_bound: int | None
    executes_in_loop: bool
    iterable: str  # source of the loop's iterable


@dataclass(frozen=True, slots=True)
class MongoRegexFact(Fact):
    """A regular expression in a pymongo filter (``span`` is the pattern expression)."""

    pattern: str | None  # None when not a literal
    insert_at: int | None  # offset after the opening quote, for an anchor
    collection: str | None = None


@dataclass(frozen=True, slots=True)
class MongoArrayPushFact(Fact):
    """``$push``/``$addToSet`` of one field in an update (``span`` is the field's value)."""

    operator: str
    field: str
    bounded: bool  # ``$each`` with ``$slice``
    literal: bool  # the pushed value is a literal
    value_source: str
    collection: str | None = None


@dataclass(frozen=True, slots=True)
class MongoCallFact(Fact):
    """A pymongo collection method call (``span`` is the call)."""

    method: str
    collection: str | None
    place: CallPlace
    chain: tuple[str, ...] = ()  # cursor methods chained after ``find``
    materialised: bool = False  # ``list(...)``, a list comprehension, ``to_list``, returned
    has_projection: bool = False
    filter_fields: tuple[str, ...] = ()
    index_specs: tuple[str, ...] = ()  # create_index[es]: normalised key specs


@dataclass(frozen=True, slots=True)
class EsCallFact(Fact):
    """An elasticsearch-py call (``span`` is the call)."""

    method: str  # "search", "index", "indices.create", "helpers.bulk"...
    index: str | None
    place: CallPlace
    keywords: tuple[str, ...] = ()
    from_value: int | None = None
    size_value: int | None = None
    unclamped_from: bool = False  # ``from_`` computed from a variable without ``min``
    search_after: bool = False
    scroll: bool = False
    refresh: object = None  # literal ``refresh=`` value
    refresh_span: Span | None = None
    dynamic_document: str | None = None  # why the document has data-derived keys
    mapping_dynamic: object = None  # ``indices.create(mappings={"dynamic": ...})``
    total_fields_limit: int | None = None  # raised by settings


@dataclass(frozen=True, slots=True)
class EsPatternFact(Fact):
    """A ``wildcard``/``regexp``/``query_string`` pattern in a query DSL dict."""

    query: str
    field: str | None
    pattern: str


# --- pattern filters and column references (analyzers/sql/queries.py, analyzers/sql/ddl.py) ---


@dataclass(frozen=True, slots=True)
class PatternMatchFact(Fact):
    """A pattern filter on a column (``span`` is the whole predicate).

    ``operator`` is ``LIKE``, ``ILIKE``, ``~``, ``~*`` or ``SIMILAR TO``. ``pattern`` is the
    literal pattern, or the literal text a concatenation starts with (``'%' || $1 || '%'`` gives
    ``%``); ``None`` when it starts with a parameter or an expression. ``wrapped`` names a
    function around the column (``lower(name) LIKE ...``). ``statement_span`` groups the
    patterns of one statement."""

    table: QualifiedName | None
    column: str
    column_span: Span
    operator: str
    pattern: str | None
    negated: bool = False
    wrapped: str | None = None
    statement_span: Span | None = None


@dataclass(frozen=True, slots=True)
class ColumnRefFact(Fact):
    """A column that a DDL statement names on a known table (``span`` is the name as written):
    ``context`` is ``index`` (key, key expression, INCLUDE or predicate)."""

    table: QualifiedName
    column: str
    context: str = "index"


# --- pymongo aggregation stages (analyzers/python/pymongo.py) ---------------------------------


@dataclass(frozen=True, slots=True)
class MongoLookupFact(Fact):
    """A ``$lookup`` stage of an ``aggregate`` pipeline (``span`` is the stage dict)."""

    collection: str | None  # the collection aggregated
    from_collection: str | None  # the literal ``from``; None when computed or absent
    place: CallPlace
    stage: int = 0  # position in the pipeline


# --- constant reads on the request path (analyzers/python/constant_reads.py) -----------------


@dataclass(frozen=True, slots=True)
class ConstantReadFact(Fact):
    """A read query whose every argument is a literal, run by a request handler (``span`` is
    the query expression): ``query`` is its normalised text, the same for equal queries."""

    query: str
    model: str | None  # the Django model read, ``None`` for raw SQL
    function: str
    request_kind: str
    cached: bool = False  # the handler is cached or reads a cache itself
    written: bool = False  # the module writes the model (create/update/delete/save)


# --- ORM pagination and pattern lookups (analyzers/python/pagination.py, lookups.py) ----------


@dataclass(frozen=True, slots=True)
class OrmOffsetFact(Fact):
    """ORM pagination that sends ``OFFSET`` (``span`` is the offset as written, or the pagination
    class or call). ``kind`` is ``slice`` (Django ``qs[a:b]``), ``offset`` (SQLAlchemy
    ``.offset(x)``), ``paginator`` (Django ``Paginator``), ``drf`` (DRF page-number or
    limit-offset pagination, ``name`` the class) or ``drf-default`` (the same named by the
    ``DEFAULT_PAGINATION_CLASS`` setting). ``value`` is a literal offset."""

    kind: str
    name: str
    value: int | None = None
    has_order_by: bool = False


@dataclass(frozen=True, slots=True)
class OrmComparisonFact(Fact):
    """A SQLAlchemy column compared with a Python number (``span`` is the comparison):
    ``Model.attr == 10.5``, ``.in_([...])``, ``.between(a, b)``, ``filter_by(attr=...)``.
    ``model`` is the class as qualified in the module; ``value_kind`` is the literal's Python
    type (``int``, ``float`` or ``decimal``) and ``value`` its text as the driver inlines it
    (``Decimal("10.0")`` is ``10.0``)."""

    model: str
    attr: str
    operator: str
    value: str
    value_span: Span
    value_kind: str


@dataclass(frozen=True, slots=True)
class DrfSettingsFact(Fact):
    """A settings module's ``REST_FRAMEWORK`` dict (``span`` is its assignment): the dotted
    ``DEFAULT_PAGINATION_CLASS`` (``None`` when unset or ``None``) and whether ``PAGE_SIZE`` is
    set to a page size (a non-literal value counts as set)."""

    pagination_class: str | None = None
    page_size: bool = False


@dataclass(frozen=True, slots=True)
class OrmPatternFact(Fact):
    """An ORM substring or regex filter (``span`` is the lookup as written): Django
    ``field__icontains=...`` or SQLAlchemy ``Model.col.ilike(...)``. ``model`` is the model class
    as qualified in the module, ``lookup`` the Django lookup or SQLAlchemy method, ``operator``
    and ``wrapped`` the SQL it becomes (``LIKE`` on ``upper(col)`` for ``icontains``), and
    ``pattern`` the literal pattern start (``%`` for ``contains``), ``None`` when unknown."""

    model: str
    field: str
    lookup: str
    operator: str
    pattern: str | None
    wrapped: str | None = None


@functools.cache
def field_names(cls: type) -> tuple[str, ...]:
    """The field names of dataclass ``cls`` in order, looked up once per class."""
    return tuple(item.name for item in fields(cls))


@functools.cache
def field_setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """Per field of dataclass ``cls``, in ``field_names`` order, the function that stores it:
    its slot descriptor's ``__set__`` (25% faster than ``object.__setattr__`` by name, and it
    works on frozen classes too), else a by-name ``object.__setattr__``."""
    return tuple(
        slot.__set__
        if isinstance(slot := getattr(cls, name, None), types.MemberDescriptorType)
        else functools.partial(_set_by_name, name=name)
        for name in field_names(cls)
    )


def _set_by_name(instance: object, value: object, *, name: str) -> None:
    object.__setattr__(instance, name, value)
