"""The records that the figures count log their changes, by triggers of the
database (reports.models.RecordChanged), so that a refresh reads only what
changed, whatever wrote it. A table's trigger logs, for each row added or
deleted, and each row changed in a column the figures read (before and after),
the id that the refresh counts again from: the row's own, or its project's."""

import django.db.models.deletion
from django.db import migrations, models

# table: (kind logged, column logged, columns whose change matters)
LOGGED = {
    "programs_project": (
        "project",
        "id",
        ["office_id", "district_id", "project_type", "status", "start_date"],
    ),
    "programs_participation": (
        "project",
        "project_id",
        ["project_id", "person_id", "target_group", "joined_on"],
    ),
    "homehelp_visit": ("visit", "id", ["case_id", "volunteer_id", "visited_on", "minutes"]),
    "homehelp_visit_services": ("visit", "visit_id", ["visit_id", "service_id"]),
    "homehelp_case": ("case", "id", ["office_id", "constituency_id", "client_type", "client_id"]),
    "homehelp_volunteer": ("volunteer", "id", ["organization_id"]),
    "welfare_office": ("office", "id", ["state_id"]),
    "welfare_constituency": ("constituency", "id", ["state_id"]),
}
LOG = "reports_recordchanged"


def postgresql(table, kind, column, columns):
    """One function, and a trigger per statement for each of insert, update and
    delete: a bulk load of millions of rows logs them in one INSERT."""
    function = f"reports_log_{table}"
    old = ", ".join(f"o.{name}" for name in columns)
    new = ", ".join(f"n.{name}" for name in columns)
    changed = (
        f"FROM removed o JOIN added n ON n.id = o.id WHERE ROW({old}) IS DISTINCT FROM ROW({new})"
    )
    return [
        f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO {LOG} (kind, source) SELECT '{kind}', {column} FROM added;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO {LOG} (kind, source) SELECT '{kind}', {column} FROM removed;
            ELSE
                INSERT INTO {LOG} (kind, source)
                SELECT '{kind}', o.{column} {changed}
                UNION SELECT '{kind}', n.{column} {changed};
            END IF;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER {function}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS added"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {function}_update AFTER UPDATE ON {table}"
        " REFERENCING OLD TABLE AS removed NEW TABLE AS added"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {function}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS removed"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def sqlite(table, kind, column, columns):
    """SQLite has triggers for each row only."""
    name = f"reports_log_{table}"
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    return [
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN"
        f" INSERT INTO {LOG} (kind, source) VALUES ('{kind}', NEW.{column}); END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} WHEN {changed} BEGIN"
        f" INSERT INTO {LOG} (kind, source) VALUES ('{kind}', OLD.{column}), ('{kind}', NEW.{column});"
        " END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN"
        f" INSERT INTO {LOG} (kind, source) VALUES ('{kind}', OLD.{column}); END",
    ]


def create_triggers(apps, schema_editor):
    write = postgresql if schema_editor.connection.vendor == "postgresql" else sqlite
    for table, (kind, column, columns) in LOGGED.items():
        for statement in write(table, kind, column, columns):
            schema_editor.execute(statement)


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in ("reports_visit_rows", "reports_servicerow"):
            schema_editor.execute(f"ALTER TABLE {table} SET UNLOGGED")


def drop_triggers(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for table in LOGGED:
        name = f"reports_log_{table}"
        if postgres:
            schema_editor.execute(f"DROP FUNCTION {name}() CASCADE")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER {name}_{event}")


class Migration(migrations.Migration):
    dependencies = [
        ("homehelp", "0015_grant_referral_permissions"),
        ("reports", "0004_incremental_refresh"),
        ("welfare", "0014_unaccent"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordChanged",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("project", "Project"),
                            ("visit", "Visit"),
                            ("case", "Case"),
                            ("volunteer", "Volunteer"),
                            ("office", "Office"),
                            ("constituency", "Constituency"),
                        ],
                        max_length=12,
                    ),
                ),
                ("source", models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="ServiceRow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
        ),
        migrations.RemoveIndex(
            model_name="visitrow",
            name="reports_visit_row_year",
        ),
        migrations.AlterField(
            model_name="programmeentry",
            name="project_id",
            field=models.BigIntegerField(db_index=True),
        ),
        migrations.AddIndex(
            model_name="visitrow",
            index=models.Index(fields=["client"], name="reports_visit_row_client"),
        ),
        migrations.AddIndex(
            model_name="visitrow",
            index=models.Index(fields=["volunteer"], name="reports_visit_row_volunteer"),
        ),
        migrations.AddField(
            model_name="servicerow",
            name="service",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="homehelp.service",
            ),
        ),
        migrations.AddField(
            model_name="servicerow",
            name="visit",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="reports.visitrow",
            ),
        ),
        migrations.AddIndex(
            model_name="servicerow",
            index=models.Index(fields=["visit"], name="reports_service_row_visit"),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(unlogged, migrations.RunPython.noop),
    ]
