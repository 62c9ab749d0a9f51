from django.db import migrations


def create_volunteer_role(apps, schema_editor):
    """The role of volunteers' own accounts. It has no model permissions: the
    phone page asks for the role itself, so that no page of the office opens to
    a volunteer through a permission given by mistake."""
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="Volunteer")


class Migration(migrations.Migration):
    dependencies = [("welfare", "0010_password_reset_request")]

    operations = [migrations.RunPython(create_volunteer_role, migrations.RunPython.noop)]
