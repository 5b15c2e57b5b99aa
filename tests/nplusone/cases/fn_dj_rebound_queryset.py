from shop.models import Customer, Item, Order, Product


def view(request):
    orders = Order.objects.filter(status="paid")
    orders = orders.order_by("-id")
    for order in orders:
        print(order.customer.name)  # error: [PG401]
