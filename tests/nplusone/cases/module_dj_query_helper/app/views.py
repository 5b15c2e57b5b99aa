from app.utils import lookup
from shop.models import Customer, Item, Order, Product


def view(request, ids):
    for pk in ids:
        print(lookup(pk))  # error: [PG401]
