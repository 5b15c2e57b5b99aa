from shop.models import Customer, Item, Order, Product


def view(request):
    orders = Order.objects.filter(status="new")
    return sorted(orders, key=lambda o: o.customer.name)  # error: [PG401]
