from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """The people search ignores accents (welfare.people.search_q). A trusted
    extension in PostgreSQL 13+: the database's owner may create it. Skipped on
    SQLite, where search_q's unaccent() is a Python function."""

    dependencies = [("welfare", "0013_roles_changed")]

    operations = [UnaccentExtension()]
