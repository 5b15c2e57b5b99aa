"""SELECT / INSERT / UPDATE / DELETE trees -> the facts query rules read.

Per statement: one :class:`QueryFact`; a :class:`SelectStarFact` per ``*`` of a top-level select
list; an :class:`OffsetFact` per ``OFFSET``; a :class:`ComparisonFact` per column-versus-value
comparison in a ``WHERE`` (each query level resolves its own FROM aliases); a
:class:`PatternMatchFact` per ``LIKE``/``ILIKE``/regex/``SIMILAR TO`` filter on a column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from dbsense.analyzers.ir import (
    ComparisonFact,
    Fact,
    OffsetFact,
    PatternMatchFact,
    QualifiedName,
    QueryFact,
    SelectStarFact,
    Span,
)
from dbsense.analyzers.sql.ddl import StatementScope, qualified_name
from dbsense.analyzers.sql.types import type_ref

_KINDS = {exp.Select: "SELECT", exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE"}
_OPERATORS = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_PLACEHOLDER_STARTS = ("%", ":", "$", "?")
_PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)s|%s|:[A-Za-z_]\w*|\$\d+|\?")


def query_facts(
    tree: exp.Expression, scope: StatementScope, statement_span: Span
) -> Iterator[Fact]:
    """Facts of a query statement, or of the query inside ``CREATE VIEW``."""
    view = None
    query = tree
    if isinstance(tree, exp.Create) and (tree.args.get("kind") or "").upper() == "VIEW":
        view = qualified_name(tree.this if isinstance(tree.this, exp.Table) else None)
        query = tree.args.get("expression")
    if isinstance(query, exp.Subquery):
        query = query.unnest()
    kind = _kind(query)
    if kind is None or query is None:
        return
    yield QueryFact(
        statement_span,
        scope.origin,
        kind,
        tables=_tables(query),
        has_where=query.args.get("where") is not None,
        has_limit=query.args.get("limit") is not None or query.args.get("fetch") is not None,
        has_order_by=query.args.get("order") is not None,
        view=view,
    )
    if kind == "SELECT" or (view is not None and isinstance(query, exp.SetOperation)):
        for select in _top_level_selects(query):
            yield from _stars(select, scope, view, statement_span)
    for select in query.find_all(exp.Select):
        yield from _offset(select, scope)
    for node in query.find_all(exp.Select, exp.Update, exp.Delete):
        yield from _comparisons(node, scope)
        yield from _patterns(node, scope, statement_span)


def _kind(query: exp.Expression | None) -> str | None:
    if isinstance(query, exp.SetOperation):
        return "SELECT"
    for node_type, kind in _KINDS.items():
        if isinstance(query, node_type):
            return kind
    return None


def _tables(query: exp.Expression) -> tuple[QualifiedName, ...]:
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    names: list[QualifiedName] = []
    for table in query.find_all(exp.Table):
        name = qualified_name(table)
        if name is None or (name.schema is None and name.name in ctes) or name in names:
            continue
        names.append(name)
    return tuple(names)


def _top_level_selects(query: exp.Expression) -> Iterator[exp.Select]:
    if isinstance(query, exp.SetOperation):
        yield from _top_level_selects(query.this)
        yield from _top_level_selects(query.expression)
    elif isinstance(query, exp.Select):
        yield query
    elif isinstance(query, exp.Subquery):
        yield from _top_level_selects(query.this)


def _sources(select: exp.Expression) -> dict[str, QualifiedName]:
    """The tables this query level reads, keyed by alias (or bare name)."""
    sources: dict[str, QualifiedName] = {}
    tables: list[exp.Expression] = []
    if isinstance(select, exp.Update | exp.Delete):
        tables.append(select.this)
    from_ = select.args.get("from_") or select.args.get("from")
    if isinstance(from_, exp.From):
        tables.append(from_.this)
    using = select.args.get("using")
    if isinstance(select, exp.Delete) and using:
        tables.extend(using)
    for join in select.args.get("joins") or ():
        tables.append(join.this)
    for table in tables:
        if not isinstance(table, exp.Table):
            if isinstance(table, exp.Expression) and table.alias:
                sources[table.alias.lower()] = QualifiedName("")  # a derived table
            continue
        name = qualified_name(table)
        if name is None:
            continue
        sources[(table.alias or name.name).lower()] = name
    return sources


def _resolve(column: exp.Column, sources: dict[str, QualifiedName]) -> QualifiedName | None:
    qualifier = column.table.lower() if column.table else None
    if qualifier is not None:
        table = sources.get(qualifier)
    else:
        table = next(iter(sources.values())) if len(sources) == 1 else None
    return table if table is not None and table.name else None


def _stars(
    select: exp.Select, scope: StatementScope, view: QualifiedName | None, statement_span: Span
) -> Iterator[SelectStarFact]:
    sources = _sources(select)
    for item in select.expressions:
        star, qualifier = None, None
        if isinstance(item, exp.Star):
            star = item
        elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
            star, qualifier = item.this, item.table.lower() or None
        if star is None:
            continue
        star_span = _meta_span(star, scope)
        if star_span is None:
            continue
        if qualifier is not None:
            ident = item.args.get("table")
            start = _meta_span(ident, scope) if isinstance(ident, exp.Identifier) else None
            star_span = Span(start.start, star_span.end) if start else star_span
            table = sources.get(qualifier)
        else:
            table = next(iter(sources.values())) if len(sources) == 1 else None
        yield SelectStarFact(
            star_span,
            scope.origin,
            table if table is not None and table.name else None,
            qualifier,
            view,
            statement_span,
        )


def _offset(select: exp.Select, scope: StatementScope) -> Iterator[OffsetFact]:
    offset = select.args.get("offset")
    if not isinstance(offset, exp.Offset):
        return
    value = offset.expression
    span = _value_span(value, scope)
    if span is None:
        return
    written = scope.text[span.start - scope.base : span.end - scope.base]
    parameter = isinstance(value, exp.Parameter | exp.Placeholder) or written.startswith(
        _PLACEHOLDER_STARTS
    )
    number = None
    if isinstance(value, exp.Literal) and not value.is_string and not parameter:
        number = int(value.this) if value.this.isdigit() else None
    yield OffsetFact(
        span,
        scope.origin,
        number,
        parameter=parameter,
        has_order_by=select.args.get("order") is not None,
    )


# --- comparisons ---------------------------------------------------------------------------------


def _comparisons(node: exp.Expression, scope: StatementScope) -> Iterator[ComparisonFact]:
    where = node.args.get("where")
    if not isinstance(where, exp.Where):
        return
    sources = _sources(node)
    for predicate in _predicates(where.this):
        yield from _comparison(predicate, sources, scope)


def _predicates(node: exp.Expression) -> Iterator[exp.Expression]:
    """Predicates of a boolean expression, not descending into subqueries."""
    if isinstance(node, exp.Subquery | exp.Select | exp.Exists):
        return
    if isinstance(node, exp.Connector | exp.Paren):
        for child in node.iter_expressions():
            yield from _predicates(child)
        return
    if isinstance(node, exp.Not):
        for inner in _predicates(node.this):
            yield exp.Not(this=inner)
        return
    yield node


def _comparison(
    predicate: exp.Expression, sources: dict[str, QualifiedName], scope: StatementScope
) -> Iterator[ComparisonFact]:
    negated = isinstance(predicate, exp.Not)
    if negated:
        predicate = predicate.this
    pairs: list[tuple[str, exp.Expression, exp.Expression]] = []
    operator = _OPERATORS.get(type(predicate))
    if operator is not None:
        left, right = predicate.this, predicate.expression
        if isinstance(right, exp.Any) and isinstance(left, exp.Column):
            pairs.extend(("ANY", left, value) for value in _any_values(right))
        elif isinstance(left, exp.Column):
            pairs.append((operator, left, right))
        elif isinstance(right, exp.Column):
            pairs.append((_MIRRORED.get(operator, operator), right, left))
    elif isinstance(predicate, exp.In) and isinstance(predicate.this, exp.Column):
        pairs.extend(("IN", predicate.this, value) for value in predicate.expressions)
    elif isinstance(predicate, exp.Between) and isinstance(predicate.this, exp.Column):
        for bound in (predicate.args.get("low"), predicate.args.get("high")):
            if isinstance(bound, exp.Expression):
                pairs.append(("BETWEEN", predicate.this, bound))
    elif isinstance(predicate, exp.Is) and isinstance(predicate.this, exp.Column):
        pairs.append(("IS", predicate.this, predicate.expression))
    for op, column, value in pairs:
        fact = _fact(op, column, value, negated, sources, scope)
        if fact is not None:
            yield fact


# --- pattern filters -----------------------------------------------------------------------------

_CALL_HEAD = re.compile(r"(?i)\b(?:lower|upper)\s*\(\s*\Z")
_PATTERN_OPERATORS = {
    exp.Like: "LIKE",
    exp.ILike: "ILIKE",
    exp.RegexpLike: "~",
    exp.RegexpILike: "~*",
    exp.SimilarTo: "SIMILAR TO",
}


def _patterns(
    node: exp.Expression, scope: StatementScope, statement_span: Span
) -> Iterator[PatternMatchFact]:
    where = node.args.get("where")
    if not isinstance(where, exp.Where):
        return
    sources = _sources(node)
    for predicate in _predicates(where.this):
        negated = isinstance(predicate, exp.Not)
        if negated:
            predicate = predicate.this
        operator = _PATTERN_OPERATORS.get(type(predicate))
        if operator is None:
            continue
        negated = negated or bool(predicate.args.get("negate"))
        target, wrapped = predicate.this, None
        if isinstance(target, exp.Lower | exp.Upper):
            target, wrapped = target.this, type(target).__name__.lower()
        if not isinstance(target, exp.Column) or not isinstance(target.this, exp.Identifier):
            continue
        column_span = _meta_span(target.this, scope)
        predicate_span = _value_span(predicate, scope)
        if column_span is None or predicate_span is None:
            continue
        pattern_node = predicate.expression
        if isinstance(pattern_node, exp.Any):
            values = _any_values(pattern_node)
            pattern_node = values[0] if len(values) == 1 else None
        identifier = target.this
        start = column_span.start
        if wrapped is not None:
            head = _CALL_HEAD.search(scope.text, 0, column_span.start - scope.base)
            start = scope.base + head.start() if head is not None else start
        yield PatternMatchFact(
            Span(start, max(column_span.end, predicate_span.end)),
            scope.origin,
            _resolve(target, sources),
            identifier.this if identifier.quoted else identifier.this.lower(),
            column_span,
            operator,
            _leading_literal(pattern_node),
            negated,
            wrapped,
            statement_span,
        )


def _leading_literal(node: exp.Expression | None) -> str | None:
    """A pattern's literal text, or the literal a ``||`` concatenation starts with."""
    while isinstance(node, exp.DPipe | exp.Paren | exp.Cast):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    return None


