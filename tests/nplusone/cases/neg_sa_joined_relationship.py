from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from library.models import Author, Book


def view(session):
    # ok: the relationship is declared lazy="joined"
    for book in session.scalars(select(Book)):
        print(book.publisher.name)
