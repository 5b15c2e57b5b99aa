from shop.models import Customer, Item, Order, Product


def load(pk):
    return Customer.objects.get(pk=pk)


def view(request, ids):
    for pk in ids:
        print(load(pk).name)  # error: [PG401]
