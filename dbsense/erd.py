"""Entity-relationship diagrams of the offline catalog or a live schema: Mermaid, DOT, SVG.

Foreign-key edges are labelled with their columns and whether an index on the referencing
table covers them (an unindexed foreign key makes parent deletes scan the child table).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from dbsense.analyzers.catalog import Catalog
from dbsense.engines.postgres.helpers import covers
from dbsense.live.postgres import Snapshot

DEFAULT_SCHEMA = "public"
DOT_TIMEOUT = 60


class ErdError(Exception):
    """The diagram could not be rendered (e.g. Graphviz missing); one line."""


@dataclass(frozen=True, slots=True)
class ErdColumn:
    name: str
    type: str
    primary_key: bool = False
    not_null: bool = False
    foreign_key: bool = False


@dataclass(slots=True)
class ErdTable:
    schema: str
    name: str
    columns: list[ErdColumn] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def label(self) -> str:
        return self.name if self.schema == DEFAULT_SCHEMA else self.key


@dataclass(frozen=True, slots=True)
class ErdEdge:
    """A foreign key from ``source`` (the referencing table) to ``target``."""

    source: str
    columns: tuple[str, ...]
    target: str
    ref_columns: tuple[str, ...]
    indexed: bool
    optional: bool  # a referencing column is nullable


@dataclass(slots=True)
class Erd:
    tables: list[ErdTable] = field(default_factory=list)
    edges: list[ErdEdge] = field(default_factory=list)

    def filtered(self, schema: str | None = None, prefix: str | None = None) -> Erd:
        """Only the tables in ``schema`` whose name starts with ``prefix``, and the edges
        between them."""
        kept = [
            table
            for table in self.tables
            if (schema is None or table.schema == schema)
            and (prefix is None or table.name.startswith(prefix))
        ]
        keys = {table.key for table in kept}
        edges = [edge for edge in self.edges if edge.source in keys and edge.target in keys]
        return Erd(kept, edges)


# --- sources -----------------------------------------------------------------------------------


def from_catalog(catalog: Catalog) -> Erd:
    """The diagram of the schema the migrations leave behind."""
    erd = Erd()
    for table in sorted(catalog.iter_tables(), key=lambda t: (t.name.schema or "", t.name.name)):
        if table.temporary:
            continue
        schema = table.name.schema or DEFAULT_SCHEMA
        primary = table.primary_key
        pk_columns = set(primary.columns) if primary else set()
        fk_columns = {column for fk in table.foreign_keys for column in fk.columns}
        columns = [
            ErdColumn(
                column.name,
                _catalog_type(column.type),
                column.name in pk_columns,
                not column.nullable or column.name in pk_columns,
                column.name in fk_columns,
            )
            for column in table.columns.values()
        ]
        erd.tables.append(ErdTable(schema, table.name.name, columns))
        for fk in table.foreign_keys:
            target = fk.ref_table
            indexed = any(covers(index, fk.columns) for index in table.indexes)
            optional = (
                any(table.columns[c].nullable for c in fk.columns if c in table.columns)
                and not set(fk.columns) <= pk_columns
            )
            erd.edges.append(
                ErdEdge(
                    f"{schema}.{table.name.name}",
                    fk.columns,
                    f"{target.schema or schema}.{target.name}",
                    fk.definition.ref_columns,
                    indexed,
                    optional,
                )
            )
    return _known_targets(erd)


def _catalog_type(type_ref) -> str:
    if type_ref is None:
        return "unknown"
    text = type_ref.name + (f"({','.join(type_ref.args)})" if type_ref.args else "")
    return text + ("[]" if type_ref.array else "")


def from_snapshot(snapshot: Snapshot) -> Erd:
    """The diagram of a live database's schema."""
    erd = Erd()
    for (schema, name), table in sorted(snapshot.tables.items()):
        pk = next((c for c in table.constraints if c.kind == "primary-key"), None)
        pk_columns = set(pk.columns) if pk else set()
        fks = [c for c in table.constraints if c.kind == "foreign-key" and c.ref_table]
        fk_columns = {column for fk in fks for column in fk.columns}
        erd.tables.append(
            ErdTable(
                schema,
                name,
                [
                    ErdColumn(
                        c.name, c.type, c.name in pk_columns, c.not_null, c.name in fk_columns
                    )
                    for c in table.columns
                ],
            )
        )
        for fk in fks:
            count = len(fk.columns)
            indexed = any(
                index.valid
                and not index.partial
                and index.method == "btree"
                and set(index.columns[:count]) == set(fk.columns)
                for index in table.indexes
            )
            optional = any(
                not column.not_null for column in table.columns if column.name in fk.columns
            )
            assert fk.ref_table is not None
            erd.edges.append(
                ErdEdge(
                    f"{schema}.{name}",
                    fk.columns,
                    f"{fk.ref_table[0]}.{fk.ref_table[1]}",
                    fk.ref_columns,
                    indexed,
                    optional,
                )
            )
    return _known_targets(erd)


