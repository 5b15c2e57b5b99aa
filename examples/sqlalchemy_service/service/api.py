from fastapi import FastAPI
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from service.models import Account, Project

app = FastAPI()


@app.get("/projects")
def list_projects():
    engine = create_engine("postgresql+psycopg://app@db/app")
    with Session(engine) as session:
        projects = session.scalars(select(Project).where(Project.name != "")).all()
        return [{"name": p.name, "owner": p.owner.email} for p in projects]


@app.get("/accounts/{account_id}/projects")
def account_projects(account_id: int, session: Session):
    account = session.get(Account, account_id)
    return [project.name for project in account.projects]


@app.get("/stats")
def stats(session: Session):
    rows = session.execute(
        text(
            """
            SELECT owner_id, count(*)
            FROM projects
            GROUP BY owner_id
            """
        )
    )
    return dict(rows.all())
