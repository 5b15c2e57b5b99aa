from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from library.models import Author, Book


def view(session):
    # ok: selectinload loads every book's reviews in one query
    for book in session.scalars(select(Book).options(selectinload(Book.reviews))):
        print(len(book.reviews))
