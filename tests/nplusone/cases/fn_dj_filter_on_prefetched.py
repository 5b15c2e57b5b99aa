from shop.models import Customer, Item, Order, Product


def view(request):
    for order in Order.objects.prefetch_related("items"):
        print(order.items.filter(quantity__gt=1))  # error: [PG401]
