"""Deterministic generator of large, realistic PostgreSQL migration histories.

``python -m bench.generate --statements 50000 --out DIR`` writes Flyway-named migrations
(``DIR/migrations/V<n>__<name>.sql``) that build hundreds or thousands of tables across a few
schemas, with identity/serial/composite/missing primary keys, enums, partitioned tables, inline
and table-level foreign keys, plain/unique/partial/expression/INCLUDE/hash/GIN indexes (some
duplicate or redundant on purpose), views and functions; later migrations alter earlier tables
(columns, NOT VALID foreign keys validated in the next file, promoted primary keys, dropped and
renamed indexes, renamed columns, type and nullability changes) and mix in some DML.

Every statement runs on PostgreSQL 15 in file order, one statement at a time in autocommit
mode (``CREATE INDEX CONCURRENTLY`` included): the catalog oracle test loads the output into a
real server. The same seed always gives the same files.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field
from pathlib import Path

SCHEMAS = ("public", "billing", "inventory")
WORDS = [
    "account",
    "customer",
    "order",
    "invoice",
    "payment",
    "shipment",
    "product",
    "variant",
    "price",
    "stock",
    "warehouse",
    "supplier",
    "refund",
    "coupon",
    "review",
    "session",
    "event",
    "audit",
    "note",
    "tag",
    "address",
    "contact",
    "device",
    "ticket",
    "project",
    "task",
    "comment",
    "upload",
    "report",
    "metric",
    "plan",
    "subscription",
    "webhook",
    "token",
    "role",
    "member",
]
TYPES = (
    ("text", "'x'"),
    ("varchar(40)", "'y'"),
    ("integer", "0"),
    ("bigint", "0"),
    ("smallint", "1"),
    ("numeric(12,2)", "0"),
    ("boolean", "false"),
    ("timestamptz", "now()"),
    ("timestamp", None),
    ("date", None),
    ("jsonb", "'{}'"),
    ("uuid", None),
    ("double precision", "0"),
    ("text[]", None),
)


@dataclass
class Table:
    schema: str
    name: str
    columns: dict[str, str]  # name -> type as written
    pk: tuple[str, ...] = ()
    indexes: list[str] = field(default_factory=list)  # names of droppable plain indexes
    partitioned: bool = False
    frozen: set[str] = field(default_factory=set)  # columns a view uses: types stay put

    @property
    def ref(self) -> str:
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"

    def index_ref(self, index: str) -> str:
        return index if self.schema == "public" else f"{self.schema}.{index}"


@dataclass
class Generator:
    seed: int
    target: int
    rng: random.Random = field(init=False)
    tables: list[Table] = field(default_factory=list)
    enums: list[str] = field(default_factory=list)
    files: list[tuple[str, list[str]]] = field(default_factory=list)
    count: int = 0
    pending_validations: list[str] = field(default_factory=list)
    serial: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def unique(self, stem: str) -> str:
        self.serial += 1
        return f"{stem}_{self.serial}"

    # --- files -------------------------------------------------------------------------------

    def run(self) -> list[tuple[str, list[str]]]:
        first = ["CREATE SCHEMA billing;", "CREATE SCHEMA IF NOT EXISTS inventory;"]
        for number in range(3):
            name = f"status_{number}"
            first.append(f"CREATE TYPE {name} AS ENUM ('new', 'active', 'closed');")
            self.enums.append(name)
        first.append(
            "CREATE FUNCTION cents(amount numeric) RETURNS bigint LANGUAGE sql IMMUTABLE "
            "AS $$ SELECT (amount * 100)::bigint $$;"
        )
        self.emit_file("init", first)
        while self.count < self.target:
            statements = self.validations()
            size = self.rng.randint(20, 60)
            while len(statements) < size:
                if len(self.tables) < 8 or self.rng.random() < 0.45:
                    statements.extend(self.create_table())
                else:
                    statements.extend(self.change())
            self.emit_file(self.rng.choice(WORDS) + "s", statements)
        return self.files

    def emit_file(self, slug: str, statements: list[str]) -> None:
        self.count += len(statements)
        self.files.append((f"V{len(self.files) + 1}__{slug}.sql", statements))

    def validations(self) -> list[str]:
        done, self.pending_validations = self.pending_validations, []
        return done

    # --- tables ------------------------------------------------------------------------------

    def create_table(self) -> list[str]:
        rng = self.rng
        schema = rng.choices(SCHEMAS, weights=(6, 2, 2))[0]
        name = self.unique(rng.choice(WORDS))
        table = Table(schema, name, {})
        elements: list[str] = []
        shape = rng.random()
        partitioned = shape > 0.97
        if partitioned:
            table.columns = {"id": "bigint", "created_on": "date"}
            elements += ["id bigint NOT NULL", "created_on date NOT NULL"]
            table.pk = ("id", "created_on")
            elements.append("PRIMARY KEY (id, created_on)")
        elif shape < 0.55:
            table.columns["id"] = "bigint"
            elements.append("id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
            table.pk = ("id",)
        elif shape < 0.75:
            table.columns["id"] = "bigserial"
            elements.append("id bigserial PRIMARY KEY")
            table.pk = ("id",)
        elif shape < 0.85:
            table.columns["id"] = "integer"
            elements.append("id integer NOT NULL")  # primary key maybe added later
        else:
            table.columns["id"] = "bigint"
            elements.append("id bigint NOT NULL")
            table.columns["part"] = "integer"
            elements.append("part integer NOT NULL")
            table.pk = ("id", "part")
            elements.append(f"CONSTRAINT {name}_pk PRIMARY KEY (id, part)")
        statements: list[str] = []
        for _ in range(rng.randint(0, 3)):
            target = self.parent()
            if target is None:
                break
            column = self.unique(target.name.split("_")[0] + "_ref")
            table.columns[column] = "bigint"
            if rng.random() < 0.5:
                elements.append(f"{column} bigint REFERENCES {target.ref} (id)")
            else:
                elements.append(f"{column} bigint")
                elements.append(
                    f"CONSTRAINT {name}_{column}_fk FOREIGN KEY ({column}) REFERENCES {target.ref}"
                )
        for _ in range(rng.randint(2, 7)):
            column = self.unique(rng.choice(WORDS))
            type_, default = rng.choice(TYPES)
            if rng.random() < 0.08 and self.enums:
                type_, default = rng.choice(self.enums), "'new'"
            table.columns[column] = type_
            text = f"{column} {type_}"
            if rng.random() < 0.4:
                text += " NOT NULL"
            if default and rng.random() < 0.3:
                text += f" DEFAULT {default}"
            if type_ == "integer" and rng.random() < 0.2:
                text += f" CHECK ({column} >= 0)"
            if type_ == "text" and rng.random() < 0.1 and not partitioned:
                text += " UNIQUE"
            elements.append(text)
        body = ",\n    ".join(elements)
        suffix = " PARTITION BY RANGE (created_on)" if partitioned else ""
        qualified = table.ref
        if schema != "public" and rng.random() < 0.3:
            statements.append(f"SET search_path TO {schema}, public;")
            qualified = name
        statements.append(f"CREATE TABLE {qualified} (\n    {body}\n){suffix};")
        if qualified == name and schema != "public":
            statements.append("SET search_path TO public;")
        table.partitioned = partitioned
        self.tables.append(table)
        if partitioned:
            for year in (2023, 2024):
                statements.append(
                    f"CREATE TABLE {table.ref}_{year} PARTITION OF {table.ref} "
                    f"FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01');"
                )
        statements.extend(self.indexes(table))
        if rng.random() < 0.05:
            table.frozen.update(list(table.columns)[:3])
            columns = ", ".join(list(table.columns)[:3])
            view = self.unique("v_" + name.split("_")[0])
            statements.append(f"CREATE VIEW {view} AS SELECT {columns} FROM {table.ref};")
        return statements

    def parent(self) -> Table | None:
        candidates = [t for t in self.tables[-200:] if t.pk == ("id",) and not t.partitioned]
        return self.rng.choice(candidates) if candidates else None

    def indexes(self, table: Table) -> list[str]:
        rng = self.rng
        statements = []
        columns = [c for c, t in table.columns.items() if t not in ("jsonb", "text[]")]
        refs = [c for c in table.columns if c.endswith(("_ref",)) or "_ref_" in c]
        for column in refs:
            if rng.random() < 0.7:
                statements.append(self.index(table, [column]))
        for _ in range(rng.randint(0, 3)):
            keys = rng.sample(columns, k=min(len(columns), rng.randint(1, 3)))
            kind = rng.random()
            if kind < 0.1:
                statements.append(self.index(table, keys))
                statements.append(self.index(table, keys))  # a duplicate
            elif kind < 0.2 and len(keys) > 1:
                statements.append(self.index(table, keys))
                statements.append(self.index(table, keys[:1]))  # a redundant prefix
            elif kind < 0.3:
                statements.append(self.index(table, keys, where=f"{keys[0]} IS NOT NULL"))
            elif kind < 0.38 and not table.partitioned:
                statements.append(self.index(table, keys, unique=True))
            elif kind < 0.45:
                texts = [c for c, t in table.columns.items() if t == "text"]
                if texts:
                    statements.append(self.index(table, [f"(lower({texts[0]}))"], named=False))
            elif kind < 0.5 and len(keys) > 1 and not table.partitioned:
                statements.append(self.index(table, keys[:1], include=keys[1:]))
            elif kind < 0.55:
                statements.append(self.index(table, [f"{keys[0]} DESC"]))
            elif kind < 0.6:
                jsons = [c for c, t in table.columns.items() if t == "jsonb"]
                if jsons:
                    statements.append(self.index(table, [jsons[0]], method="gin"))
            else:
                statements.append(self.index(table, keys, named=rng.random() < 0.7))
        return statements

    def index(
        self,
        table: Table,
        keys: list[str],
        *,
        unique: bool = False,
        where: str | None = None,
        include: list[str] | None = None,
        method: str | None = None,
        named: bool = True,
    ) -> str:
        name = self.unique(f"{table.name}_idx") if named else None
        if named and not unique:
            table.indexes.append(name)
        head = "CREATE UNIQUE INDEX" if unique else "CREATE INDEX"
        using = f" USING {method}" if method else ""
        text = f"{head} {name + ' ' if name else ''}ON {table.ref}{using} ({', '.join(keys)})"
        if include:
            text += f" INCLUDE ({', '.join(include)})"
        if where:
            text += f" WHERE {where}"
        return text + ";"

    # --- later changes -------------------------------------------------------------------------

    def change(self) -> list[str]:
        rng = self.rng
        table = rng.choice(self.tables)
        kind = rng.random()
        if kind < 0.2:
            column = self.unique("extra")
            table.columns[column] = "text"
            return [f"ALTER TABLE {table.ref} ADD COLUMN {column} text;"]
        if kind < 0.3:
            target = self.parent()
            if target is None or target is table:
                return []
            column = self.unique(target.name.split("_")[0] + "_ref")
            table.columns[column] = "bigint"
            constraint = f"{table.name}_{column}_fk"
            # Postgres cannot add a NOT VALID foreign key to a partitioned table.
            not_valid = "" if table.partitioned else " NOT VALID"
            if not table.partitioned:
                self.pending_validations.append(
                    f"ALTER TABLE {table.ref} VALIDATE CONSTRAINT {constraint};"
                )
            statements = [
                f"ALTER TABLE {table.ref} ADD COLUMN {column} bigint;",
                f"ALTER TABLE {table.ref} ADD CONSTRAINT {constraint} FOREIGN KEY ({column}) "
                f"REFERENCES {target.ref} (id){not_valid};",
            ]
            if rng.random() < 0.6 and not table.partitioned:
                statements.append(
                    f"CREATE INDEX CONCURRENTLY {self.unique(table.name + '_idx')} "
                    f"ON {table.ref} ({column});"
                )
            return statements
        if kind < 0.38 and not table.pk:
            table.pk = ("id",)
            if rng.random() < 0.5:
                index = self.unique(f"{table.name}_key")
                return [
                    f"CREATE UNIQUE INDEX {index} ON {table.ref} (id);",
                    f"ALTER TABLE {table.ref} ADD CONSTRAINT {index} PRIMARY KEY USING INDEX "
                    f"{index};",
                ]
            return [f"ALTER TABLE {table.ref} ADD PRIMARY KEY (id);"]
        if kind < 0.48 and table.indexes:
            index = table.indexes.pop(rng.randrange(len(table.indexes)))
            if rng.random() < 0.3:
                new = self.unique(f"{table.name}_idx")
                table.indexes.append(new)
                return [f"ALTER INDEX {table.index_ref(index)} RENAME TO {new};"]
            return [f"DROP INDEX {table.index_ref(index)};"]
        plain = [c for c in table.columns if c not in (*table.pk, "id") and "_ref" not in c]
        if kind < 0.56 and plain:
            old = rng.choice(plain)
            new = self.unique("renamed")
            table.columns = {(new if c == old else c): t for c, t in table.columns.items()}
            return [f"ALTER TABLE {table.ref} RENAME COLUMN {old} TO {new};"]
        if kind < 0.64 and plain:
            column = rng.choice(plain)
            if table.columns[column] == "integer" and column not in table.frozen:
                table.columns[column] = "bigint"
                return [f"ALTER TABLE {table.ref} ALTER COLUMN {column} TYPE bigint;"]
            return [f"ALTER TABLE {table.ref} ALTER COLUMN {column} DROP NOT NULL;"]
        if kind < 0.72:
            return self.indexes(table)
        if kind < 0.8 and "id" in table.columns and not table.partitioned:
            return [f"DELETE FROM {table.ref} WHERE id = -1;"]
        if kind < 0.88:
            return [f"SELECT count(*) FROM {table.ref};"]
        if kind < 0.92:
            return ["SET lock_timeout = '5s';"]
        return [f"COMMENT ON TABLE {table.ref} IS 'generated';"]


def generate(statements: int, out: Path, seed: int = 7) -> list[Path]:
    """Write a workspace of about ``statements`` statements under ``out``; the file paths."""
    directory = out / "migrations"
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in Generator(seed, statements).run():
        path = directory / name
        path.write_text("\n".join(body) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    files = generate(args.statements, args.out, args.seed)
    print(f"wrote {len(files)} migration files to {args.out / 'migrations'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
