"""Column types in Postgres' own spelling (as ``format_type`` prints them)."""

from __future__ import annotations

from sqlglot import exp

from dbsense.analyzers.ir import Span, TypeRef

_CANONICAL = {
    "INT": "integer",
    "BIGINT": "bigint",
    "SMALLINT": "smallint",
    "SERIAL": "serial",
    "BIGSERIAL": "bigserial",
    "SMALLSERIAL": "smallserial",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMPNTZ": "timestamp without time zone",
    "TIMESTAMPTZ": "timestamp with time zone",
    "TIMESTAMPLTZ": "timestamp with time zone",
    "TIME": "time without time zone",
    "TIMETZ": "time with time zone",
    "DATE": "date",
    "INTERVAL": "interval",
    "VARCHAR": "character varying",
    "NVARCHAR": "character varying",
    "CHAR": "character",
    "NCHAR": "character",
    "TEXT": "text",
    "BOOLEAN": "boolean",
    "JSON": "json",
    "JSONB": "jsonb",
    "UUID": "uuid",
    "DECIMAL": "numeric",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "VARBINARY": "bytea",
    "BINARY": "bytea",
    "INET": "inet",
    "CIDR": "cidr",
    "MONEY": "money",
    "XML": "xml",
    "BIT": "bit",
    "VARBIT": "bit varying",
    "TSVECTOR": "tsvector",
    "HSTORE": "hstore",
    "INT4RANGE": "int4range",
    "INT8RANGE": "int8range",
    "TSRANGE": "tsrange",
    "TSTZRANGE": "tstzrange",
    "DATERANGE": "daterange",
    "NUMRANGE": "numrange",
    "OID": "oid",
    "NAME": "name",
    "GEOMETRY": "geometry",
    "GEOGRAPHY": "geography",
    "VECTOR": "vector",
}

# Spellings that tell apart types sqlglot folds together.
SERIAL_WORDS = {"serial4": "serial", "serial8": "bigserial", "serial2": "smallserial"}

INTEGER_TYPES = frozenset({"smallint", "integer", "bigint", "serial", "bigserial", "smallserial"})
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial"})
SERIAL_BASE = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}


def type_ref(data_type: exp.DataType, raw: str, span: Span) -> TypeRef:
    """Describe ``data_type`` (written as ``raw`` at ``span``) in Postgres terms."""
    array = False
    node = data_type
    while node.this == exp.DataType.Type.ARRAY and node.expressions:
        array = True
        inner = node.expressions[0]
        if not isinstance(inner, exp.DataType):
            break
        node = inner
    key = node.this.name if isinstance(node.this, exp.DataType.Type) else str(node.this)
    word = raw.strip().split("(")[0].split("[")[0].strip().lower()
    if word in SERIAL_WORDS:
        name = SERIAL_WORDS[word]
    elif key == "USERDEFINED":
        kind = node.args.get("kind")
        name = (kind.name if isinstance(kind, exp.Expression) else kind or word).lower().strip('"')
    else:
        name = _CANONICAL.get(key, word or key.lower())
    args = tuple(_param_text(param) for param in node.expressions)
    return TypeRef(
        name=name, raw=raw, span=span, args=args, array=array or raw.rstrip().endswith("]")
    )


def _param_text(param: exp.Expression) -> str:
    inner = param.this if isinstance(param, exp.DataTypeParam) else param
    return expression_sql(inner) if isinstance(inner, exp.Expression) else str(inner)


def expression_sql(node: exp.Expression) -> str:
    """``node`` as Postgres SQL. Plain literals (type parameters, most defaults) are spelled
    directly: the same text as sqlglot's generator, which copies the tree and builds a
    generator on every call (8% of a cold check)."""
    cls = type(node)
    if node.comments:
        return node.sql(dialect="postgres")
    if cls is exp.Literal:
        text = node.this or ""
        if not node.is_string:
            return text
        if text.isprintable() and "\\" not in text:
            return "'" + text.replace("'", "''") + "'"
    if cls is exp.Boolean:
        return "TRUE" if node.this else "FALSE"
    if cls is exp.Null:
        return "NULL"
    return node.sql(dialect="postgres")


def formatted(type_: TypeRef) -> str:
    """The type as ``format_type`` prints it (``character varying(20)``, ``integer[]``)."""
    base = SERIAL_BASE.get(type_.name, type_.name)
    if type_.args and base not in {"timestamp without time zone", "timestamp with time zone"}:
        base = f"{base}({','.join(type_.args)})"
    elif type_.args:
        head, _, tail = base.partition(" ")
        base = f"{head}({','.join(type_.args)}) {tail}"
    return base + ("[]" if type_.array else "")
