"""Model permissions of each role, granted by data migrations.

Each app's migration grants the permissions on its own models. Permissions are
created here when missing, because Django only creates them after the last
migration has run."""

VIEW = ["view"]
KEEP = ["view", "add", "change", "delete"]


def grant_permissions(apps, app_label, grants):
    """grants: {group name: {model name: [actions]}}"""
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
