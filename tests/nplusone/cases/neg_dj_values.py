from shop.models import Customer, Item, Order, Product


def view(request):
    # ok: values() rows carry no relations
    for row in Order.objects.values("id", "customer__name"):
        print(row["customer__name"])
