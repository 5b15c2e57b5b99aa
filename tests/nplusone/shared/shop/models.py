from django.db import models


class Customer(models.Model):
    name = models.TextField()


class Address(models.Model):
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="address")
    city = models.TextField()


class Category(models.Model):
    name = models.TextField()


class Tag(models.Model):
    label = models.TextField()


class Product(models.Model):
    title = models.TextField()
    category = models.ForeignKey(Category, on_delete=models.PROTECT)
    tags = models.ManyToManyField(Tag)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    status = models.TextField()

    def item_count(self):
        return self.items.count()

    @property
    def customer_name(self):
        return self.customer.name


class Item(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.IntegerField()
