"""pymongo / motor front-end: clients, databases and collections, and the calls made on them.

``MongoClient`` (also ``AsyncMongoClient`` and motor's clients) gives a client; attribute or item
access on a client gives a database, and on a database a collection (``get_database`` /
``get_collection`` too). Collection method calls become :class:`MongoCallFact`, with the cursor
methods chained after ``find``; filters yield :class:`MongoRegexFact` and updates
:class:`MongoArrayPushFact`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from dbsense.analyzers.ir import (
    PYMONGO,
    Fact,
    MongoArrayPushFact,
    MongoCallFact,
    MongoLookupFact,
    MongoRegexFact,
)
from dbsense.analyzers.python.clients import (
    ClientCalls,
    Clients,
    Kind,
    argument,
    chain_after,
    dict_items,
    literal_str,
    local_value,
    place,
    string_insert_at,
)
from dbsense.analyzers.python.source import literal

_CLIENTS = {"MongoClient", "AsyncMongoClient", "MotorClient", "AsyncIOMotorClient"}
_ROOTS = ("pymongo", "motor")
_DATABASE_METHODS = {"get_database", "get_default_database"}
_CLIENT_ATTRIBUTES = {"close", "server_info", "list_database_names", "admin", "address"}
_DATABASE_ATTRIBUTES = {"command", "list_collection_names", "client", "name", "create_collection"}
_UPDATES = {"update_one", "update_many", "find_one_and_update"}
_FILTERED = {
    "find",
    "find_one",
    "count_documents",
    "delete_one",
    "delete_many",
    "distinct",
    "find_one_and_delete",
    "find_one_and_replace",
    "replace_one",
    *_UPDATES,
}
_REGEX_CALLS = ("re.compile", "bson.regex.Regex", "bson.Regex")


def _classify(node: ast.expr, clients: Clients) -> Kind | None:
    qualified = clients.imports.qualify(node)
    root, _, last = (qualified or "").partition(".")
    if root in _ROOTS and last.rsplit(".", 1)[-1] in _CLIENTS:
        return ("client", qualified)
    base: ast.expr | None = None
    name: str | None = None
    if isinstance(node, ast.Attribute):
        base, name = node.value, node.attr
    elif isinstance(node, ast.Subscript):
        base, name = node.value, literal_str(node.slice) or None
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        method = node.func.attr
        receiver = clients.kind(node.func.value)
        if receiver and receiver[0] == "client" and method in _DATABASE_METHODS:
            return ("database", literal_str(node.args[0]) if node.args else None)
        if receiver and receiver[0] == "database" and method == "get_collection":
            return ("collection", literal_str(node.args[0]) if node.args else None)
        return None
    if base is None:
        return None
    receiver = clients.kind(base)
    if receiver is None:
        return None
    if receiver[0] == "client" and name not in _CLIENT_ATTRIBUTES:
        return ("database", name)
    if receiver[0] == "database" and name not in _DATABASE_ATTRIBUTES:
        return ("collection", name)
    return None


class MongoCalls(ClientCalls):
    """The pymongo facts of one module."""

    classify = staticmethod(_classify)
    source = PYMONGO
    engine = "mongo"

    def facts(self) -> Iterator[Fact]:
        if not any(self.imports.imports_from(root) for root in _ROOTS):
            return
        for call in self.clients.calls():
            kind = _classify(call, self.clients)
            if kind is not None and kind[0] == "client" and kind[1]:
                yield self.creation(call, kind[1])
                continue
            if not isinstance(call.func, ast.Attribute):
                continue
            receiver = self.clients.kind(call.func.value)
            if receiver is not None and receiver[0] == "collection":
                yield from self._collection_call(call, call.func.attr, receiver[1])

    def _collection_call(
        self, call: ast.Call, method: str, collection: str | None
    ) -> Iterator[Fact]:
        filter_node = local_value(self.scopes, argument(call, 0, "filter"))
        if method == "aggregate":
            filter_node = None
        chain, outer = chain_after(self.scopes, call) if method == "find" else ([], call)
        depends = [*call.args, *(kw.value for kw in call.keywords)]
        yield MongoCallFact(
            self.parsed.span(call),
            PYMONGO,
            method=method,
            collection=collection,
            place=place(self.scopes, call, depends),
            chain=tuple(chain),
            materialised=method == "find" and self._materialised(outer, chain),
            has_projection=argument(call, 1, "projection") is not None,
            filter_fields=tuple(key for key, _ in dict_items(filter_node) if key),
            index_specs=self._index_specs(call, method),
        )
        if method == "aggregate":
            yield from self._lookups(call, collection)
        if method in _FILTERED:
            yield from self._regexes(filter_node, collection)
        if method in _UPDATES:
            update = local_value(self.scopes, argument(call, 1, "update"))
            yield from self._pushes(update, collection)

    def _lookups(self, call: ast.Call, collection: str | None) -> Iterator[Fact]:
        pipeline = local_value(self.scopes, argument(call, 0, "pipeline"))
        if not isinstance(pipeline, (ast.List, ast.Tuple)):
            return
        for position, element in enumerate(pipeline.elts):
            stage = local_value(self.scopes, element)
            for operator, body in dict_items(stage):
                if operator != "$lookup":
                    continue
                source = dict(dict_items(local_value(self.scopes, body)))
                yield MongoLookupFact(
                    self.parsed.span(stage),
                    PYMONGO,
                    collection=collection,
                    from_collection=literal_str(source.get("from")),
                    place=place(self.scopes, call, []),
                    stage=position,
                )

    def _materialised(self, outer: ast.AST, chain: list[str]) -> bool:
        if "to_list" in chain:
            return True
        parent = self.scopes.parent(outer)
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name):
            return parent.func.id in ("list", "tuple") and outer in parent.args
        if isinstance(parent, ast.comprehension) and parent.iter is outer:
            return isinstance(self.scopes.parent(parent), ast.ListComp)
        if isinstance(parent, ast.Return):
            return True
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            target = parent.targets[0]
            function = self.scopes.function_of(parent)
            if isinstance(target, ast.Name) and function is not None:
                return any(
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("list", "tuple")
                    and any(isinstance(a, ast.Name) and a.id == target.id for a in node.args)
                    for node in ast.walk(function)
                )
        return False

    def _index_specs(self, call: ast.Call, method: str) -> tuple[str, ...]:
        if method == "create_index" and call.args:
            return (_spec(call.args[0]),)
        if method == "create_indexes" and call.args and isinstance(call.args[0], ast.List):
            specs = []
            for model in call.args[0].elts:
                if isinstance(model, ast.Call) and model.args:
                    specs.append(_spec(model.args[0]))
            return tuple(specs)
        return ()

    def _regexes(self, node: ast.AST | None, collection: str | None) -> Iterator[Fact]:
        for key, value in dict_items(node):
            if key in ("$and", "$or", "$nor") and isinstance(value, ast.List):
                for element in value.elts:
                    yield from self._regexes(local_value(self.scopes, element), collection)
            elif key == "$regex":
                yield self._regex(value, collection)
            elif isinstance(value, ast.Call) and self.imports.is_(value.func, *_REGEX_CALLS):
                if value.args:
                    yield self._regex(value.args[0], collection)
            elif isinstance(value, ast.Dict):
                yield from self._regexes(value, collection)

    def _regex(self, pattern: ast.expr, collection: str | None) -> MongoRegexFact:
        if isinstance(pattern, ast.Call) and self.imports.is_(pattern.func, *_REGEX_CALLS):
            pattern = pattern.args[0] if pattern.args else pattern
        return MongoRegexFact(
            self.parsed.span(pattern),
            PYMONGO,
            pattern=literal_str(pattern),
            insert_at=string_insert_at(self.parsed, pattern),
            collection=collection,
        )

    def _pushes(self, update: ast.AST | None, collection: str | None) -> Iterator[Fact]:
        for operator, fields in dict_items(update):
            if operator not in ("$push", "$addToSet"):
                continue
            for field, value in dict_items(fields):
                modifiers = {key for key, _ in dict_items(local_value(self.scopes, value))}
                yield MongoArrayPushFact(
                    self.parsed.span(value),
                    PYMONGO,
                    operator=operator,
                    field=field or "?",
                    bounded={"$each", "$slice"} <= modifiers,
                    literal=literal(value) is not NotImplemented,
                    value_source=self.parsed.segment(value),
                    collection=collection,
                )


def _spec(node: ast.AST) -> str:
    value = literal(node)
    if isinstance(value, str):
        return repr([(value, 1)])
    if value is not NotImplemented:
        return repr([tuple(item) if isinstance(item, list) else item for item in value])  # type: ignore[union-attr]
    return ast.unparse(node)
