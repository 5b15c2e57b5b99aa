"""Hypothesis strategies for the statement shapes the SQL shortcuts read, and their near misses.

The strategies mix the shapes the shortcuts accept with what lies just outside them (keywords
as names, quoted names, rare types and options, longer expressions, stray words) and vary the
layout, so a differential test sees both sides of every decision a shortcut makes.
"""

from __future__ import annotations

from hypothesis import strategies as st

_BLANK = st.sampled_from([" ", " ", " ", " ", "  ", "\n", "\n    ", "\t", " \n  ", "\r\n  "])
_PLAIN_NAMES = ["a", "b", "id", "Orders", "user_id", "x1", "_t", "amount", "t", "s", "app"]
_KEYWORD_NAMES = [
    "date", "type", "name", "key", "status", "value", "user", "order", "comment", "level",
    "position", "time", "text", "index", "table", "primary", "default", "check", "first",
    "to", "on", "using", "valid", "zone", "data", "column", "constraint", "action", "no",
]  # fmt: skip
_QUOTED_NAMES = ['"Mixed"', '"with space"', '"quo""te"', '"select"', '"TYPE"', '"a"', '"é"']
NAME = st.one_of(
    st.sampled_from(_PLAIN_NAMES),
    st.sampled_from(_PLAIN_NAMES).map(str.upper),
    st.sampled_from(_KEYWORD_NAMES),
    st.sampled_from(_QUOTED_NAMES),
)
QUALIFIED = st.one_of(
    NAME, st.tuples(NAME, NAME).map(".".join), st.tuples(NAME, NAME, NAME).map(".".join)
)
TYPE = st.sampled_from(
    [
        "int", "integer", "INT4", "int2", "int8", "smallint", "bigint", "serial", "serial4",
        "bigserial", "serial8", "smallserial", "text", "TEXT", "varchar", "varchar(40)",
        "character varying(255)", "char varying(3)", "char(2)", "character", "bpchar",
        "boolean", "bool", "date", "timestamp", "timestamp(3)", "timestamptz",
        "timestamp with time zone", "timestamp  without time zone", "time", "timetz(2)",
        "time with time zone", "interval", "interval day", "numeric", "numeric(12,2)",
        "numeric(12, 2)", "decimal(5)", "real", "float4", "float8", "float", "float(10)",
        "double precision", "double  precision", "json", "json(3)", "jsonb", "uuid", "bytea",
        "inet", "cidr", "money", "xml", "tsvector", "hstore", "citext", "int4range",
        "daterange", "oid", "regclass", "name", "bit(3)", "bit varying(5)", "varbit", "point",
        "geometry", "geometry(Point, 4326)", "vector(3)", "ltree", "status_1", "MyType",
        '"MyType"', "app.mood", "text[]", "int[][]", "varchar(40)[]", "integer[3]",
        "int ARRAY", "int(3)", "varchar(x)", "numeric(1,2,3)",
    ]
)  # fmt: skip
LITERAL = st.sampled_from(
    ["0", "1", "12", "1.5", "1.", "007", "-1", "- 2", "-1.5", "'x'", "'it''s'", "''", "'{}'",
     "'a b'", "true", "FALSE", "null", "NULL", "'tab\there'"]
)  # fmt: skip
DEFAULT = st.one_of(
    LITERAL,
    st.sampled_from(
        ["now()", "NOW()", "now( )", "CURRENT_TIMESTAMP", "current_date", "localtimestamp",
         "gen_random_uuid()", "uuid_generate_v4()", "nextval('s'::regclass)",
         "nextval('app.t_id_seq'::regclass)", "'{}'::jsonb", "'x'::text", "0::bigint",
         "'a'::character varying", "'x'::varchar(3)", "'[]'::json", "'x'::\"MyT\"", "(0)",
         "((1))", "1 + 2", "'a' || 'b'", "lower('X')", "coalesce(1, 2)", "-1::int", "+1",
         "ARRAY[]::text[]", "'2020-01-01'::date", "CURRENT_TIMESTAMP(3)", "now()::date",
         "length('x')", "my_func(1, 'a')", "schema.func()", "(now())"]
    ),
)  # fmt: skip
_COMPARE = st.sampled_from(["=", "<>", "!=", "<", "<=", ">", ">=", "==", "IS", "LIKE", "IN"])


