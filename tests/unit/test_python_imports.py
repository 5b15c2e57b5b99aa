"""Import resolution, the workspace symbol index and loop/request-path scopes."""

import ast

from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.scopes import Scopes
from dbsense.analyzers.python.source import PythonSource, module_name

MODULE = """
import sqlalchemy as sa
import redis
from django.db import models as m
from sqlalchemy.orm import Mapped, mapped_column, relationship as rel
from .models import Order
from ..core import utils

class Local: ...
"""


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def test_aliases_and_relative_imports_qualify() -> None:
    imports = ImportMap.from_module(ast.parse(MODULE), "shop.api.views")
    assert imports.qualify(_expr("sa.Column")) == "sqlalchemy.Column"
    assert imports.qualify(_expr("m.ForeignKey(Order)")) == "django.db.models.ForeignKey"
    assert imports.qualify(_expr("rel")) == "sqlalchemy.orm.relationship"
    assert imports.qualify(_expr("redis.Redis")) == "redis.Redis"
    assert imports.qualify(_expr("Order.objects")) == "shop.api.models.Order.objects"
    assert imports.qualify(_expr("utils.x")) == "shop.core.utils.x"
    assert imports.qualify(_expr("Local")) == "shop.api.views.Local"
    assert imports.qualify(_expr("unknown.attr")) is None
    assert imports.qualify(_expr("f().attr")) is None
    assert imports.local_name("sqlalchemy.orm.relationship") == "rel"
    assert imports.imports_from("django")


def test_module_name_and_offsets() -> None:
    assert module_name("shop/models.py") == "shop.models"
    assert module_name("shop/__init__.py") == "shop"
    source = PythonSource.parse("x.py", "s = 'é'; t = 1\n")
    node = source.tree.body[1]
    assert source.segment(node) == "t = 1"


LOOPS = """
def view(request):
    rows = [a.b for a in qs if a.c]
    for item in items:
        y = item.parent
        q(y)
        other()
    while True:
        w()
    list(map(lambda o: o.x, qs))

@shared_task
def job(): ...

@app.get("/x")
def route(): ...

@functools.cache
def cached(request): ...
"""


def test_loops_and_dependencies() -> None:
    tree = ast.parse(LOOPS)
    scopes = Scopes(tree, ImportMap.from_module(tree, "m"))
    calls = {
        ast.unparse(node): node
        for node in ast.walk(tree)
        if isinstance(node, (ast.Call, ast.Attribute))
    }
    assert [loop.targets for loop in scopes.loops_of(calls["a.b"])] == [frozenset({"a"})]
    assert len(scopes.loops_of(calls["a.c"])) == 1
    loop = scopes.loops_of(calls["q(y)"])[0]
    assert scopes.depends_on_loop(calls["q(y)"], loop)
    assert not scopes.depends_on_loop(calls["other()"], loop)
    assert scopes.loops_of(calls["w()"])[0].iter is None
    assert scopes.loops_of(calls["o.x"])[0].targets == frozenset({"o"})
    functions = {node.name: node for node in tree.body}
    assert scopes.request_kind(functions["view"]) == "django-view"
    assert scopes.request_kind(functions["job"]) == "celery-task"
    assert scopes.request_kind(functions["route"]) == "route"
    assert scopes.request_kind(functions["cached"]) is None
