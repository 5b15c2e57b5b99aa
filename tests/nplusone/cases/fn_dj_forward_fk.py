from shop.models import Customer, Item, Order, Product


def view(request):
    for order in Order.objects.all():
        print(order.customer.name)  # error: [PG401]
