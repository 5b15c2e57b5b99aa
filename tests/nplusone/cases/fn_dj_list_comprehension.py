from shop.models import Customer, Item, Order, Product


def view(request):
    return [order.customer.name for order in Order.objects.filter(status="new")]  # error: [PG401]
