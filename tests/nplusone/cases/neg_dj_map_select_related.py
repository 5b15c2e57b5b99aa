from shop.models import Customer, Item, Order, Product


def view(request):
    # ok: the relation is joined in
    return list(map(lambda o: o.customer.name, Order.objects.select_related("customer")))
