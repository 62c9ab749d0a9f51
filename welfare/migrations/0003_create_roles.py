from django.db import migrations

# Copied here, not imported, so that changing the live code cannot change what
# this migration does.
VIEW = ["view"]
KEEP = ["view", "add", "change", "delete"]


def grant_permissions(apps, app_label, grants):
    """grants: {group name: {model name: [actions]}}. Permissions are created when
    missing: Django creates them only after the last migration has run."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, models in grants.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for model_name, actions in models.items():
            model = apps.get_model(app_label, model_name)
            content_type, _ = ContentType.objects.get_or_create(
                app_label=app_label, model=model._meta.model_name
            )
            for action in actions:
                permission, _ = Permission.objects.get_or_create(
                    content_type=content_type,
                    codename=f"{action}_{model._meta.model_name}",
                    defaults={"name": f"Can {action} {model._meta.verbose_name_raw}"},
                )
                group.permissions.add(permission)


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
