from shop.models import Customer, Item, Order, Product


def export():
    for order in Order.objects.prefetch_related("items").iterator():
        print(order.items.count())  # error: [PG401]
