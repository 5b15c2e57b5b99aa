from shop.models import Customer, Item, Order, Product


def view(request):
    for order in Order.objects.prefetch_related("items"):
        print(sorted(order.items.all(), key=lambda i: i.product.title))  # error: [PG401]
