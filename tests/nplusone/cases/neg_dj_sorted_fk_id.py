from shop.models import Customer, Item, Order, Product


def view(request):
    # ok: the key column is on the row itself
    return sorted(Order.objects.all(), key=lambda o: o.customer_id)
