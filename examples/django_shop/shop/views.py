from django.db import connection
from django.http import JsonResponse

from shop.models import Order, Product
from shop.services import order_summary


def order_list(request):
    orders = Order.objects.filter(status="paid").order_by("-placed_at")
    rows = []
    for order in orders:
        rows.append({"id": order.id, "customer": order.customer.name, "items": order.item_count()})
    return JsonResponse({"orders": rows})


def order_report(request):
    return JsonResponse({"orders": [order_summary(order) for order in Order.objects.all()]})


def product_search(request):
    term = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, title FROM shop_product WHERE title ILIKE '%{term}%'")
        return JsonResponse({"products": cursor.fetchall()})


def restock(request):
    for sku in request.POST.getlist("sku"):
        product = Product.objects.get(sku=sku)
        product.save()
    return JsonResponse({"ok": True})
