from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from library.models import Author, Book


def view(session, ids):
    for pk in ids:
        session.execute(select(Book).where(Book.author_id == pk))  # error: [PG401]
