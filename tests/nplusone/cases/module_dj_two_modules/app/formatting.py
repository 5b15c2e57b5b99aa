def items_line(order):
    return f"{order.items.count()} items"
