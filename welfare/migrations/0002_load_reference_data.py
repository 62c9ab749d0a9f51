import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"

# The order of JKM's published per-state tables: north to south along the
# peninsula's west coast, then the east coast, then Borneo.
STATE_ORDER = [
    "MY-09", "MY-02", "MY-07", "MY-08", "MY-10", "MY-14", "MY-16", "MY-05",
    "MY-01", "MY-04", "MY-06", "MY-11", "MY-03", "MY-12", "MY-13", "MY-15",
]  # fmt: skip


def rows(name):
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_reference_data(apps, schema_editor):
    State = apps.get_model("welfare", "State")
    District = apps.get_model("welfare", "District")
    Office = apps.get_model("welfare", "Office")
    Constituency = apps.get_model("welfare", "Constituency")

    states = {}
    for row in rows("states.csv"):
        states[row["state_code"]] = State.objects.create(
            code=row["state_code"],
            name_en=row["name_en"],
            name_ms=row["name_ms"],
            position=STATE_ORDER.index(row["state_code"]) + 1,
        )
    for row in rows("districts.csv"):
        state = states[row["state_code"]]
        district = District.objects.create(
            state=state, code=row["district_code"], name=row["district_name"]
        )
        # No public list of offices exists: one per district to start with,
        # which administrators merge or rename in the admin.
        office = Office.objects.create(
            code=f"PKMD-{district.code}", name=f"PKMD {district.name}", state=state
        )
        office.districts.add(district)
    Constituency.objects.bulk_create(
        Constituency(code=row["code"], name=row["name"], state=states[row["state_code"]])
        for row in rows("parliamentary_constituencies.csv")
    )


class Migration(migrations.Migration):
    dependencies = [("welfare", "0001_initial")]

    operations = [migrations.RunPython(load_reference_data, migrations.RunPython.noop)]
