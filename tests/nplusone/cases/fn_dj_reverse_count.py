from shop.models import Customer, Item, Order, Product


def view(request):
    for order in Order.objects.all():
        print(order.items.count())  # error: [PG401]
