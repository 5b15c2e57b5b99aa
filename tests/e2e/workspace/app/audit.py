"""Audit log storage."""

import redis

cache = redis.Redis()


def create_audit_table(cursor):
    cursor.execute("CREATE TABLE audit_log (id bigint PRIMARY KEY, logged_at timestamp NOT NULL)")


def expired_sessions():
    return cache.keys("session:*")
