from shop.models import Customer, Item, Order, Product


def customer_label(order):
    return order.customer.name


def view(request):
    # ok: the helper reads a relation the queryset selects
    for order in Order.objects.select_related("customer"):
        print(customer_label(order))
