from sqlalchemy import select

from library.models import Author, Book


def view(session):
    return list(map(lambda b: b.author.name, session.scalars(select(Book))))  # error: [PG401]
