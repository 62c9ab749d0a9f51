"""Reads that a read replica may serve: the reports, the dashboards, the exports
and the public statistics read much and write nothing but the access log. With
DATABASE_REPLICA_URL set, the views marked @reads_from_replica read from it
(the database alias "replica"); everything else, and every write, uses the
primary ("default").

The mark is explicit, per view, rather than by model: the same tables (people,
cases) are read by pages that must see what the user has just saved, and by an
export that may lag by the replica's delay. Who the request is (the session,
the user, their groups) is always read from the primary: a replica a moment
behind must not sign anyone out. Without a replica everything reads from the
primary, as do the tests (the alias is a TEST MIRROR of "default")."""

import contextvars
import functools
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.http import FileResponse

REPLICA = "replica"
# Models read from the primary even in a replica's view: who the request is.
PRIMARY_APPS = {"sessions", "auth", "axes", "otp_totp", "django_otp", "contenttypes"}

_reading_replica = contextvars.ContextVar("reading_replica", default=False)


def replica_alias():
    """The replica's alias, or None without a replica."""
    return REPLICA if REPLICA in settings.DATABASES else None


@contextmanager
def replica_reads():
    """The reads within come from the replica, if there is one."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reading_replica():
    return _reading_replica.get()


def reads_from_replica(view):
    """Marks a view whose reads the replica serves. A streamed answer (a CSV)
    reads its rows after the view has returned: each of its chunks is made
    within replica_reads() too. A workbook is written before the view returns."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        with replica_reads():
            response = view(request, *args, **kwargs)
        if response.streaming and not isinstance(response, FileResponse):
            response.streaming_content = _made_reading_replica(response.streaming_content)
        return response

    return wrapped


def _made_reading_replica(chunks):
    """Each chunk within replica_reads(), and nothing between them: the server
    writing a chunk out does not read the replica."""
    chunks = iter(chunks)
    while True:
        with replica_reads():
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


class ReplicaRouter:
    """Sends the reads of a @reads_from_replica view to the replica; writes,
    migrations and every other read to the primary."""

    def db_for_read(self, model, **hints):
        alias = replica_alias()
        if alias and reading_replica() and not self.primary_only(model):
            return alias
        return None

    def db_for_write(self, model, **hints):
        # Explicit: Django would otherwise write an object where it was read from.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None

    @staticmethod
    def primary_only(model):
        return model._meta.app_label in PRIMARY_APPS or model is _user_model()


@functools.cache
def _user_model():
    from django.contrib.auth import get_user_model

    return get_user_model()