def _compared(parts: tuple[str, str, str]) -> str:
    left, operator, right = parts
    right = {"IN": "(1, 2)", "IS": "NULL"}.get(operator, right)
    return f"{left} {operator} {right}"


def _comparison(draw_name: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    operand = st.one_of(
        draw_name,
        LITERAL,
        st.sampled_from(["lower(a)", "upper(b)", "a::text", "length(a)", "t.a", "now()"]),
    )
    return st.one_of(
        st.tuples(operand, _COMPARE, operand).map(_compared),
        st.tuples(draw_name, st.sampled_from(["IS NULL", "IS NOT NULL", "is not null"])).map(
            " ".join
        ),
        st.tuples(operand, _COMPARE, operand, _COMPARE, operand).map(" ".join),
    )


COLUMN_NAME = st.one_of(st.sampled_from(["a", "b", "id", "Amount", "x1"]), NAME)
CONDITION = st.recursive(
    _comparison(COLUMN_NAME),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR", "and"]), inner).map(" ".join),
        inner.map(lambda c: f"NOT {c}"),
        inner.map(lambda c: f"({c})"),
    ),
    max_leaves=4,
)
_ACTION = st.sampled_from(
    ["CASCADE", "RESTRICT", "NO ACTION", "SET NULL", "SET DEFAULT", "set null", "SET NULL (a)"]
)
_OPTIONS = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["ON DELETE", "ON UPDATE", "on delete", "ON INSERT"]), _ACTION
        ).map(" ".join),
        st.sampled_from(["MATCH FULL", "DEFERRABLE", "INITIALLY DEFERRED", "NOT DEFERRABLE"]),
    ),
    max_size=2,
).map(" ".join)
REFERENCES = st.tuples(
    QUALIFIED, st.sampled_from(["", " (id)", "(id)", " (a, b)", ' ("Id")']), _OPTIONS
).map(lambda p: f"REFERENCES {p[0]}{p[1]} {p[2]}".rstrip())
COLUMN_CONSTRAINT = st.one_of(
    st.sampled_from(["NOT NULL", "not null", "NULL", "PRIMARY KEY", "UNIQUE", "primary  key"]),
    DEFAULT.map(lambda d: f"DEFAULT {d}"),
    REFERENCES,
    CONDITION.map(lambda c: f"CHECK ({c})"),
    st.sampled_from(
        ["GENERATED ALWAYS AS IDENTITY", "GENERATED BY DEFAULT AS IDENTITY",
         "GENERATED ALWAYS AS IDENTITY (START WITH 10)", "GENERATED ALWAYS AS (a + 1) STORED",
         "COLLATE \"C\"", "UNIQUE NULLS NOT DISTINCT", "PRIMARY KEY DEFERRABLE", "NOT DEFERRABLE",
         "CHECK (a > 0) NO INHERIT", "DEFAULT", "REFERENCES", "NOT VALID", "UNIQUE (a)"]
    ),
)  # fmt: skip
NAMED_COLUMN_CONSTRAINT = st.one_of(
    COLUMN_CONSTRAINT,
    st.tuples(NAME, COLUMN_CONSTRAINT).map(lambda p: f"CONSTRAINT {p[0]} {p[1]}"),
)
COLUMN = st.tuples(NAME, TYPE, st.lists(NAMED_COLUMN_CONSTRAINT, max_size=3)).map(
    lambda p: " ".join([p[0], p[1], *p[2]])
)
NAMES = st.lists(NAME, min_size=1, max_size=3).map(lambda names: f"({', '.join(names)})")
TABLE_CONSTRAINT_BODY = st.one_of(
    st.tuples(st.sampled_from(["PRIMARY KEY", "UNIQUE", "unique"]), NAMES).map(" ".join),
    st.tuples(st.sampled_from(["PRIMARY KEY", "UNIQUE"]), NAMES, NAMES).map(
        lambda p: f"{p[0]} {p[1]} INCLUDE {p[2]}"
    ),
    st.tuples(NAMES, REFERENCES).map(lambda p: f"FOREIGN KEY {p[0]} {p[1]}"),
    CONDITION.map(lambda c: f"CHECK ({c})"),
    st.sampled_from(
        ["EXCLUDE USING gist (a WITH &&)", "PRIMARY KEY USING INDEX i", "CHECK (1 > 0)",
         "CHECK (lower(a) <> '')", "FOREIGN KEY (a) REFERENCES", "UNIQUE NULLS NOT DISTINCT (a)",
         "PRIMARY KEY (a DESC)", "LIKE other", "LIKE other INCLUDING ALL"]
    ),
)  # fmt: skip
TABLE_CONSTRAINT = st.one_of(
    TABLE_CONSTRAINT_BODY,
    st.tuples(NAME, TABLE_CONSTRAINT_BODY).map(lambda p: f"CONSTRAINT {p[0]} {p[1]}"),
)


