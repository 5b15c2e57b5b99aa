"""elasticsearch-py (8.x) front-end: clients and the API calls made on them.

``Elasticsearch``/``AsyncElasticsearch`` give a client; its methods and namespaced APIs
(``es.indices.create``) and the ``helpers`` (``bulk``, ``scan``...) called with it become
:class:`EsCallFact`. Query DSL dicts, inline or built in a variable of the same function, yield
:class:`EsPatternFact` for ``wildcard``/``regexp``/``query_string`` patterns.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from dbsense.analyzers.ir import (
    ELASTICSEARCH_PY,
    EsCallFact,
    EsPatternFact,
    Fact,
)
from dbsense.analyzers.python.clients import (
    ClientCalls,
    Clients,
    Kind,
    dict_items,
    literal_int,
    literal_str,
    local_value,
    place,
)
from dbsense.analyzers.python.source import literal

_CLIENTS = {"Elasticsearch", "AsyncElasticsearch"}
_NAMESPACES = {"indices", "cluster", "cat", "ingest", "snapshot", "tasks", "nodes"}
_PATTERN_QUERIES = {"wildcard", "regexp", "query_string"}
_DOCUMENT_KEYWORDS = ("document", "body")


def _classify(node: ast.expr, clients: Clients) -> Kind | None:
    qualified = clients.imports.qualify(node)
    if (
        qualified
        and qualified.split(".", 1)[0] == "elasticsearch"
        and qualified.rsplit(".", 1)[-1] in _CLIENTS
    ):
        return ("client", qualified)
    if isinstance(node, ast.Attribute) and node.attr in _NAMESPACES:
        receiver = clients.kind(node.value)
        if receiver is not None and receiver[0] == "client":
            return ("namespace", node.attr)
    return None


class EsCalls(ClientCalls):
    """The elasticsearch-py facts of one module."""

    classify = staticmethod(_classify)
    source = ELASTICSEARCH_PY
    engine = "es"

    def facts(self) -> Iterator[Fact]:
        if not self.imports.imports_from("elasticsearch"):
            return
        for call in self.clients.calls():
            kind = _classify(call, self.clients)
            if kind is not None and kind[0] == "client" and kind[1]:
                yield self.creation(call, kind[1])
                continue
            method = self._method(call)
            if method is not None:
                yield from self._api_call(call, method)

    def _method(self, call: ast.Call) -> str | None:
        qualified = self.imports.qualify(call.func) or ""
        if qualified.startswith("elasticsearch.helpers."):
            return "helpers." + qualified.rsplit(".", 1)[-1]
        if not isinstance(call.func, ast.Attribute):
            return None
        receiver = self.clients.kind(call.func.value)
        if receiver is None:
            return None
        if receiver[0] == "namespace":
            return f"{receiver[1]}.{call.func.attr}"
        return call.func.attr if receiver[0] == "client" else None

    def _api_call(self, call: ast.Call, method: str) -> Iterator[Fact]:
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
        body = dict(dict_items(local_value(self.scopes, keywords.get("body"))))
        from_node = keywords.get("from_", body.get("from"))
        size_node = keywords.get("size", body.get("size"))
        refresh = keywords.get("refresh")
        document = next((keywords[k] for k in _DOCUMENT_KEYWORDS if k in keywords), None)
        depends = [*call.args, *keywords.values()]
        settings = keywords.get("settings", body.get("settings"))
        yield EsCallFact(
            self.parsed.span(call),
            ELASTICSEARCH_PY,
            method=method,
            index=literal_str(keywords.get("index")),
            place=place(self.scopes, call, depends),
            keywords=tuple(keywords),
            from_value=literal_int(from_node),
            size_value=literal_int(size_node),
            unclamped_from=_unclamped(from_node),
            search_after="search_after" in keywords or "search_after" in body,
            scroll="scroll" in keywords,
            refresh=literal(refresh) if refresh is not None else None,
            refresh_span=self.parsed.span(refresh) if refresh is not None else None,
            dynamic_document=self._dynamic(document) if document is not None else None,
            mapping_dynamic=self._mapping_dynamic(keywords.get("mappings", body.get("mappings"))),
            total_fields_limit=_total_fields(local_value(self.scopes, settings)),
        )
        for key in ("query", "body"):
            if key in keywords:
                yield from self._patterns(local_value(self.scopes, keywords[key]))

    def _dynamic(self, node: ast.AST) -> str | None:
        """Why a document's keys come from data, or ``None`` when they are fixed."""
        value = local_value(self.scopes, node)
        if isinstance(value, ast.DictComp):
            return "a dict comprehension"
        if isinstance(value, ast.Dict) and any(key is None for key in value.keys):
            return "`**` unpacking"
        if isinstance(value, ast.Dict) and any(
            key is not None and not isinstance(key, ast.Constant) for key in value.keys
        ):
            return "computed keys"
        if isinstance(value, ast.Call):
            qualified = self.imports.qualify(value.func) or ""
            if qualified == "json.loads":
                return "`json.loads` output"
            if isinstance(value.func, ast.Name) and value.func.id == "dict" and value.args:
                return "`dict(...)` of another mapping"
        return None

    def _mapping_dynamic(self, node: ast.AST | None) -> object:
        mappings = dict(dict_items(local_value(self.scopes, node)))
        if not mappings:
            return None
        value = mappings.get("dynamic")
        return "unset" if value is None else literal(value)

    def _patterns(self, node: ast.AST | None, depth: int = 0) -> Iterator[Fact]:
        if depth > 20:
            return
        if isinstance(node, ast.List):
            for element in node.elts:
                yield from self._patterns(local_value(self.scopes, element), depth + 1)
            return
        for key, value in dict_items(node):
            if key in _PATTERN_QUERIES:
                yield from self._pattern(key, value)
            else:
                yield from self._patterns(local_value(self.scopes, value), depth + 1)

    def _pattern(self, query: str, node: ast.AST) -> Iterator[Fact]:
        items = dict(dict_items(node))
        if query == "query_string":
            text = items.get("query")
            pattern = _pattern_text(text)
            if text is not None and pattern is not None:
                yield EsPatternFact(self.parsed.span(text), ELASTICSEARCH_PY, query, None, pattern)
            return
        for field, value in items.items():
            inner = dict(dict_items(value))
            text = inner.get("value", inner.get(query)) if inner else value
            pattern = _pattern_text(text)
            if pattern is not None and text is not None:
                yield EsPatternFact(self.parsed.span(text), ELASTICSEARCH_PY, query, field, pattern)


def _unclamped(node: ast.AST | None) -> bool:
    """``from_=page * size`` computed from a variable, without ``min(...)``."""
    if not isinstance(node, ast.BinOp):
        return False
    names = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    return bool(names) and not any(call.func.id == "min" for call in calls)  # type: ignore[attr-defined]


def _total_fields(node: ast.AST | None) -> int | None:
    """``index.mapping.total_fields.limit`` in a settings dict, flat or nested."""
    value = literal(node) if node is not None else NotImplemented
    if not isinstance(value, dict):
        return None
    flat: dict[str, object] = {}

    def walk(prefix: str, mapping: dict) -> None:
        for key, item in mapping.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(item, dict):
                walk(name, item)
            else:
                flat[name] = item

    walk("", value)
    for key, item in flat.items():
        if key.removeprefix("index.").endswith("mapping.total_fields.limit"):
            try:
                return int(item)  # type: ignore[call-overload]
            except (TypeError, ValueError):
                return None
    return None


def _pattern_text(node: ast.AST | None) -> str | None:
    """A literal pattern, or an f-string with ``{...}`` for its interpolated parts."""
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(value.value) if isinstance(value, ast.Constant) else "{...}"
            for value in node.values
        )
    return literal_str(node)
