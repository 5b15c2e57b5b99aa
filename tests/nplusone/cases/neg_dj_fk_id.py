from shop.models import Customer, Item, Order, Product


def view(request):
    # ok: the foreign key column needs no join
    for order in Order.objects.all():
        print(order.customer_id, order.status)
