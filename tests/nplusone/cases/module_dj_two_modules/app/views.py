from app.services import summarize
from shop.models import Customer, Item, Order, Product


def view(request):
    for order in Order.objects.all():
        print(summarize(order))  # error: [PG401]
