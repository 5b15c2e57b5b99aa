from shop.models import Customer, Item, Order, Product


def view(request):
    orders = list(Order.objects.all())
    orders.sort(key=lambda o: o.customer.name)  # error: [PG401]
    return max(orders, key=lambda o: o.customer.name)  # error: [PG401]
