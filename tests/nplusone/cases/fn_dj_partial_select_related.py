from shop.models import Customer, Item, Order, Product


def view(request):
    for item in Item.objects.select_related("product"):
        print(item.product.category.name)  # error: [PG401]
