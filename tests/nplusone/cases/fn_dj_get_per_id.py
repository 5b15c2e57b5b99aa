from shop.models import Customer, Item, Order, Product


def view(request, ids):
    for pk in ids:
        print(Customer.objects.get(pk=pk).name)  # error: [PG401]
