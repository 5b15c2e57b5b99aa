from app.formatting import items_line


def summarize(order):
    return items_line(order)
