"""Migration-framework fixes: the remedy a Python front-end prepared for an operation (Alembic
``autocommit_block()``, Django ``AddIndexConcurrently``...), turned into a :class:`Fix`."""

from __future__ import annotations

from dataclasses import replace

from dbsense.analyzers.ir import (
    ALEMBIC,
    DJANGO,
    DJANGO_MIGRATION,
    RAW_SQL,
    SQL_FILE,
    SQLALCHEMY,
    AlterColumnTypeFact,
    FrameworkFixFact,
    QualifiedName,
    Span,
    TypeRef,
)
from dbsense.engines.core import Applicability, Edit, Finding, Fix, RuleContext


def framework_fix(
    ctx: RuleContext,
    span: Span,
    purpose: str,
    applicability: Applicability = Applicability.UNSAFE,
) -> Fix | None:
    """The fix a front-end attached to the operation at ``span`` for ``purpose``, if any."""
    fact = ctx.derived("framework fixes", _framework_fixes).get((span, purpose))
    if fact is None:
        return None
    edits = tuple(Edit(edit_span, text) for edit_span, text in fact.edits)
    return Fix(fact.title, edits, applicability)


def _framework_fixes(ctx: RuleContext) -> dict[tuple[Span, str], FrameworkFixFact]:
    """The unit's prepared fixes by operation span and purpose (the first of each wins)."""
    fixes: dict[tuple[Span, str], FrameworkFixFact] = {}
    for fact in ctx.unit_facts:
        if isinstance(fact, FrameworkFixFact):
            fixes.setdefault((fact.span, fact.purpose), fact)
    return fixes


def catalog_fix(
    ctx: RuleContext,
    path: str,
    span: Span,
    purpose: str,
    applicability: Applicability = Applicability.UNSAFE,
) -> Fix | None:
    """The same for workspace rules, which see the catalog instead of one file's facts; the
    edits apply to ``path``, the file the finding is reported in."""
    index = getattr(ctx.catalog, "python", None)
    fact = index.fix(path, span, purpose) if index is not None else None
    if fact is None:
        return None
    edits = tuple(Edit(edit_span, text) for edit_span, text in fact.edits)
    return Fix(fact.title, edits, applicability)


SQL_ORIGINS = (SQL_FILE, RAW_SQL)
_SQLALCHEMY_TYPES = {
    "bigint": "BigInteger",
    "bigserial": "BigInteger",
    "integer": "Integer",
    "text": "Text",
}
_DJANGO_BIGINT = {
    "AutoField": "BigAutoField",
    "SmallAutoField": "BigAutoField",
    "IntegerField": "BigIntegerField",
    "SmallIntegerField": "BigIntegerField",
    "PositiveIntegerField": "PositiveBigIntegerField",
    "PositiveSmallIntegerField": "PositiveBigIntegerField",
}


def sql_only(finding: Finding, origin: str) -> Finding:
    """``finding`` without its fix when the fact came from Python code: a fix written as SQL
    text must never be pasted into a model or migration."""
    if origin in SQL_ORIGINS or finding.fix is None:
        return finding
    return replace(finding, fix=None)


def retype(finding: Finding, origin: str, type_: TypeRef, sql_type: str) -> Finding:
    """``finding`` whose fix changes ``type_`` to ``sql_type``, in the framework's spelling:
    ``sa.Integer`` -> ``sa.BigInteger``, ``models.AutoField`` -> ``models.BigAutoField``. Types
    written without a module prefix get no fix (the new name may not be imported)."""
    if origin in SQL_ORIGINS:
        return finding
    head, dot, name = type_.raw.partition("(")[0].rpartition(".")
    replacement = None
    if dot and origin in (SQLALCHEMY, ALEMBIC) and sql_type in _SQLALCHEMY_TYPES:
        replacement = f"{head}.{_SQLALCHEMY_TYPES[sql_type]}"
        if "(" in type_.raw and sql_type != "text":
            replacement += type_.raw[type_.raw.index("(") :]
    elif dot and origin in (DJANGO, DJANGO_MIGRATION) and sql_type == "bigint":
        wider = _DJANGO_BIGINT.get(name)
        replacement = f"{head}.{wider}" if wider else None
    if replacement is None:
        return replace(finding, fix=None, message=_advice(finding.message, "a `bigint` type"))
    fix = Fix(f"Use `{replacement}`", (Edit(type_.span, replacement),), Applicability.UNSAFE)
    return replace(finding, fix=fix, message=_advice(finding.message, f"`{replacement}`"))


def _advice(message: str, advice: str) -> str:
    """Replace the SQL spelling a rule's message ends with (``...; use `bigserial```) by the
    framework's own."""
    head, separator, _ = message.rpartition("; use ")
    return f"{head}; use {advice}" if separator else message


def identity_fix(finding: Finding, origin: str, type_: TypeRef) -> Finding:
    """SQLAlchemy: add ``Identity()`` after an explicit, module-prefixed type."""
    if origin in SQL_ORIGINS:
        return finding
    head, dot, _ = type_.raw.partition("(")[0].rpartition(".")
    if not (dot and origin in (SQLALCHEMY, ALEMBIC)):
        return replace(finding, fix=None)
    at = type_.span.end
    edit = Edit(Span(at, at), f", {head}.Identity()")
    fix = Fix(f"Add `{head}.Identity()`", (edit,), Applicability.UNSAFE)
    return replace(finding, fix=fix, message=_advice(finding.message, f"`{head}.Identity()`"))


MIGRATION_ORIGINS = (ALEMBIC, DJANGO_MIGRATION)


def declared_by_model(ctx: RuleContext, origin: str, table: QualifiedName, column: str) -> bool:
    """True when a framework migration's column is also declared by an ORM model: its
    schema-design findings then go on the model alone. The model is what developers edit and
    what Django and Alembic derive new migrations from; a fix to a migration already applied
    never reaches the database, and the next generated migration would undo it."""
    if origin not in MIGRATION_ORIGINS or ctx.catalog is None:
        return False
    return ctx.catalog.declared_by_model(table, column) is not None


def restated_type(ctx: RuleContext, fact: AlterColumnTypeFact) -> bool:
    """True for a Django ``AlterField`` that does not change the column's type: the operation
    restates the whole field (often for ``null``, a default or ``help_text``), so it changes
    the type only when the replayed catalog knew an earlier, different type."""
    if fact.origin != DJANGO_MIGRATION:
        return False
    before = ctx.catalog.type_before(ctx.file.path, fact) if ctx.catalog and ctx.file else None
    if before is None or fact.type is None:
        return True
    return (before.name, before.args, before.array) == (
        fact.type.name,
        fact.type.args,
        fact.type.array,
    )
