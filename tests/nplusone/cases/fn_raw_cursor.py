def view(connection, ids):
    with connection.cursor() as cursor:
        for pk in ids:
            cursor.execute("SELECT name FROM customers WHERE id = %s", (pk,))  # error: [PG401]
