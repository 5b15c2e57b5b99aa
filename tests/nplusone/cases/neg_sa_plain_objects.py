def view(books):
    # ok: a plain list of objects from elsewhere
    for book in books:
        print(book.author.name)
