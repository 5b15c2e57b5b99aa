def describe(order):
    return f"{order.id} for {order.customer.name}"
