from shop.models import Customer, Item, Order, Product


def view(request):
    for product in Product.objects.all():
        print([tag.label for tag in product.tags.all()])  # error: [PG401]
