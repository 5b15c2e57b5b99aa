from shop.models import Customer, Item, Order, Product


def view(request):
    return list(map(lambda o: o.customer.name, Order.objects.all()))  # error: [PG401]
