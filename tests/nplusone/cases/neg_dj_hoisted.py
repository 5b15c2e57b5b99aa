from shop.models import Customer, Item, Order, Product


def view(request, orders):
    # ok: the lookup table is built by one query before the loop
    names = {customer.id: customer.name for customer in Customer.objects.all()}
    for order in orders:
        print(names[order.customer_id])
