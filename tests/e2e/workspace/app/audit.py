"""Audit log storage."""


def create_audit_table(cursor):
    cursor.execute("CREATE TABLE audit_log (id bigint PRIMARY KEY, logged_at timestamp NOT NULL)")
