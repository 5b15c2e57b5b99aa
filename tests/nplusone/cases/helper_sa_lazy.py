from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from library.models import Author, Book


def render(book):
    return book.author.name


def view(session):
    for book in session.scalars(select(Book)):
        print(render(book))  # error: [PG401]
