"""Access patterns: what runs per pass of each loop, and per call of each function.

For every loop this front-end emits a :class:`LoopFact`: the ORM query the loop iterates (if
visible), the attribute paths read from the loop variable (through aliases such as
``c = order.customer`` and nested loops over ``order.items.all()``), calls into workspace
functions, and direct queries. Every function gets a :class:`FunctionFact` summary so the rule
can follow a loop into helpers, in this file or another, without re-reading their source.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from dbsense.analyzers.ir import (
    AttributeAccess,
    CallSite,
    Fact,
    FunctionFact,
    LoopFact,
    QueryCall,
    QuerySource,
    Span,
)
from dbsense.analyzers.python.evaluations import MATERIALISERS, RowEvaluations
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.queries import QueryFinder
from dbsense.analyzers.python.scopes import FunctionNode, Loop, Scopes, lambda_loop
from dbsense.analyzers.python.source import PythonSource

Roots = dict[str, tuple[str, tuple[str, ...]]]  # local name -> (tracked variable, path)
_Position = tuple[int, int]  # (line, UTF-8 column) as ``ast`` reports it: ordered in a file
_ITERATING_METHODS = {"all", "iterator"}
_EXITS = (ast.Return, ast.Break, ast.Raise)


class AccessPatterns:
    """Loop and function summaries of one module."""

    def __init__(self, source: PythonSource, imports: ImportMap, module: str) -> None:
        self.source = source
        self.imports = imports
        self.module = module
        self.scopes = Scopes(source.tree, imports)
        self.finder = QueryFinder(source, imports)
        # per scope (by id): name -> (start, end, value) of its single-name assignments, and
        # name -> (start, node) of its loads; positions are (line, column) pairs
        self._assigned: dict[int, dict[str, list[tuple[_Position, _Position, ast.expr]]]] = {}
        self._loads: dict[int, dict[str, list[tuple[_Position, ast.Name]]]] = {}

    def facts(self) -> Iterator[Fact]:
        yield from self._functions(self.source.tree.body, None)
        seen: set[Span] = set()
        for node in ast.walk(self.source.tree):
            if isinstance(node, (ast.For, ast.AsyncFor)):
                fact = self._for_loop(node)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                fact = self._comprehension(node)
            elif isinstance(node, ast.Call) and (loop := lambda_loop(node)) is not None:
                fact = self._lambda_loop(node, *loop)
            else:
                continue
            if fact is not None:
                if fact.source is not None and fact.source.query_span is not None:
                    seen.add(fact.source.query_span)
                yield fact
        evaluations = RowEvaluations(
            self.source,
            self.imports,
            self.scopes,
            self._source,
            self._qualified,
            self._last_assignment,
        )
        for fact in evaluations.facts():
            span = fact.source.query_span if fact.source is not None else None
            if span is not None and span not in seen:  # one fact per query: loops come first
                seen.add(span)
                yield fact

    # --- functions -------------------------------------------------------------------------

    def _functions(self, body: list[ast.stmt], owner: ast.ClassDef | None) -> Iterator[Fact]:
        for statement in body:
            if isinstance(statement, ast.ClassDef) and owner is None:
                yield from self._functions(statement.body, statement)
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield self._function(statement, owner)

    def _function(self, node: FunctionNode, owner: ast.ClassDef | None) -> FunctionFact:
        params = tuple(a.arg for a in (*node.args.posonlyargs, *node.args.args))
        roots: Roots = {name: (name, ()) for name in params}
        body: list[ast.AST] = list(node.body)
        self._aliases(body, roots)
        accesses = tuple(
            (params.index(root), access)
            for root, access in self._accesses(body, roots)
            if root in params
        )
        calls = tuple(self._calls(body, roots, owner, None))
        queries = tuple(
            query
            for call in _calls_in(body)
            if (query := self.finder.query_call(call, _reads(call, set(roots)))) is not None
        )
        qualified = (
            f"{self.module}.{owner.name}.{node.name}" if owner else f"{self.module}.{node.name}"
        )
        is_property = any(
            (self.imports.qualify(d) or ast.unparse(d)).endswith(("property", "cached_property"))
            for d in node.decorator_list
        )
        return FunctionFact(
            self._name_span(node),
            "python",
            qualified,
            params,
            accesses,
            calls,
            queries,
            is_property,
        )

    # --- loops -----------------------------------------------------------------------------

    def _for_loop(self, node: ast.For | ast.AsyncFor) -> LoopFact | None:
        if node.body and isinstance(node.body[-1], _EXITS):
            return None  # exits after one pass
        header = Span(self.source.span(node).start, self.source.span(node.iter).end)
        return self._loop(node, node.target, node.iter, list(node.body), header)

    def _comprehension(self, node: ast.AST) -> LoopFact | None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        first = generators[0]
        elements: list[ast.AST] = []
        for name in ("elt", "key", "value"):
            child = getattr(node, name, None)
            if child is not None:
                elements.append(child)
        for generator in generators:
            elements.extend(generator.ifs)
        elements.extend(generator.iter for generator in generators[1:])
        header = Span(self.source.span(first.target).start, self.source.span(first.iter).end)
        return self._loop(first, first.target, first.iter, elements, header)

    def _lambda_loop(self, call: ast.Call, lam: ast.Lambda, iterable: ast.expr) -> LoopFact | None:
        """``map(lambda o: o.customer.name, orders)`` and friends: the lambda's body runs once
        per element, like a loop body."""
        params = lam.args.args
        target = ast.Name(params[0].arg) if len(params) == 1 else ast.Tuple([])
        return self._loop(call, target, iterable, [lam.body], self.source.span(call))

    def _loop(
        self,
        node: ast.AST,
        target: ast.AST,
        iterable: ast.expr,
        body: list[ast.AST],
        header: Span,
    ) -> LoopFact | None:
        if isinstance(iterable, (ast.Tuple, ast.List, ast.Set, ast.Constant, ast.Dict)):
            return None  # a literal collection: a handful of passes at most
        variable = target.id if isinstance(target, ast.Name) else None
        function = self.scopes.function_of(node)
        source = self._source(iterable, node, function)
        roots: Roots = {variable: (variable, ())} if variable else {}
        self._aliases(body, roots)
        accesses = tuple(access for _, access in self._accesses(body, roots))
        owner = self.scopes.class_of(function) if function is not None else None
        calls = tuple(self._calls(body, roots, owner, node))
        queries = tuple(self._loop_queries(body, node, set(roots)))
        if not (accesses or calls or queries or source):
            return None
        escape = source is not None and (
            self._uses_whole_row(body, roots) or self._shared(iterable, function)
        )
        return LoopFact(
            header,
            source.framework if source else "python",
            variable,
            source,
            accesses,
            calls,
            queries,
            self._qualified(function),
            self.scopes.request_kind(function),
            rows_escape=escape,
        )

    def _uses_whole_row(self, body: list[ast.AST], roots: Roots) -> bool:
        """True when the loop variable (or a plain alias of it) is used other than as the
        object of an attribute read: passed to a call, stored, returned, yielded, compared."""
        rows = {name for name, (_, path) in roots.items() if path == ()}
        for node in _walk(body, roots):
            if isinstance(node, ast.Name) and node.id in rows and isinstance(node.ctx, ast.Load):
                parent = self.scopes.parent(node)
                if not (isinstance(parent, ast.Attribute) and parent.value is node):
                    return True
        return False

    def _qualified(self, function: FunctionNode | None) -> str | None:
        if function is None:
            return None
        owner = self.scopes.class_of(function)
        if owner is not None:
            return f"{self.module}.{owner.name}.{function.name}"
        return f"{self.module}.{function.name}"

    def _shared(self, iterable: ast.expr, function: FunctionNode | None) -> bool:
        """True when the name a loop iterates is read elsewhere after it was last bound (its
        rows reach more code than this loop)."""
        if not isinstance(iterable, ast.Name):
            return False
        scope: ast.AST = function if function is not None else self.source.tree
        value = self._last_assignment(iterable.id, iterable, function)
        after = _end(value) if value is not None else (0, 0)
        loads = self._loads.get(id(scope))
        if loads is None:
            loads = self._loads[id(scope)] = {}
            for node in ast.walk(scope):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    loads.setdefault(node.id, []).append((_start(node), node))
        return any(
            start >= after and node is not iterable for start, node in loads.get(iterable.id, ())
        )

    def _source(
        self, iterable: ast.expr, loop: ast.AST, function: FunctionNode | None
    ) -> QuerySource | None:
        if isinstance(iterable, ast.Name):
            value = self._last_assignment(iterable.id, loop, function)
            if value is None:
                return None
            value = _materialised(value)
            return self.finder.loop_source(self._expand(value, iterable.id, loop, function), value)
        iterable = _materialised(iterable)
        return self.finder.loop_source(self._inline_arguments(iterable, loop, function), iterable)

    def _inline_arguments(
        self, iterable: ast.expr, loop: ast.AST, function: FunctionNode | None
    ) -> ast.expr:
        """``session.scalars(stmt)`` -> ``session.scalars(select(...))`` when ``stmt`` was
        assigned earlier in the function."""
        clone = _clone(iterable)
        for node in ast.walk(clone):
            if not isinstance(node, ast.Call):
                continue
            for position, argument in enumerate(node.args):
                if isinstance(argument, ast.Name):
                    value = self._last_assignment(argument.id, loop, function)
                    if value is not None:
                        node.args[position] = value
        return clone  # type: ignore[return-value]

    def _last_assignment(
        self, name: str, before: ast.AST, function: FunctionNode | None
    ) -> ast.expr | None:
        scope: ast.AST = function if function is not None else self.source.tree
        anchor = before.target if isinstance(before, ast.comprehension) else before
        limit = _start(anchor)
        found: ast.expr | None = None
        latest: _Position = (-1, -1)
        for start, end, value in self._assignments(scope).get(name, ()):
            if end <= limit and start > latest:
                found, latest = value, start
        return found

    def _assignments(
        self, scope: ast.AST
    ) -> dict[str, list[tuple[_Position, _Position, ast.expr]]]:
        found = self._assigned.get(id(scope))
        if found is None:
            found = self._assigned[id(scope)] = {}
            for node in ast.walk(scope):
                if (
                    isinstance(node, ast.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                ):
                    entry = (_start(node), _end(node), node.value)
                    found.setdefault(node.targets[0].id, []).append(entry)
        return found

    def _expand(
        self, value: ast.expr, name: str, loop: ast.AST, function: FunctionNode | None
    ) -> ast.expr:
        """``qs = qs.filter(...)`` re-binds: splice the earlier value in for the root name so
        eager loading from every step is seen."""
        root = _chain_root(value)
        if isinstance(root, ast.Name) and root.id == name:
            earlier = self._last_assignment(name, value, function)
            if earlier is not None and earlier is not value:
                return _Replace(name, earlier).visit(_clone(value))
        return value

    def _loop_queries(
        self, body: list[ast.AST], loop: ast.AST, names: set[str]
    ) -> Iterator[QueryCall]:
        for call in _calls_in(body):
            loops = self.scopes.loops_of(call)
            if not loops or loops[0].node is not loop:
                continue
            query = self.finder.query_call(
                call, _reads(call, names) or self._reads_loop(call, loops[0])
            )
            if query is not None:
                yield query

    def _reads_loop(self, call: ast.AST, loop: Loop) -> bool:
        return self.scopes.depends_on_loop(call, loop)

    # --- shared: aliases, accesses, calls --------------------------------------------------

    def _aliases(self, body: list[ast.AST], roots: Roots) -> None:
        """Names bound from a tracked variable's attributes: ``c = o.customer``,
        ``for i in o.items.all()``, ``[i for i in o.items.all()]``."""
        for _ in range(2):
            for node in _walk(body, roots):
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target, value = node.targets[0], node.value
                elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                    target, value = node.target, _strip_iteration(node.iter)
                elif isinstance(node, ast.Call) and (loop := lambda_loop(node)) is not None:
                    params = loop[0].args.args
                    if len(params) != 1:
                        continue
                    target, value = ast.Name(params[0].arg), _strip_iteration(loop[1])
                else:
                    continue
                if not isinstance(target, ast.Name) or target.id in roots:
                    continue
                path = self._path(value, roots)
                if path is not None:
                    roots[target.id] = path

    def _path(self, node: ast.AST, roots: Roots) -> tuple[str, tuple[str, ...]] | None:
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in roots:
            root, prefix = roots[node.id]
            return root, prefix + tuple(reversed(attrs))
        return None

    def _accesses(self, body: list[ast.AST], roots: Roots) -> Iterator[tuple[str, AttributeAccess]]:
        for node in _walk(body, roots):
            if not (isinstance(node, ast.Name) and node.id in roots):
                continue
            if not isinstance(node.ctx, ast.Load):
                continue
            root, prefix = roots[node.id]
            attrs: list[str] = []
            current: ast.AST = node
            parent = self.scopes.parent(current)
            while isinstance(parent, ast.Attribute) and parent.value is current:
                attrs.append(parent.attr)
                current = parent
                parent = self.scopes.parent(current)
            method = None
            if isinstance(parent, ast.Call) and parent.func is current and attrs:
                method = attrs.pop()
                current = parent
            if not attrs and method is None:
                continue
            if self._is_store(current):
                continue
            span = self.source.span(current)
            yield root, AttributeAccess(prefix + tuple(attrs), span, method)

    def _is_store(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load)

    def _calls(
        self,
        body: list[ast.AST],
        roots: Roots,
        owner: ast.ClassDef | None,
        loop: ast.AST | None,
    ) -> Iterator[CallSite]:
        for call in _calls_in(body):
            callee, shift = self._callee(call, owner)
            if callee is None:
                continue
            arguments: list[tuple[int, str, tuple[str, ...]]] = []
            if shift and "self" in roots:
                arguments.append((0, "self", ()))
            for position, argument in enumerate(call.args):
                path = self._path(argument, roots)
                if path is not None:
                    arguments.append((position + shift, path[0], path[1]))
            innermost = True
            if loop is not None:
                loops = self.scopes.loops_of(call)
                innermost = bool(loops) and loops[0].node is loop
                if not innermost and not arguments:
                    continue
            yield CallSite(callee, self.source.span(call), tuple(arguments), innermost)

    def _callee(self, call: ast.Call, owner: ast.ClassDef | None) -> tuple[str | None, int]:
        func = call.func
        if isinstance(func, ast.Attribute) and not isinstance(func.value, ast.Name):
            return None, 0  # a method of a computed value (``Order.objects.get``)
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
            and owner is not None
        ):
            return f"{self.module}.{owner.name}.{func.attr}", 1
        qualified = self.imports.qualify(func)
        if qualified is None or qualified.split(".", 1)[0] in _LIBRARIES:
            return None, 0
        return qualified, 0

    def _name_span(self, node: FunctionNode) -> Span:
        start = self.source.offset(node.lineno, node.col_offset)
        at = self.source.text.find(node.name, start)
        return Span(at, at + len(node.name)) if at >= 0 else Span(start, start)


_LIBRARIES = {
    "alembic",
    "django",
    "sqlalchemy",
    "rest_framework",
    "flask",
    "fastapi",
    "celery",
    "redis",
    "pymongo",
    "elasticsearch",
    "psycopg",
    "psycopg2",
    "logging",
    "json",
    "os",
    "datetime",
    "typing",
    "collections",
    "itertools",
    "functools",
    "decimal",
    "uuid",
    "re",
}


class _Replace(ast.NodeTransformer):
    def __init__(self, name: str, value: ast.expr) -> None:
        self.name = name
        self.value = value

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.value if node.id == self.name else node


def _clone(node: ast.AST) -> ast.AST:
    fields = {}
    for name, value in ast.iter_fields(node):
        if isinstance(value, ast.AST):
            fields[name] = _clone(value)
        elif isinstance(value, list):
            fields[name] = [_clone(v) if isinstance(v, ast.AST) else v for v in value]
        else:
            fields[name] = value
    clone = type(node)(**fields)
    return ast.copy_location(clone, node) if hasattr(node, "lineno") else clone


def _chain_root(node: ast.AST) -> ast.AST:
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _materialised(node: ast.expr) -> ast.expr:
    """``list(qs)`` (or ``tuple``, ``sorted``, ``set``) holds the rows of ``qs``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in MATERIALISERS
        and len(node.args) == 1
    ):
        return node.args[0]
    return node


def _strip_iteration(node: ast.AST) -> ast.AST:
    """``o.items.all()`` iterates ``o.items``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _ITERATING_METHODS
        and not node.args
    ):
        return node.func.value
    return node


def _start(node: ast.AST) -> _Position:
    return (node.lineno, node.col_offset)  # type: ignore[attr-defined]


def _end(node: ast.AST) -> _Position:
    return (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]


def _walk(body: list[ast.AST], roots: Roots | None = None) -> Iterator[ast.AST]:
    """Nodes of ``body`` in source order, not entering nested functions or classes. Lambdas
    are entered (``map``/``sorted`` run them right there), except one whose parameter shadows a
    tracked variable of ``roots`` (the loop variable or a parameter itself)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Lambda) and roots and _shadows(node, roots):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _shadows(lam: ast.Lambda, roots: Roots) -> bool:
    return any(roots.get(arg.arg) == (arg.arg, ()) for arg in lam.args.args)


def _calls_in(body: list[ast.AST]) -> Iterator[ast.Call]:
    return (node for node in _walk(body) if isinstance(node, ast.Call))


def _reads(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))
