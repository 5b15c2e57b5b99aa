from rest_framework import serializers


class OrderSerializer(serializers.Serializer):
    customer = serializers.CharField(source="customer.name")
