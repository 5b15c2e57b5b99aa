from shop.models import Customer, Item, Order, Product


def view(request):
    for customer in Customer.objects.all():
        print(customer.address.city)  # error: [PG401]
