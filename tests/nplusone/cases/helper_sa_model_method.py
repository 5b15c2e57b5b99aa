from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from library.models import Author, Book


def view(session):
    for book in session.scalars(select(Book)):
        print(book.summary())  # error: [PG401]