def _any_values(node: exp.Any) -> list[exp.Expression]:
    inner = node.this.unnest() if isinstance(node.this, exp.Paren) else node.this
    if isinstance(inner, exp.Array):
        return list(inner.expressions)
    return [inner]


def _fact(
    operator: str,
    column: exp.Column,
    value: exp.Expression,
    negated: bool,
    sources: dict[str, QualifiedName],
    scope: StatementScope,
) -> ComparisonFact | None:
    column_span = _meta_span(column.this, scope)
    if column_span is None or not isinstance(column.this, exp.Identifier):
        return None
    value_span = _value_span(value, scope, after=column_span.end - scope.base)
    if value_span is None:
        return None
    written = scope.text[value_span.start - scope.base : value_span.end - scope.base]
    placeholder = written.startswith(_PLACEHOLDER_STARTS)
    if placeholder:
        match = _PLACEHOLDER.match(scope.text, value_span.start - scope.base)
        if match is not None:
            written = match.group()
            value_span = Span(value_span.start, value_span.start + len(written))
    name = column.this.this if column.this.quoted else column.this.this.lower()
    start, end = min(column_span.start, value_span.start), max(column_span.end, value_span.end)
    return ComparisonFact(
        Span(start, end),
        scope.origin,
        _resolve(column, sources),
        name,
        column_span,
        operator,
        written if placeholder else value.sql(dialect="postgres"),
        value_span,
        None if placeholder else _value_type(value, scope),
        negated,
    )