def _known_targets(erd: Erd) -> Erd:
    """Drop edges to tables the diagram does not know (e.g. outside the workspace)."""
    keys = {table.key for table in erd.tables}
    erd.edges = [edge for edge in erd.edges if edge.target in keys]
    return erd


# --- renderers ---------------------------------------------------------------------------------


def edge_label(edge: ErdEdge) -> str:
    coverage = "indexed" if edge.indexed else "NOT indexed"
    return f"{', '.join(edge.columns)} ({coverage})"


def _mermaid_id(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", key.removeprefix(f"{DEFAULT_SCHEMA}."))


def _mermaid_type(type_name: str) -> str:
    text = type_name.replace(",", "_").replace(" ", "_")
    return re.sub(r"[^A-Za-z0-9_()\[\]]", "_", text) or "unknown"


def to_mermaid(erd: Erd) -> str:
    """A Mermaid ``erDiagram``: one entity per table, one relationship per foreign key."""
    lines = ["erDiagram"]
    for table in erd.tables:
        ident = _mermaid_id(table.key)
        alias = f'["{table.label}"]' if table.label != ident else ""
        lines.append(f"    {ident}{alias} {{")
        for column in table.columns:
            keys = ",".join(
                key
                for key, present in (("PK", column.primary_key), ("FK", column.foreign_key))
                if present
            )
            name = re.sub(r"[^A-Za-z0-9_]", "_", column.name)
            lines.append(f"        {_mermaid_type(column.type)} {name}{f' {keys}' if keys else ''}")
        lines.append("    }")
    for edge in erd.edges:
        left = "|o" if edge.optional else "||"
        lines.append(
            f"    {_mermaid_id(edge.target)} {left}--o{{ {_mermaid_id(edge.source)} : "
            f'"{edge_label(edge)}"'
        )
    return "\n".join(lines) + "\n"


def _dot_id(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(erd: Erd) -> str:
    """A Graphviz digraph with an HTML-like table per entity; unindexed FKs are drawn red."""
    lines = [
        "digraph erd {",
        "    graph [rankdir=LR, fontname=Helvetica];",
        "    node [shape=plaintext, fontname=Helvetica];",
        "    edge [fontname=Helvetica, fontsize=10];",
    ]
    for table in erd.tables:
        rows = [
            f'<tr><td bgcolor="lightgrey" colspan="2"><b>{html.escape(table.label)}</b></td></tr>'
        ]
        for column in table.columns:
            marks = " ".join(
                key
                for key, present in (("PK", column.primary_key), ("FK", column.foreign_key))
                if present
            )
            name = html.escape(column.name) + (f" <i>{marks}</i>" if marks else "")
            rows.append(
                f'<tr><td align="left" port="{html.escape(column.name, quote=True)}">{name}'
                f'</td><td align="left">{html.escape(column.type)}</td></tr>'
            )
        body = "".join(rows)
        lines.append(
            f'    {_dot_id(table.key)} [label=<<table border="0" cellborder="1" '
            f'cellspacing="0">{body}</table>>];'
        )
    for edge in erd.edges:
        color = "black" if edge.indexed else "red"
        label = edge_label(edge).replace('"', '\\"')
        lines.append(
            f"    {_dot_id(edge.source)} -> {_dot_id(edge.target)} "
            f'[label="{label}", color={color}, fontcolor={color}];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(dot_source: str) -> str:
    """Render DOT to SVG with Graphviz ``dot``."""
    binary = shutil.which("dot")
    if binary is None:
        raise ErdError("SVG output needs Graphviz `dot` (Debian: apt-get install graphviz)")
    try:
        result = subprocess.run(
            [binary, "-Tsvg"],
            input=dot_source,
            capture_output=True,
            text=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ErdError(f"Graphviz `dot` did not finish in {DOT_TIMEOUT} s") from None
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()[0] if result.stderr.strip() else "failed"
        raise ErdError(f"Graphviz `dot` failed: {message}")
    return result.stdout


def render(erd: Erd, fmt: str) -> str:
    if fmt == "mermaid":
        return to_mermaid(erd)
    if fmt == "dot":
        return to_dot(erd)
    if fmt == "svg":
        return to_svg(to_dot(erd))
    raise ErdError(f"unknown ERD format `{fmt}` (mermaid, dot or svg)")
