"""A statement logs each project or visit it touches once, not once per row:
a participants' import of 20,000 rows into one project logs one row, and
generate_data's copy of four million visits' services two million, fewer for
the refresh to read and delete. (The functions of 0005 with DISTINCT; their
triggers stay.) PostgreSQL only: SQLite's triggers fire for each row."""

from django.db import migrations

LOG = "reports_recordchanged"
# table: (kind logged, column logged), as in 0005.
LOGGED = {
    "programs_project": ("project", "id"),
    "programs_participation": ("project", "project_id"),
    "homehelp_visit": ("visit", "id"),
    "homehelp_visit_services": ("visit", "visit_id"),
    "homehelp_case": ("case", "id"),
    "homehelp_volunteer": ("volunteer", "id"),
    "welfare_office": ("office", "id"),
    "welfare_constituency": ("constituency", "id"),
}
# The columns whose change matters, as in 0005.
COLUMNS = {
    "programs_project": ["office_id", "district_id", "project_type", "status", "start_date"],
    "programs_participation": ["project_id", "person_id", "target_group", "joined_on"],
    "homehelp_visit": ["case_id", "volunteer_id", "visited_on", "minutes"],
    "homehelp_visit_services": ["visit_id", "service_id"],
    "homehelp_case": ["office_id", "constituency_id", "client_type", "client_id"],
    "homehelp_volunteer": ["organization_id"],
    "welfare_office": ["state_id"],
    "welfare_constituency": ["state_id"],
}


def function(table, distinct):
    kind, column = LOGGED[table]
    old = ", ".join(f"o.{name}" for name in COLUMNS[table])
    new = ", ".join(f"n.{name}" for name in COLUMNS[table])
    changed = (
        f"FROM removed o JOIN added n ON n.id = o.id WHERE ROW({old}) IS DISTINCT FROM ROW({new})"
    )
    select = "SELECT DISTINCT" if distinct else "SELECT"
    return f"""CREATE OR REPLACE FUNCTION reports_log_{table}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO {LOG} (kind, source) {select} '{kind}', {column} FROM added;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO {LOG} (kind, source) {select} '{kind}', {column} FROM removed;
            ELSE
                INSERT INTO {LOG} (kind, source)
                SELECT '{kind}', o.{column} {changed}
                UNION SELECT '{kind}', n.{column} {changed};
            END IF;
            RETURN NULL;
        END $$"""


def replace(distinct):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in LOGGED:
                schema_editor.execute(function(table, distinct))

    return run


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_summaries_read_by_their_indexes")]

    operations = [migrations.RunPython(replace(True), replace(False))]
