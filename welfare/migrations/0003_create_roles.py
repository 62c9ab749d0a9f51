from django.db import migrations

from welfare.roles import KEEP, VIEW, grant_permissions


def create_roles(apps, schema_editor):
    grant_permissions(
        apps,
        "welfare",
        {
            "District officer": {"person": KEEP},
            "State officer": {"person": VIEW},
            "HQ": {"person": VIEW},
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("welfare", "0002_load_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
