from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from library.models import Author, Book


def view(session):
    books = session.execute(select(Book).where(Book.id > 5)).scalars().all()
    for book in books:
        print(len(book.reviews))  # error: [PG401]
