from shop.models import Customer, Item, Order, Product


def view(request):
    for order in Order.objects.filter(status="paid"):
        for item in order.items.all():  # error: [PG401]
            print(item.quantity)
