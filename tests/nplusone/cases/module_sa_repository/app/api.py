from app import repository
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from library.models import Author, Book


def view(session):
    for book in session.scalars(select(Book).where(Book.id > 1)):
        print(repository.author_name(book))  # error: [PG401]
