from shop.models import Customer, Item, Order, Product


def view(request):
    for order in Order.objects.all():
        print(order.status)
        # ok: this lambda's `order` is another row, eager-loaded; not the loop's
        names = list(map(lambda order: order.customer.name, Order.objects.select_related("customer")))
        print(names)
