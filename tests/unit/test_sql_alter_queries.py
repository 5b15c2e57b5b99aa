"""Facts from ALTER TABLE sub-commands, DROP statements and queries (analyzers/sql)."""

from __future__ import annotations

from dbsense.analyzers.ir import (
    AlterColumnDefaultFact,
    AlterColumnNullFact,
    AlterColumnTypeFact,
    ComparisonFact,
    DropColumnFact,
    DropConstraintFact,
    DropIndexFact,
    DropTableFact,
    OffsetFact,
    QualifiedName,
    QueryFact,
    RenameColumnFact,
    RenameTableFact,
    SelectStarFact,
    ValidateConstraintFact,
)
from dbsense.analyzers.sql.frontend import analyze_sql


def facts(sql: str, kind: type) -> list:
    return [fact for fact in analyze_sql(sql).facts if isinstance(fact, kind)]


def text_of(sql: str, span) -> str:
    return sql[span.start : span.end]


def test_alter_column_forms_become_one_fact_each_with_the_sub_command_span() -> None:
    sql = (
        "ALTER TABLE s.t ALTER COLUMN c TYPE varchar(20) USING c::text, ALTER d SET NOT NULL, "
        "ALTER COLUMN e DROP NOT NULL, ALTER f SET DEFAULT 0, ALTER g DROP DEFAULT;"
    )
    (type_change,) = facts(sql, AlterColumnTypeFact)
    assert type_change.table == QualifiedName("t", "s")
    assert (type_change.column, type_change.type.name, type_change.type.args) == (
        "c",
        "character varying",
        ("20",),
    )
    assert type_change.using is not None
    assert text_of(sql, type_change.action_span) == "ALTER COLUMN c TYPE varchar(20) USING c::text"
    assert text_of(sql, type_change.type.span) == "varchar(20)"
    nulls = facts(sql, AlterColumnNullFact)
    assert [(f.column, f.not_null) for f in nulls] == [("d", True), ("e", False)]
    assert text_of(sql, nulls[0].action_span) == "ALTER d SET NOT NULL"
    defaults = facts(sql, AlterColumnDefaultFact)
    assert [(f.column, f.default) for f in defaults] == [("f", "0"), ("g", None)]


def test_renames_and_drops() -> None:
    sql = (
        'ALTER TABLE t RENAME COLUMN a TO "B";\n'
        "ALTER TABLE t RENAME x TO y;\n"
        "ALTER TABLE t RENAME TO u;\n"
        "ALTER TABLE IF EXISTS ONLY t DROP COLUMN IF EXISTS c CASCADE, DROP d;\n"
        "ALTER TABLE t DROP CONSTRAINT t_fk;\n"
        "DROP TABLE IF EXISTS a, s.b CASCADE;\n"
        "DROP INDEX CONCURRENTLY IF EXISTS i;\n"
    )
    assert [(f.column, f.new_name) for f in facts(sql, RenameColumnFact)] == [
        ("a", "B"),
        ("x", "y"),
    ]
    assert [f.new_name for f in facts(sql, RenameTableFact)] == ["u"]
    drops = facts(sql, DropColumnFact)
    assert [(f.column, f.cascade, f.if_exists) for f in drops] == [
        ("c", True, True),
        ("d", False, False),
    ]
    assert text_of(sql, drops[1].action_span) == "DROP d"
    assert [f.name for f in facts(sql, DropConstraintFact)] == ["t_fk"]
    tables = facts(sql, DropTableFact)
    assert [(f.table, text_of(sql, f.action_span), f.cascade) for f in tables] == [
        (QualifiedName("a"), "a", True),
        (QualifiedName("b", "s"), "s.b", True),
    ]
    (index,) = facts(sql, DropIndexFact)
    assert (index.index, index.concurrently, index.if_exists) == (QualifiedName("i"), True, True)


def test_tables_created_in_the_unit_are_marked_and_follow_renames() -> None:
    sql = (
        "CREATE TABLE n (id int);\n"
        "ALTER TABLE n RENAME TO m;\n"
        "ALTER TABLE m DROP COLUMN id;\n"
        "ALTER TABLE old DROP COLUMN id;\n"
    )
    assert [f.table_created_in_unit for f in facts(sql, RenameTableFact)] == [True]
    assert [f.table_created_in_unit for f in facts(sql, DropColumnFact)] == [True, False]


def test_validate_constraint_command_is_read_from_tokens() -> None:
    sql = "ALTER TABLE t VALIDATE CONSTRAINT t_fk;"
    (fact,) = facts(sql, ValidateConstraintFact)
    assert (fact.table, fact.name) == (QualifiedName("t"), "t_fk")


def test_query_facts() -> None:
    sql = (
        "SELECT o.*, c.name FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE o.total > '5' AND c.id IN (1, 2.5) ORDER BY o.id OFFSET $1;"
    )
    (query,) = facts(sql, QueryFact)
    assert (query.kind, query.has_where, query.has_order_by, query.has_limit) == (
        "SELECT",
        True,
        True,
        False,
    )
    (star,) = facts(sql, SelectStarFact)
    assert (star.table, star.qualifier, text_of(sql, star.span)) == (
        QualifiedName("orders"),
        "o",
        "o.*",
    )
    (offset,) = facts(sql, OffsetFact)
    assert (offset.parameter, offset.value, offset.has_order_by) == (True, None, True)
    comparisons = [
        (f.table, f.column, f.operator, f.value, f.value_type) for f in facts(sql, ComparisonFact)
    ]
    assert comparisons == [
        (QualifiedName("orders"), "total", ">", "'5'", "unknown"),
        (QualifiedName("customers"), "id", "IN", "1", "integer"),
        (QualifiedName("customers"), "id", "IN", "2.5", "numeric"),
    ]


def test_driver_placeholders_are_parameters_not_literals() -> None:
    sql = "SELECT id FROM posts WHERE id = %s OFFSET %(page)s"
    analysis = analyze_sql(sql, placeholders=True)
    (offset,) = [f for f in analysis.facts if isinstance(f, OffsetFact)]
    (comparison,) = [f for f in analysis.facts if isinstance(f, ComparisonFact)]
    assert offset.parameter
    assert (comparison.value, comparison.value_type) == ("%s", None)


def test_select_star_is_top_level_only() -> None:
    sql = (
        "SELECT count(*) FROM t;\n"
        "SELECT a FROM t WHERE EXISTS (SELECT * FROM u);\n"
        "INSERT INTO t SELECT * FROM u;\n"
        "CREATE VIEW v AS SELECT * FROM t;\n"
    )
    stars = facts(sql, SelectStarFact)
    assert [(f.table, f.view) for f in stars] == [(QualifiedName("t"), QualifiedName("v"))]
