"""Shared by the rules that flag a database client created on the request path."""

from fnmatch import fnmatch

from dbsense.analyzers.ir import ClientCreationFact
from dbsense.engines.core import Applicability, Finding, Fix, RuleContext

_TEST_PATHS = ("tests/**", "**/tests/**", "test_*.py", "**/test_*.py", "conftest.py")


def one_line(source: str) -> str:
    """``source`` on one line, cut at 60 characters."""
    flat = " ".join(source.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."


def client_per_request(
    fact: ClientCreationFact, ctx: RuleContext, cost: str, once: str
) -> Finding | None:
    """The finding for a client created on every call of a request handler, or None in test
    files; ``cost`` says what each creation costs, ``once`` where to create it instead."""
    path = ctx.file.path if ctx.file else ""
    if any(fnmatch(path, glob) for glob in _TEST_PATHS):
        return None
    what = fact.constructor.rsplit(".", 1)[-1]
    source = one_line(ctx.text(fact.span.start, fact.span.end))
    return Finding(
        fact.span,
        f"`{what}` is created on every call of `{fact.place.function}` "
        f"({fact.place.request_kind}): {cost}",
        Fix(
            f"Create `{source}` {once} and reuse it in `{fact.place.function}`",
            (),
            Applicability.DISPLAY_ONLY,
        ),
    )