@st.composite
def _joined(draw: st.DrawFn, parts: list[str]) -> str:
    """``parts`` joined by random blanks."""
    text = parts[0]
    for part in parts[1:]:
        text += draw(_BLANK) + part
    return text


def _layout(parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[str]:
    return parts.flatmap(_joined)


_ELEMENTS = st.lists(st.one_of(COLUMN, COLUMN, COLUMN, TABLE_CONSTRAINT), min_size=1, max_size=5)
_TRAILER = st.sampled_from(
    ["", "", "", "", "PARTITION BY RANGE (a)", "PARTITION BY list (a, b)", "PARTITION BY HASH (a)",
     "PARTITION BY RANGE (lower(a))", "PARTITION BY RANGE (a) WITH (x = 1)",
     "WITH (fillfactor = 70)", "TABLESPACE x", "INHERITS (p)", ";", "; ", "junk"]
)  # fmt: skip
_BOUNDS = st.sampled_from(
    ["DEFAULT", "FOR VALUES IN (1, 2)", "FOR VALUES IN ('a')", "FOR VALUES FROM (1) TO (10)",
     "FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')", "FOR VALUES FROM (MINVALUE) TO (5)",
     "FOR VALUES WITH (MODULUS 4, REMAINDER 0)", "FOR VALUES IN (-1)", "(PRIMARY KEY (a)) DEFAULT",
     "FOR VALUES FROM (1, 'a') TO (2, 'b')", "DEFAULT PARTITION BY RANGE (a)"]
)  # fmt: skip
PARTITION_OF = _layout(
    st.tuples(st.sampled_from(["CREATE TABLE", "CREATE TABLE IF NOT EXISTS"]), QUALIFIED,
              st.just("PARTITION OF"), QUALIFIED, _BOUNDS).map(list)
)  # fmt: skip
CREATE_TABLE = _layout(
    st.tuples(
        st.sampled_from(["CREATE TABLE", "create table", "CREATE TABLE IF NOT EXISTS",
                         "CREATE TEMP TABLE", "CREATE UNLOGGED TABLE"]),
        QUALIFIED,
        _ELEMENTS.map(lambda e: "(" + ",\n    ".join(e) + "\n)"),
        _TRAILER,
    ).map(list)
)  # fmt: skip
INDEX_KEY = st.tuples(
    st.one_of(
        NAME,
        st.sampled_from(
            ["lower(a)", "(lower(a))", "(upper(\"B\"))", "(a + 1)", "(a::text)", "my_fn(a)",
             "coalesce(a, b)", "(a)", "a text_pattern_ops", "a COLLATE \"C\"", "now()",
             "CURRENT_TIMESTAMP", "(a = 1)", "(a IS NULL)", "length(a)", "t.a"]
        ),
    ),
    st.sampled_from(["", "", "ASC", "DESC", "DESC NULLS LAST", "NULLS FIRST", "desc nulls first",
                     "ASC NULLS LAST", "NULLS"]),
).map(lambda p: f"{p[0]} {p[1]}".rstrip())  # fmt: skip
CREATE_INDEX = _layout(
    st.tuples(
        st.sampled_from(["CREATE", "create"]),
        st.sampled_from(["", "UNIQUE"]),
        st.sampled_from(["INDEX", "index"]),
        st.sampled_from(["", "", "CONCURRENTLY", "IF NOT EXISTS", "CONCURRENTLY IF NOT EXISTS"]),
        st.one_of(st.just(""), NAME, NAME),
        st.sampled_from(["ON", "ON", "ON ONLY"]),
        QUALIFIED,
        st.sampled_from(["", "", "USING btree", "USING gin", "USING HASH", 'USING "gist"']),
        st.lists(INDEX_KEY, min_size=1, max_size=3).map(lambda k: "(" + ", ".join(k) + ")"),
        st.one_of(st.just(""), NAMES.map(lambda n: f"INCLUDE {n}")),
        st.one_of(st.just(""), st.just(""), CONDITION.map(lambda c: f"WHERE {c}")),
        st.sampled_from(["", "", ";", "WITH (fillfactor = 70)", "NULLS NOT DISTINCT"]),
    ).map(lambda parts: [part for part in parts if part])
)
ALTER_ACTION = st.one_of(
    st.tuples(st.sampled_from(["ADD", "ADD COLUMN", "add column", "ADD COLUMN IF NOT EXISTS"]),
              COLUMN).map(" ".join),
    TABLE_CONSTRAINT.map(lambda c: f"ADD {c}"),
    st.tuples(
        st.sampled_from(["ALTER COLUMN", "ALTER", "alter column"]),
        NAME,
        st.one_of(
            st.sampled_from(["DROP DEFAULT", "SET NOT NULL", "DROP NOT NULL", "drop not null",
                             "SET STATISTICS 100", "SET STORAGE PLAIN",
                             "ADD GENERATED ALWAYS AS IDENTITY"]),
            DEFAULT.map(lambda d: f"SET DEFAULT {d}"),
            st.tuples(st.sampled_from(["TYPE", "SET DATA TYPE", "type"]), TYPE,
                      st.sampled_from(["", "", "USING a::bigint", "USING (a)", "USING lower(a)",
                                       "COLLATE \"C\""])).map(lambda p: " ".join(p).rstrip()),
        ),
    ).map(" ".join),
    st.tuples(
        st.sampled_from(["DROP COLUMN", "DROP CONSTRAINT", "DROP", "drop column",
                         "DROP COLUMN IF EXISTS", "DROP CONSTRAINT IF EXISTS"]),
        NAME,
        st.sampled_from(["", "", "CASCADE", "RESTRICT"]),
    ).map(lambda p: " ".join(p).rstrip()),
)  # fmt: skip
ALTER_TABLE = _layout(
    st.tuples(
        st.sampled_from(["ALTER TABLE", "alter table", "ALTER TABLE IF EXISTS", "ALTER TABLE ONLY",
                         "ALTER TABLE IF EXISTS ONLY"]),
        QUALIFIED,
        st.one_of(
            st.lists(ALTER_ACTION, min_size=1, max_size=3).map(", ".join),
            st.tuples(TABLE_CONSTRAINT, st.sampled_from(["NOT VALID", "not valid"])).map(
                lambda p: f"ADD {p[0]} {p[1]}"
            ),
            st.tuples(NAME, NAME).map(lambda p: f"RENAME COLUMN {p[0]} TO {p[1]}"),
            st.tuples(NAME, NAME).map(lambda p: f"RENAME {p[0]} TO {p[1]}"),
            NAME.map(lambda n: f"RENAME TO {n}"),
            st.tuples(NAME, NAME).map(lambda p: f"RENAME CONSTRAINT {p[0]} TO {p[1]}"),
            NAME.map(lambda n: f"OWNER TO {n}"),
            NAME.map(lambda n: f"VALIDATE CONSTRAINT {n}"),
            st.sampled_from(["ENABLE ROW LEVEL SECURITY", "SET SCHEMA x", "ATTACH PARTITION p",
                             "ADD CONSTRAINT c PRIMARY KEY USING INDEX i", "OWNER TO"]),
        ),
        st.sampled_from(["", "", ";", "junk"]),
    ).map(lambda parts: [part for part in parts if part])
)  # fmt: skip
OTHER = _layout(
    st.one_of(
        st.tuples(st.sampled_from(["ALTER INDEX", "ALTER INDEX IF EXISTS"]), QUALIFIED,
                  st.sampled_from(["RENAME TO", "rename to", "SET TABLESPACE"]), QUALIFIED),
        st.tuples(st.sampled_from(["DROP INDEX", "DROP INDEX CONCURRENTLY", "DROP INDEX IF EXISTS",
                                   "DROP INDEX CONCURRENTLY IF EXISTS", "DROP TABLE",
                                   "DROP TABLE IF EXISTS", "drop table"]),
                  st.lists(QUALIFIED, min_size=1, max_size=2).map(", ".join),
                  st.sampled_from(["", "CASCADE", "RESTRICT", ";"])),
        st.tuples(st.sampled_from(["SET", "SET LOCAL", "SET SESSION", "set"]), NAME,
                  st.sampled_from(["=", "TO", "to", ""]),
                  st.lists(st.one_of(NAME, LITERAL), min_size=1, max_size=3).map(", ".join)),
        st.tuples(st.sampled_from(["COMMENT ON"]),
                  st.sampled_from(["TABLE", "COLUMN", "INDEX", "VIEW", "SEQUENCE", "SCHEMA",
                                   "FUNCTION", "TYPE"]),
                  QUALIFIED, st.sampled_from(["IS", "is"]),
                  st.sampled_from(["'x'", "'it''s'", "NULL", "''", "E'a'"])),
        st.tuples(st.sampled_from(["CREATE SEQUENCE", "CREATE SEQUENCE IF NOT EXISTS",
                                   "ALTER SEQUENCE", "ALTER SEQUENCE IF EXISTS"]),
                  QUALIFIED,
                  st.lists(st.sampled_from(
                      ["START WITH 1", "START 5", "INCREMENT BY 1", "INCREMENT -2", "NO MINVALUE",
                       "NO MAXVALUE", "MINVALUE -5", "MAXVALUE 10", "CACHE 1", "CYCLE", "NO CYCLE",
                       "AS bigint", "OWNED BY t.id", "OWNED BY s.t.id", "OWNED BY NONE",
                       "RESTART", "RESTART WITH 10", "OWNED BY t", "START WITH x"]),
                      max_size=4).map(" ".join)),
        st.tuples(st.sampled_from(["GRANT", "REVOKE"]),
                  st.sampled_from(["SELECT", "SELECT, INSERT", "ALL", "ALL PRIVILEGES", "USAGE",
                                   "select , update", "EXECUTE", "SELECT (a)"]),
                  st.sampled_from(["ON", "ON TABLE", "ON SCHEMA", "ON ALL TABLES IN SCHEMA",
                                   "ON SEQUENCE"]),
                  st.lists(QUALIFIED, min_size=1, max_size=2).map(", ".join),
                  st.sampled_from(["TO", "FROM"]),
                  st.lists(NAME, min_size=1, max_size=2).map(", ".join),
                  st.sampled_from(["", "", "WITH GRANT OPTION", "CASCADE"])),
    ).map(lambda parts: [part for part in parts if part])
)  # fmt: skip
STATEMENT = st.one_of(CREATE_TABLE, CREATE_INDEX, ALTER_TABLE, OTHER, PARTITION_OF)
SCRIPT = st.lists(STATEMENT, min_size=1, max_size=4).map(lambda s: ";\n".join(s) + ";\n")
