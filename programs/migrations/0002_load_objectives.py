from django.db import migrations

# The six objectives published on JKM's page for the programme.
OBJECTIVES = [
    (
        "Eradicate poverty and isolation in the community",
        "Membasmi kemiskinan dan keterasingan dalam masyarakat",
    ),
    (
        "Increase local community self-determination",
        "Meningkatkan penentuan kendiri masyarakat setempat",
    ),
    ("Encourage democracy", "Menggalakkan amalan demokrasi"),
    (
        'Solve social problems through "self-help"',
        'Menyelesaikan masalah sosial melalui "bantu diri"',
    ),
    ("Create a caring society", "Mewujudkan masyarakat penyayang"),
    (
        "Overcome dissatisfaction and act appropriately",
        "Mengatasi rasa tidak puas hati dan bertindak dengan sewajarnya",
    ),
]


def load_objectives(apps, schema_editor):
    Objective = apps.get_model("programs", "Objective")
    for position, (name_en, name_ms) in enumerate(OBJECTIVES, start=1):
        Objective.objects.update_or_create(
            position=position, defaults={"name_en": name_en, "name_ms": name_ms}
        )


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_projects_participations_activities")]

    operations = [migrations.RunPython(load_objectives, migrations.RunPython.noop)]
