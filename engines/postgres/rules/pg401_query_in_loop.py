from collections.abc import Iterator
from dataclasses import dataclass

from dbsense.analyzers.ir import (
    DJANGO,
    AttributeAccess,
    CallSite,
    FunctionFact,
    LoopFact,
    QueryCall,
    QuerySource,
    RelationDef,
    Span,
)
from dbsense.analyzers.python.index import Located, PythonIndex
from dbsense.analyzers.python.sqlalchemy import eager_lazy
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Related,
    Rule,
    RuleContext,
)
from dbsense.engines.postgres.orm import python_index

MAX_DEPTH = 3
# Methods of a prefetched Django related manager answered from the prefetch cache.
_CACHED = {None, "all", "count", "exists"}
_FOLLOWED_AS_ALIAS = "__iter__"


@dataclass(frozen=True, slots=True)
class _Lazy:
    """A relation read per row: the dotted path from the loop's model and the relation."""

    path: str
    relation: RelationDef
    owner: str  # the model that declares the relation's attribute
    method: str | None
    fixable: bool
    many: bool  # a collection anywhere on the path: Django needs prefetch_related


class QueryInLoop(Rule):
    """## What it does
    Flags database round trips made once per pass of a loop: a lazy relation read on each row
    of a queryset or select (the N+1 pattern), a related-manager query per row, and queries
    such as `Model.objects.get()`, `session.get()` or `cursor.execute()` inside the loop body.
    Loops are `for` and `while` statements, comprehensions, and lambdas run once per element:
    `map(lambda o: ..., rows)`, `filter(...)`, and `sorted`/`min`/`max`/`.sort()` with a `key`
    lambda. It follows the loop into functions and methods of the workspace that the body
    calls, in the same file or another module, and names the chain.

    ## Why is this bad?
    Each round trip costs a network hop, a parse/plan/execute cycle and a connection held for
    its duration. A page listing 200 orders that reads `order.customer.name` runs 201 queries
    where one join (or two queries with an `IN` list) would do. The cost grows with the data,
    so it passes review with ten rows in development and times out in production.

    Eager loading fetches the related rows for the whole result at once: a join for
    many-to-one relations, or one extra `WHERE id = ANY(...)` query per relation for
    collections. A query that does not depend on the loop variable can simply run once, before
    the loop.

    ## Example
    ```python
    from django.db import models


    class Customer(models.Model):
        name = models.TextField()


    class Order(models.Model):
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE)


    def report():
        for order in Order.objects.all():
            print(order.customer.name)
    ```

    Use instead:
    ```python
    from django.db import models


    class Customer(models.Model):
        name = models.TextField()


    class Order(models.Model):
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE)


    def report():
        for order in Order.objects.all().select_related("customer"):
            print(order.customer.name)
    ```

    ## Django
    Forward `ForeignKey` and `OneToOneField` reads need `select_related("fk")`; reverse
    relations and `ManyToManyField` need `prefetch_related("items")`, after which `.all()`,
    `.count()` and `.exists()` on the manager are answered from the prefetch cache (but
    `.filter()` still queries). `.iterator()` without `chunk_size` ignores `prefetch_related`.
    Rows from `values()` / `values_list()` carry no relations and are never flagged.

    Serializers count as loops: a Django REST framework serializer used with `many=True` (or
    as a list view's `serializer_class`) reads its `source="customer.name"` fields, nested
    serializers and `get_<field>` methods once per row.

    ## SQLAlchemy / Alembic
    A `relationship()` with the default `lazy="select"` (or `"dynamic"`) queries on first
    access per row. Add `.options(selectinload(Order.items))` for collections or
    `joinedload(Order.customer)` for many-to-one; `.join()` alone filters but does not populate
    the relationship. Relationships declared `lazy="selectin"`, `"joined"`, `"subquery"` or
    `"raise"` are never flagged.

    ## Fix safety
    The fix is unsafe: eager loading changes the queries issued, may load many more rows
    than the loop reads (when it stops early), and a join can multiply rows in queries that
    also aggregate. It is offered only when the loop's queryset or select is visible in the
    same function; per-id lookups get a batching hint instead.

    ## References
    - https://docs.djangoproject.com/en/stable/ref/models/querysets/#select-related
    - https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html
    """

    code = "PG401"
    name = "query-in-loop"
    summary = "A query or lazy relation read runs once per loop pass (N+1)"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("access-pattern", "performance", "orm")
    consumes = (LoopFact,)
    peers = ("nplusone", "bullet")

    def check(self, fact: LoopFact, ctx: RuleContext) -> Iterator[Finding]:
        index = python_index(ctx)
        seen: set[tuple[int, str]] = set()
        for query in fact.queries:
            yield _query_finding(query)
        source = fact.source
        if source is not None and source.model and not source.rows_are_values and fact.variable:
            for access in fact.accesses:
                yield from self._access(index, fact, source, access, seen)
        for call in fact.calls:
            yield from self._call(index, fact, call, seen)

    # --- relation reads on the loop variable -----------------------------------------------

    def _access(
        self,
        index: PythonIndex,
        fact: LoopFact,
        source: QuerySource,
        access: AttributeAccess,
        seen: set[tuple[int, str]],
    ) -> Iterator[Finding]:
        lazy = _first_lazy(index, source, access.attrs, access.method)
        if lazy is not None:
            key = (0, lazy.path)
            if key not in seen:
                seen.add(key)
                yield self._lazy_finding(fact, source, lazy, access.span, ())
            return
        if access.method is not None:
            model = _model_at(index, source.model, access.attrs)
            method = index.method(model, access.method) if model else None
            if method is not None:
                bindings = {0: access.attrs}
                yield from self._function(index, fact, method, bindings, access.span, (), seen, 1)
        elif access.attrs:
            model = _model_at(index, source.model, access.attrs[:-1])
            prop = index.method(model, access.attrs[-1]) if model else None
            if prop is not None and prop.fact.is_property:  # type: ignore[union-attr]
                bindings = {0: access.attrs[:-1]}
                yield from self._function(index, fact, prop, bindings, access.span, (), seen, 1)

    # --- calls into workspace functions ----------------------------------------------------

    def _call(
        self, index: PythonIndex, fact: LoopFact, call: CallSite, seen: set[tuple[int, str]]
    ) -> Iterator[Finding]:
        target = index.function(call.callee)
        if target is None:
            return
        bindings = {
            position: path
            for position, variable, path in call.arguments
            if variable == fact.variable
        }
        if not call.innermost and not bindings:
            return
        yield from self._function(
            index, fact, target, bindings, call.span, (), seen, 1, call.innermost
        )

    def _function(
        self,
        index: PythonIndex,
        fact: LoopFact,
        target: Located,
        bindings: dict[int, tuple[str, ...]],
        span: Span,
        chain: tuple[Located, ...],
        seen: set[tuple[int, str]],
        depth: int,
        innermost: bool = True,
    ) -> Iterator[Finding]:
        function = target.fact
        assert isinstance(function, FunctionFact)
        chain = (*chain, target)
        if innermost and function.queries:
            key = (span.start, "query")
            if key not in seen:
                seen.add(key)
                query = function.queries[0]
                yield Finding(
                    span,
                    f"{_chain_text(chain)} runs `{query.description}` on every pass of the loop",
                    related=(Related(target.path, query.span, "the query runs here"),),
                )
        source = fact.source
        if source is not None and source.model and not source.rows_are_values and bindings:
            for position, access in function.accesses:
                if position not in bindings:
                    continue
                attrs = bindings[position] + access.attrs
                lazy = _first_lazy(index, source, attrs, access.method)
                if lazy is None:
                    continue
                key = (0, lazy.path)
                if key in seen:
                    continue
                seen.add(key)
                related = (Related(target.path, access.span, "the relation is read here"),)
                yield self._lazy_finding(fact, source, lazy, span, chain, related)
        if depth >= MAX_DEPTH:
            return
        params = function.params
        for call in function.calls:
            inner = index.function(call.callee)
            if inner is None or inner.fact is function:
                continue
            inner_bindings = {
                position: bindings[params.index(variable)] + path
                for position, variable, path in call.arguments
                if variable in params and params.index(variable) in bindings
            }
            if not inner_bindings and not innermost:
                continue
            yield from self._function(
                index, fact, inner, inner_bindings, span, chain, seen, depth + 1, innermost
            )

    # --- findings --------------------------------------------------------------------------

    def _lazy_finding(
        self,
        fact: LoopFact,
        source: QuerySource,
        lazy: _Lazy,
        span: Span,
        chain: tuple[Located, ...],
        related: tuple[Related, ...] = (),
    ) -> Finding:
        model = _class(source.model)
        read = f"`{fact.variable}.{_display_path(source, lazy)}"
        read += f".{lazy.method}()`" if lazy.method and lazy.relation.many else "`"
        via = f" (via {_chain_text(chain)})" if chain else ""
        remedy = _remedy(source, lazy)
        message = f"{read}{via} runs a query for every `{model}` row of the loop; {remedy}"
        fix = _fix(source, lazy) if lazy.fixable else None
        return Finding(span, message, fix, related)


