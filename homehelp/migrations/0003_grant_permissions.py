from django.db import migrations

from welfare.roles import KEEP, VIEW, grant_permissions


def grant_homehelp_permissions(apps, schema_editor):
    keep_records = ["view", "add", "change"]
    grant_permissions(
        apps,
        "homehelp",
        {
            "District officer": {
                "organization": keep_records,
                "volunteer": KEEP,
                "case": KEEP,
                "visit": KEEP,
                "service": VIEW,
            },
            "State officer": {
                m: VIEW for m in ["organization", "volunteer", "case", "visit", "service"]
            },
            "HQ": {m: VIEW for m in ["organization", "volunteer", "case", "visit", "service"]},
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("homehelp", "0002_load_services"),
        ("welfare", "0003_create_roles"),
    ]

    operations = [migrations.RunPython(grant_homehelp_permissions, migrations.RunPython.noop)]
