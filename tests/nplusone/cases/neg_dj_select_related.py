from shop.models import Customer, Item, Order, Product


def view(request):
    # ok: select_related joins the customer
    for order in Order.objects.select_related("customer"):
        print(order.customer.name)