def _query_finding(query: QueryCall) -> Finding:
    message = f"`{query.description}` runs a query on every pass of the loop"
    if not query.depends:
        message += "; it does not depend on the loop variable, so run it once before the loop"
    elif query.batch_hint:
        message += f"; batch it: {query.batch_hint}"
    return Finding(query.span, message)


def _first_lazy(
    index: PythonIndex, source: QuerySource, attrs: tuple[str, ...], method: str | None
) -> _Lazy | None:
    """The first relation on ``attrs`` (read from a row of ``source``) that loads per row."""
    current = source.model
    path: list[str] = []
    many = False
    for position, attr in enumerate(attrs):
        relation = index.relation(current, attr)
        if relation is None:
            return None
        path.append(attr)
        many = many or relation.many
        last = position == len(attrs) - 1
        step_method = method if last else _FOLLOWED_AS_ALIAS
        if _loads_per_row(source, relation, ".".join(path), step_method):
            if source.framework == DJANGO:
                fixable = not source.iterator and (step_method in _CACHED or not last)
            else:
                fixable = len(path) == 1 and relation.lazy not in ("dynamic", "write_only")
            shown = method if last else None
            return _Lazy(".".join(path), relation, current, shown, fixable, many)
        current = relation.target
    return None


def _loads_per_row(
    source: QuerySource, relation: RelationDef, dotted: str, method: str | None
) -> bool:
    eager = dotted in source.eager
    if source.framework == DJANGO:
        if not relation.many:
            return not (eager or (source.select_all and relation.kind == "forward"))
        if method is None:
            return False  # the manager object itself runs nothing
        if method == _FOLLOWED_AS_ALIAS:
            return False  # iterated: reported on the `.all()` that iterates it
        return not (eager and not source.iterator and method in _CACHED)
    if relation.lazy in ("dynamic", "write_only"):
        return method is not None
    if eager_lazy(relation.lazy):
        return False
    return not eager


