from shop.models import Customer, Item, Order, Product


def view(request):
    return [c.name for c in Customer.objects.all() if c.orders.exists()]  # error: [PG401]
