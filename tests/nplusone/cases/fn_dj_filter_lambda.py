from shop.models import Customer, Item, Order, Product


def view(request):
    orders = Order.objects.all()
    return list(filter(lambda o: o.customer.name.startswith("a"), orders))  # error: [PG401]
