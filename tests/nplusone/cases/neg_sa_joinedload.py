from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from library.models import Author, Book


def view(session):
    # ok: joinedload populates the author
    for book in session.scalars(select(Book).options(joinedload(Book.author))):
        print(book.author.name)
