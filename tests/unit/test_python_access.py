"""Access patterns: loops (lambdas included), rows evaluated without a loop, DRF settings."""

from __future__ import annotations

from dbsense.analyzers.ir import (
    DJANGO,
    DrfSettingsFact,
    LoopFact,
    OrmOffsetFact,
    SourceFile,
)
from dbsense.analyzers.python import analyze_python

HEADER = "from django.db import models\nfrom shop.models import Order\n\n\n"


def _loops(body: str, path: str = "shop/views.py") -> list[LoopFact]:
    unit = analyze_python(SourceFile(path, HEADER + body))
    return [fact for fact in unit.facts if isinstance(fact, LoopFact)]


def _summary(loop: LoopFact) -> tuple:
    source = loop.source
    return (
        loop.kind,
        loop.variable,
        tuple(access.attrs for access in loop.accesses),
        source.model if source else None,
        loop.rows_escape,
    )


def test_lambdas_run_per_element_are_loops() -> None:
    loops = _loops(
        "def view(request):\n"
        "    a = list(map(lambda o: o.customer.name, Order.objects.all()))\n"
        "    b = sorted(Order.objects.all(), key=lambda o: o.status)\n"
        "    c = filter(lambda o: o.total > 1, Order.objects.all())\n"
        "    d = sorted(Order.objects.all(), key=len)\n"
        "    return a, b, c, d\n"
    )
    summaries = [_summary(loop) for loop in loops if loop.kind == "loop"]
    assert summaries == [
        ("loop", "o", (("customer", "name"),), "shop.models.Order", False),
        ("loop", "o", (("status",),), "shop.models.Order", False),
        ("loop", "o", (("total",),), "shop.models.Order", False),
    ]
    # sorted() without a key lambda only materialises the rows
    assert [loop.kind for loop in loops if loop.kind != "loop"] == ["list"]


def test_lambda_parameters_alias_relations_and_shadowing_is_left_alone() -> None:
    loops = _loops(
        "def view(request):\n"
        "    for order in Order.objects.all():\n"
        "        titles = sorted(order.items.all(), key=lambda i: i.product.title)\n"
        "        other = list(map(lambda order: order.note, titles))\n"
    )
    outer = next(loop for loop in loops if loop.variable == "order" and loop.source)
    assert {access.attrs for access in outer.accesses} == {
        ("items",),
        ("items", "product", "title"),
    }


def test_rows_escape_when_the_row_or_its_query_is_used_elsewhere() -> None:
    loops = _loops(
        "def a(request):\n"
        "    for o in Order.objects.all():\n"
        "        print(o.status, o.total.quantize(1))\n"
        "def b(request):\n"
        "    for o in Order.objects.all():\n"
        "        send(o)\n"
        "def c(request):\n"
        "    orders = Order.objects.all()\n"
        "    orders = orders.filter(status='x')\n"
        "    for o in orders:\n"
        "        print(o.status)\n"
        "def d(request):\n"
        "    orders = Order.objects.all()\n"
        "    for o in orders:\n"
        "        print(o.status)\n"
        "    return orders\n"
        "def e(request):\n"
        "    return [o for o in Order.objects.all()]\n"
    )
    assert [(loop.function, loop.rows_escape) for loop in loops] == [
        ("shop.views.a", False),
        ("shop.views.b", True),
        ("shop.views.c", False),  # re-binding reads the name before the last binding
        ("shop.views.d", True),
        ("shop.views.e", True),
    ]


def test_list_and_template_evaluations_one_fact_per_query() -> None:
    text = (
        "from django.shortcuts import render\n"
        "def view(request):\n"
        "    rows = list(Order.objects.filter(status='a'))\n"
        "    for row in rows:\n"
        "        print(row.status)\n"
        "    context = {'paid': Order.objects.filter(status='paid')}\n"
        "    context.update(void=list(Order.objects.filter(status='void')))\n"
        "    context['n'] = Order.objects.count()\n"
        "    return render(request, 'x.html', context)\n"
    )
    loops = _loops(text)
    kinds = [(loop.kind, loop.request_kind) for loop in loops]
    assert kinds == [
        ("loop", "django-view"),
        ("template", "django-view"),
        ("template", "django-view"),
    ]
    spans = [loop.source.query_span for loop in loops if loop.source]
    assert len(set(spans)) == 3
    body = HEADER + text
    shown = [body[span.start : span.end] for span in spans]
    assert shown == [
        "Order.objects.filter(status='a')",
        "Order.objects.filter(status='paid')",
        "Order.objects.filter(status='void')",
    ]


def test_class_based_views_hand_querysets_to_templates() -> None:
    loops = _loops(
        "from django.views.generic import ListView, TemplateView\n"
        "class A(ListView):\n"
        "    model = Order\n"
        "class B(ListView):\n"
        "    queryset = Order.objects.all()\n"
        "    paginate_by = 20\n"
        "class C(TemplateView):\n"
        "    extra_context = {'x': Order.objects.all()}\n"
        "    def get_context_data(self, **kwargs):\n"
        "        return super().get_context_data(y=Order.objects.all(), **kwargs)\n"
        "class NotAView:\n"
        "    extra_context = {'x': Order.objects.all()}\n"
    )
    assert [(loop.kind, loop.function, loop.request_kind) for loop in loops] == [
        ("template", "shop.views.A", "django-view"),
        ("template", "shop.views.C", "django-view"),
        ("template", "shop.views.C.get_context_data", "django-view"),
    ]


def test_drf_settings_and_list_view_pagination() -> None:
    settings = (
        "REST_FRAMEWORK = {'DEFAULT_PAGINATION_CLASS': "
        "'rest_framework.pagination.LimitOffsetPagination'}\n"
        "REST_FRAMEWORK['PAGE_SIZE'] = int('50')\n"
    )
    unit = analyze_python(SourceFile("project/settings.py", settings))
    facts = [f for f in unit.facts if isinstance(f, (DrfSettingsFact, OrmOffsetFact))]
    assert [type(f).__name__ for f in facts] == ["DrfSettingsFact", "OrmOffsetFact"]
    assert (facts[0].pagination_class, facts[0].page_size) == (
        "rest_framework.pagination.LimitOffsetPagination",
        True,
    )
    assert (facts[1].kind, facts[1].name, facts[1].origin) == (
        "drf-default",
        "LimitOffsetPagination",
        DJANGO,
    )
    views = (
        "from rest_framework import generics\n"
        "from rest_framework.pagination import CursorPagination\n"
        "from shop.serializers import S\n"
        "class A(generics.ListAPIView):\n"
        "    queryset = Order.objects.all()\n"
        "    serializer_class = S\n"
        "class B(generics.ListAPIView):\n"
        "    queryset = Order.objects.all()\n"
        "    serializer_class = S\n"
        "    pagination_class = None\n"
        "class C(generics.ListAPIView):\n"
        "    queryset = Order.objects.all()\n"
        "    serializer_class = S\n"
        "    pagination_class = CursorPagination\n"
    )
    loops = [loop for loop in _loops(views) if loop.kind == "list-view"]
    assert [(loop.function, loop.pagination) for loop in loops] == [
        ("shop.views.A", None),
        ("shop.views.B", ""),
        ("shop.views.C", "rest_framework.pagination.CursorPagination"),
    ]
    empty = analyze_python(SourceFile("project/other.py", "PAGE_SIZE = 5\n"))
    assert not [f for f in empty.facts if isinstance(f, DrfSettingsFact)]
