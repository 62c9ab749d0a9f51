from django.db import migrations
from django.db.models import Max, OuterRef, Subquery


def fill_last_visited_on(apps, schema_editor):
    Case = apps.get_model("homehelp", "Case")
    Visit = apps.get_model("homehelp", "Visit")
    last = (
        Visit.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(last=Max("visited_on"))
        .values("last")
    )
    Case.objects.update(last_visited_on=Subquery(last))


class Migration(migrations.Migration):
    dependencies = [("homehelp", "0007_case_last_visited_on")]

    operations = [migrations.RunPython(fill_last_visited_on, migrations.RunPython.noop)]
