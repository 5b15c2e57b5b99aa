from shop.models import Customer, Item, Order, Product


def city(customer):
    return customer.address.city


def line(order):
    return city(order.customer)


def view(request):
    for order in Order.objects.select_related("customer"):
        print(line(order))  # error: [PG401]
