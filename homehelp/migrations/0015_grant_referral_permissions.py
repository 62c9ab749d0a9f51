from django.db import migrations

from welfare.roles import VIEW, grant_permissions


def grant_referral_permissions(apps, schema_editor):
    grant_permissions(
        apps,
        "homehelp",
        {
            "District officer": {"referral": ["view", "add", "change"]},
            "State officer": {"referral": VIEW},
            "HQ": {"referral": VIEW},
        },
    )


class Migration(migrations.Migration):
    dependencies = [("homehelp", "0014_referrals_to_health_care")]

    operations = [migrations.RunPython(grant_referral_permissions, migrations.RunPython.noop)]