def _model_at(index: PythonIndex, model: str, attrs: tuple[str, ...]) -> str | None:
    current = model
    for attr in attrs:
        relation = index.relation(current, attr)
        if relation is None:
            return None
        current = relation.target
    return current


def _remedy(source: QuerySource, lazy: _Lazy) -> str:
    if source.framework == DJANGO:
        lookup = lazy.path.replace(".", "__")
        if lazy.many:
            if lazy.method not in _CACHED:
                return (
                    f"`.{lazy.method}()` on a related manager always queries; prefetch with "
                    f'`Prefetch("{lookup}", queryset=..., to_attr=...)` and filter in Python'
                )
            return f'add `prefetch_related("{lookup}")` to the queryset'
        return f'add `select_related("{lookup}")` to the queryset'
    if lazy.relation.lazy in ("dynamic", "write_only"):
        return (
            f'`{lazy.relation.attr}` is a `lazy="{lazy.relation.lazy}"` relationship that '
            "queries on every use; query the children of all rows at once instead"
        )
    loader = "selectinload" if lazy.relation.many else "joinedload"
    return f"load it with `.options({loader}({_class(lazy.owner)}.{lazy.relation.attr}))`"


def _fix(source: QuerySource, lazy: _Lazy) -> Fix | None:
    at = source.insert_at
    if at is None:
        return None
    if source.framework == DJANGO:
        lookup = lazy.path.replace(".", "__")
        method = "prefetch_related" if lazy.many else "select_related"
        text = f'.{method}("{lookup}")'
        return Fix(f'Add `{method}("{lookup}")`', (Edit(Span(at, at), text),), Applicability.UNSAFE)
    if lazy.relation.lazy in ("dynamic", "write_only"):
        return None
    loader = "selectinload" if lazy.relation.many else "joinedload"
    names = dict(source.loader_names)
    local = names.get(loader, loader)
    edits = [Edit(Span(at, at), f".options({local}({_class(lazy.owner)}.{lazy.relation.attr}))")]
    if loader not in names and source.import_at is not None:
        imported = Span(source.import_at, source.import_at)
        edits.insert(0, Edit(imported, f"from sqlalchemy.orm import {loader}\n"))
    title = f"Add `.options({loader}({_class(lazy.owner)}.{lazy.relation.attr}))`"
    return Fix(title, tuple(edits), Applicability.UNSAFE)


def _display_path(source: QuerySource, lazy: _Lazy) -> str:
    """``items[].product`` for a relation read on each element of a collection."""
    if "." not in lazy.path or not lazy.many:
        return lazy.path
    head, _, tail = lazy.path.rpartition(".")
    return f"{head.replace('.', '[].')}[].{tail}"


def _chain_text(chain: tuple[Located, ...]) -> str:
    steps = []
    for located in chain:
        function = located.fact
        assert isinstance(function, FunctionFact)
        if function.qualified.endswith(".__rows__"):  # a DRF serializer's per-row fields
            steps.append(f"serializer `{_class(function.qualified[: -len('.__rows__')])}`")
        else:
            steps.append(f"`{_short(function.qualified)}()` in {located.path}")
    return " -> ".join(steps)


def _class(qualified: str) -> str:
    return qualified.rsplit(".", 1)[-1]


def _short(qualified: str) -> str:
    parts = qualified.split(".")
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return ".".join(parts[-2:])
    return parts[-1]
