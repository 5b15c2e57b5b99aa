from shop.models import Customer, Item, Order, Product


def view(request):
    # ok: count() on a prefetched manager reads the cache
    for order in Order.objects.prefetch_related("items"):
        print(order.items.count(), [item.quantity for item in order.items.all()])
