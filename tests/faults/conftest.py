"""Fault tests: real server processes, and PostgreSQL and Redis servers of their own."""

from tests.faults.services import own_postgres, own_redis

__all__ = ["own_postgres", "own_redis"]
