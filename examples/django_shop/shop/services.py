def order_summary(order):
    lines = [f"{item.quantity} x {item.product.title}" for item in order.items.all()]
    return {"id": order.id, "customer": order.customer.name, "lines": lines}
