from shop.models import Customer, Item, Order, Product


def customer_label(order):
    return order.customer.name


def view(request):
    for order in Order.objects.all():
        print(customer_label(order))  # error: [PG401]
