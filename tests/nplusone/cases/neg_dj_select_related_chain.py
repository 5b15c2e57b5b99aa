from shop.models import Customer, Item, Order, Product


def view(request):
    # ok: the whole chain is selected
    for item in Item.objects.select_related("product__category"):
        print(item.product.category.name)
