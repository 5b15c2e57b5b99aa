from rest_framework.decorators import api_view
from rest_framework.response import Response

from app.serializers import OrderSerializer
from shop.models import Order


@api_view(["GET"])
def view(request):
    # ok: the serializer's relation is selected
    orders = Order.objects.select_related("customer")
    return Response(OrderSerializer(orders, many=True).data)
