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
