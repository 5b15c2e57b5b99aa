"""Replay order of migration units: dumps, Flyway, natural names, dependency graphs."""

from __future__ import annotations

from dbsense.analyzers.ir import UnitFacts
from dbsense.analyzers.migrations import is_schema_dump, natural_key, order_units, replayed


def paths(units: list[UnitFacts]) -> list[str]:
    return [unit.path for unit in units]


def test_flyway_versions_compare_as_numbers_and_repeatables_come_last():
    names = [
        "db/R__views.sql",
        "db/V10__later.sql",
        "db/V2__second.sql",
        "db/V1_1__patch.sql",
        "db/V1__init.sql",
        "db/U2__second.sql",
        "db/V1.10__big_patch.sql",
        "db/R__functions.sql",
    ]
    ordered = order_units(UnitFacts(name) for name in names)
    assert paths(ordered) == [
        "db/V1__init.sql",
        "db/V1_1__patch.sql",
        "db/V1.10__big_patch.sql",
        "db/V2__second.sql",
        "db/V10__later.sql",
        "db/R__functions.sql",
        "db/R__views.sql",
    ]


def test_numeric_and_timestamp_prefixes_use_natural_order():
    names = ["m/10_c.sql", "m/2_b.sql", "m/1_a.sql", "m/20240102_x.sql", "m/20231231_y.sql"]
    assert paths(order_units(UnitFacts(n) for n in names)) == [
        "m/1_a.sql",
        "m/2_b.sql",
        "m/10_c.sql",
        "m/20231231_y.sql",
        "m/20240102_x.sql",
    ]
    assert natural_key("a2") < natural_key("a10")


def test_down_and_undo_files_are_not_replayed():
    assert not replayed("m/0001_init.down.sql")
    assert not replayed("db/U3__drop.sql")
    assert replayed("m/0001_init.up.sql")
    units = [UnitFacts("m/0001_init.up.sql"), UnitFacts("m/0001_init.down.sql")]
    assert paths(order_units(units)) == ["m/0001_init.up.sql"]


def test_schema_dumps_are_the_baseline():
    assert is_schema_dump("db/structure.sql", "")
    assert is_schema_dump("x.sql", "--\n-- PostgreSQL database dump\n--\n")
    assert not is_schema_dump("V1__init.sql", "CREATE TABLE t (id int);")
    units = [UnitFacts("db/V1__a.sql"), UnitFacts("db/zz_dump.sql", dump=True)]
    assert paths(order_units(units)) == ["db/zz_dump.sql", "db/V1__a.sql"]


def test_graph_units_follow_dependencies_with_branches_and_merges():
    # a <- b, a <- c (two branches), d merges b and c; e depends on an unknown revision.
    units = [
        UnitFacts("versions/d_merge.py", unit_id="d", depends_on=("b", "c")),
        UnitFacts("versions/c_branch.py", unit_id="c", depends_on=("a",)),
        UnitFacts("versions/b_branch.py", unit_id="b", depends_on=("a",)),
        UnitFacts("versions/z_base.py", unit_id="a"),
        UnitFacts("versions/e_orphan.py", unit_id="e", depends_on=("gone",)),
    ]
    assert paths(order_units(units)) == [
        "versions/e_orphan.py",
        "versions/z_base.py",
        "versions/b_branch.py",
        "versions/c_branch.py",
        "versions/d_merge.py",
    ]


def test_django_style_dependencies_across_apps_and_cycles():
    units = [
        UnitFacts(
            "shop/migrations/0002_order.py",
            unit_id="shop.0002",
            depends_on=("shop.0001", "users.0001"),
        ),
        UnitFacts("shop/migrations/0001_initial.py", unit_id="shop.0001"),
        UnitFacts("users/migrations/0001_initial.py", unit_id="users.0001"),
        UnitFacts("x/1.py", unit_id="x1", depends_on=("x2",)),
        UnitFacts("x/2.py", unit_id="x2", depends_on=("x1",)),
    ]
    ordered = paths(order_units(units))
    assert ordered.index("shop/migrations/0002_order.py") > ordered.index(
        "users/migrations/0001_initial.py"
    )
    assert ordered.index("shop/migrations/0002_order.py") > ordered.index(
        "shop/migrations/0001_initial.py"
    )
    # A cycle does not lose units: they follow in path order.
    assert ordered[-2:] == ["x/1.py", "x/2.py"]


def test_plain_files_come_before_graph_units_and_order_is_stable():
    units = [
        UnitFacts("alembic/versions/1.py", unit_id="1"),
        UnitFacts("sql/001.sql"),
        UnitFacts("app/views.py"),
    ]
    first = paths(order_units(units))
    assert first == ["app/views.py", "sql/001.sql", "alembic/versions/1.py"]
    assert paths(order_units(reversed(units))) == first
