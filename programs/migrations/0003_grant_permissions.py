from django.db import migrations

from welfare.roles import KEEP, VIEW, grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        "programs",
        {
            "District officer": {"project": KEEP, "participation": KEEP, "activity": KEEP},
            "State officer": {"project": VIEW, "participation": VIEW, "activity": VIEW},
            "HQ": {"project": VIEW, "participation": VIEW, "activity": VIEW},
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0002_load_objectives"),
        ("welfare", "0003_create_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