def _value_type(value: exp.Expression, scope: StatementScope) -> str | None:
    """The type Postgres gives a literal value, ``None`` for anything else."""
    if isinstance(value, exp.Neg):
        value = value.this
    if isinstance(value, exp.Literal):
        if value.is_string:
            return "unknown"
        text = value.this.lower()
        return "numeric" if any(mark in text for mark in ".e") else "integer"
    if isinstance(value, exp.Boolean):
        return "boolean"
    if isinstance(value, exp.Null):
        return "null"
    if isinstance(value, exp.Cast) and isinstance(value.this, exp.Literal | exp.Neg):
        to = value.args.get("to")
        if isinstance(to, exp.DataType):
            raw = to.sql(dialect="postgres").lower()
            return type_ref(to, raw, Span(0, 0)).name
    return None


def _value_span(value: exp.Expression | None, scope: StatementScope, after: int = 0) -> Span | None:
    if value is None:
        return None
    if isinstance(value, exp.Neg):
        inner = _value_span(value.this, scope, after)
        return Span(inner.start - 1, inner.end) if inner is not None else None
    if isinstance(value, exp.Cast):
        return _value_span(value.this, scope, after)
    if isinstance(value, exp.Parameter):
        inner = _value_span(value.this, scope, after)
        return Span(inner.start - 1, inner.end) if inner is not None else None
    span = _meta_span(value, scope)
    if span is not None:
        return span
    inner = [_meta_span(node, scope) for node in value.find_all(exp.Literal, exp.Identifier)]
    found = [item for item in inner if item is not None]
    if found:
        return Span(min(item.start for item in found), max(item.end for item in found))
    if isinstance(value, exp.Boolean | exp.Null):
        word = "NULL" if isinstance(value, exp.Null) else ("TRUE" if value.this else "FALSE")
        token = scope.tokens.keyword(word, after)
        if token is not None:
            return scope.span(token.start, token.end + 1)
    return None


def _meta_span(node: exp.Expression, scope: StatementScope) -> Span | None:
    meta = node.meta
    if not meta or "start" not in meta:
        return None
    return scope.span(meta["start"], meta["end"] + 1)
