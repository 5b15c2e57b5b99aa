from shop.models import Customer


def lookup(pk):
    return Customer.objects.filter(pk=pk).first()
