from rest_framework.decorators import api_view
from rest_framework.response import Response

from app.serializers import OrderSerializer
from shop.models import Order


@api_view(["GET"])
def view(request):
    return Response(OrderSerializer(Order.objects.all(), many=True).data)  # error: [PG401]
