from app import services
from shop.models import Customer, Item, Order, Product


def view(request):
    for order in Order.objects.all():
        print(services.describe(order))  # error: [PG401]
