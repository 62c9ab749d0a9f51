import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """The summaries can be refreshed by what changed: each entry names its
    source, and the visits' rows are kept between refreshes. The next refresh is
    whole (the last migration differs), which fills the new columns."""

    dependencies = [
        ("reports", "0003_editions_and_confirmations"),
        ("homehelp", "0015_grant_referral_permissions"),
        ("welfare", "0014_unaccent"),
    ]

    operations = [
        migrations.RunSQL("DELETE FROM reports_programmeentry", migrations.RunSQL.noop),
        migrations.AddField(
            model_name="programmeentry",
            name="project_id",
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="programmeentry",
            name="participation_id",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="summaryrefresh",
            name="full",
            field=models.BooleanField(default=True, verbose_name="rebuilt whole"),
        ),
        migrations.AddField(
            model_name="summaryrefresh",
            name="migration",
            field=models.CharField(
                blank=True, max_length=100, verbose_name="last migration of the summaries"
            ),
        ),
        # Was a temporary table, unmanaged: now a table of its own.
        migrations.DeleteModel(name="VisitRow"),
        migrations.CreateModel(
            name="VisitRow",
            fields=[
                ("visit", models.BigIntegerField(primary_key=True, serialize=False)),
                ("client_type", models.CharField(max_length=10)),
                ("client", models.BigIntegerField()),
                ("volunteer", models.BigIntegerField()),
                ("year", models.IntegerField()),
                ("month", models.IntegerField()),
                ("minutes", models.IntegerField()),
                (
                    "constituency",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="welfare.constituency",
                    ),
                ),
                (
                    "constituency_state",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="welfare.state",
                    ),
                ),
                (
                    "office",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="welfare.office",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="homehelp.organization",
                    ),
                ),
                (
                    "state",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="welfare.state",
                    ),
                ),
            ],
            options={
                "db_table": "reports_visit_rows",
                "indexes": [models.Index(fields=["year"], name="reports_visit_row_year")],
            },
        ),
    ]
