from django.db import migrations

SERVICES = ["personal_care", "hygiene", "house_help", "companionship", "errands", "health_care"]


def load_services(apps, schema_editor):
    Service = apps.get_model("homehelp", "Service")
    for position, code in enumerate(SERVICES, start=1):
        Service.objects.update_or_create(code=code, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("homehelp", "0001_organisations_volunteers_cases_visits")]

    operations = [migrations.RunPython(load_services, migrations.RunPython.noop)]
