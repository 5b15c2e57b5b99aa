def author_name(book):
    return book.author.name
