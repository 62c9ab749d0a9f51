"""The reports' figures, pre-aggregated from the programmes' rows by
`manage.py refresh_reports` (reports.services.summaries_refresh), so that a report
reads a few hundred rows instead of grouping millions.

Nothing here is entered by anyone: a refresh brings every table to what the rows
give, from one snapshot of them, in one transaction (rebuilding them whole, or
only the rows that the records changed since the last refresh), so the figures
are exactly what the rows gave at `SummaryRefresh.taken_at`, and readers see the
old figures until the new ones are complete. reports.queries computes the same tables from the rows
directly: it is the reference the tests compare every cell with."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from homehelp.models import Case, Organization, Service
from programs.models import Participation, Project
from welfare.models import Constituency, District, Office, ScopedQuerySet, State


class SummaryRefresh(models.Model):
    """One row: when the figures were last refreshed, whether whole or only what
    had changed, and the reports app's last migration then: a refresh after
    another migration is whole, since the tables may have changed shape."""

    taken_at = models.DateTimeField(_("figures as at"))
    seconds = models.FloatField(_("seconds taken"))
    rows = models.PositiveIntegerField(_("rows written"))
    full = models.BooleanField(_("rebuilt whole"), default=True)
    migration = models.CharField(_("last migration of the summaries"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("summary refresh")
        verbose_name_plural = _("summary refreshes")

    def __str__(self):
        return str(self.taken_at)


class Level(models.TextChoices):
    """What a summary row counts over: the whole country, a state, an office, an
    organisation or a constituency. Distinct people
    cannot be added up from a level below, so each level has rows of its own."""

    NATION = "nation", _("Malaysia")
    STATE = "state", _("State")
    OFFICE = "office", _("Office")
    ORGANIZATION = "organization", _("Organisation")
    CONSTITUENCY = "constituency", _("Parliamentary constituency")


# The foreign keys have no constraint in the database: the rows are written
# together from rows that have theirs, and a million checks at commit would
# double the time of a refresh.


class SummaryQuerySet(ScopedQuerySet):
    """Office rows are scoped like the records they count (visible_to); rows of a
    state or the nation have no office and are read by everyone, as the national
    tables are."""

    office_path = "office"


class ProgrammeEntry(models.Model):
    """A copy of what the projects report counts: one row per project that is not
    cancelled (person empty) and one per participation in such a project, on the
    day it starts to count (the later of the day joined and the project's start).
    Read for the days of one month (the rest of an as-of date's figures come
    from ProgrammeMonth) and for the districts of one office."""

    # Indexed with the day (below), not alone; the district is read within its
    # office (office and day), never alone.
    state = models.ForeignKey(
        State, models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    office = models.ForeignKey(
        Office, models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    district = models.ForeignKey(
        District, models.CASCADE, null=True, related_name="+", db_constraint=False, db_index=False
    )
    project_type = models.CharField(max_length=30, choices=Project.ProjectType.choices)
    status = models.CharField(max_length=20, choices=Project.Status.choices)
    target_group = models.CharField(
        max_length=20, blank=True, choices=Participation.TargetGroup.choices
    )
    # A number, not a foreign key: the row says nothing about the person, and
    # purging a person must not wait for the next refresh.
    person_id = models.BigIntegerField(null=True)
    # The row's source, by which a refresh finds the rows that changed: the
    # project, and the participation (empty on the project's own row).
    project_id = models.BigIntegerField(db_index=True)
    participation_id = models.BigIntegerField(null=True)
    day = models.DateField()
    month = models.DateField()  # the first of day's month: grouped by, never computed again

    objects = SummaryQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="reports_entry_day"),
            # The days of this month in a state's or some offices' places, and the
            # districts of one office: a range each (an index of the place alone
            # joined with the day's read 141,000 entries of a state at L for 110).
            models.Index(fields=["state", "day"], name="reports_entry_state_day"),
            models.Index(fields=["office", "day"], name="reports_entry_office_day"),
            # "Did this person count here before this month?"
            models.Index(
                fields=["person_id", "day"],
                condition=models.Q(person_id__isnull=False),
                name="reports_entry_person_day",
            ),
        ]

    def __str__(self):
        return f"{self.office_id} {self.day}"


class ProgrammeMonth(models.Model):
    """Projects started, participants joined and persons counted for the first
    time, per month, at a level, for a combination of filters: an empty
    project_type, status or target_group means "any" (any status but cancelled).
    Nation and state rows exist for every combination; office rows for the
    project type only (the districts of an office are counted from its
    entries). Projects do not depend on the target group: they
    are in the rows whose target_group is empty. One row per key and month,
    with a figure that is not zero: a refresh that corrects a row by the
    difference the changed records make removes it when it comes to nothing."""

    level = models.CharField(max_length=12, choices=Level.choices)
    # Read through the indexes of Meta: an index of each place alone was never
    # read, and slowed the full refresh's writes.
    state = models.ForeignKey(
        State, models.CASCADE, null=True, related_name="+", db_constraint=False, db_index=False
    )
    office = models.ForeignKey(
        Office, models.CASCADE, null=True, related_name="+", db_constraint=False, db_index=False
    )
    project_type = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=20, blank=True)
    target_group = models.CharField(max_length=20, blank=True)
    month = models.DateField()
    projects = models.PositiveIntegerField(db_default=0)
    participants = models.PositiveIntegerField(db_default=0)
    persons = models.PositiveIntegerField(db_default=0)

    objects = SummaryQuerySet.as_manager()

    class Meta:
        indexes = [
            # With the figures in the index, a report reads them without the table
            # (every office's months at L: 32,000 rows in 4,000 pages otherwise);
            # with the office before the month, the offices of one state are a
            # range of it (1,800 rows at L), not a filter of every office's.
            models.Index(
                fields=["level", "project_type", "status", "target_group", "office", "month"],
                include=["state", "projects", "participants", "persons"],
                name="reports_programme_month_read",
            ),
        ]

    def __str__(self):
        return f"{self.level} {self.month:%Y-%m}"


class HomeHelpFigure(models.Model):
    """Visits, minutes and the distinct clients and volunteers who had them, in a
    year (month empty) or a month, at a level, for one client type or any (empty).
    Monthly rows are kept for any client type only: the trends."""

    level = models.CharField(max_length=12, choices=Level.choices)
    # Read through the indexes of Meta: an index of each place alone was never
    # read, and slowed the full refresh's writes.
    state = models.ForeignKey(
        State, models.CASCADE, null=True, related_name="+", db_constraint=False, db_index=False
    )
    office = models.ForeignKey(
        Office, models.CASCADE, null=True, related_name="+", db_constraint=False, db_index=False
    )
    organization = models.ForeignKey(
        Organization,
        models.CASCADE,
        null=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    constituency = models.ForeignKey(
        Constituency,
        models.CASCADE,
        null=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    client_type = models.CharField(max_length=10, blank=True)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(null=True)
    visits = models.PositiveIntegerField()
    minutes = models.PositiveBigIntegerField()
    clients = models.PositiveIntegerField()
    volunteers = models.PositiveIntegerField()

    objects = SummaryQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["level", "year", "month", "client_type"], name="reports_home_help_key"
            ),
            models.Index(fields=["office", "year", "month"], name="reports_home_help_office"),
        ]

    def __str__(self):
        return f"{self.level} {self.year}"


class VisitRow(models.Model):
    """What the home help figures count, one row per visit, with the places it
    counts in, so that each of the figures' grouped counts reads one narrow table
    instead of joining the visits to their cases, offices and volunteers again.
    Kept between refreshes: a refresh of what changed takes off what the rows
    of the visits changed counted, replaces them and adds what they count now.
    On PostgreSQL the table is UNLOGGED (migration 0005), as is ServiceRow: a
    copy that the next full refresh rebuilds, so not worth the write-ahead log;
    a crash empties it, and the refresh after one is full."""

    # No index on the places: the table is written whole by a full refresh and
    # read whole by the grouped counts; a refresh of what changed reads the
    # rows of the clients and volunteers of the visits changed.
    visit = models.BigIntegerField(primary_key=True)
    state = models.ForeignKey(
        State, models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    office = models.ForeignKey(
        Office, models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    organization = models.ForeignKey(
        Organization, models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    constituency = models.ForeignKey(
        Constituency, models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    constituency_state = models.ForeignKey(
        State, models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    client_type = models.CharField(max_length=10)
    client = models.BigIntegerField()
    volunteer = models.BigIntegerField()
    year = models.IntegerField()
    month = models.IntegerField()
    minutes = models.IntegerField()

    class Meta:
        db_table = "reports_visit_rows"
        indexes = [
            models.Index(fields=["client"], name="reports_visit_row_client"),
            models.Index(fields=["volunteer"], name="reports_visit_row_volunteer"),
        ]

    def __str__(self):
        return str(self.visit)


class ServiceRow(models.Model):
    """A service given at a visit: a copy of the visits' services, kept with the
    visits' rows, so that a refresh can take off what a visit counted before its
    services changed."""

    visit = models.ForeignKey(
        VisitRow, models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    service = models.ForeignKey(
        Service, models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        indexes = [models.Index(fields=["visit"], name="reports_service_row_visit")]

    def __str__(self):
        return f"{self.visit_id} {self.service_id}"


class RecordChanged(models.Model):
    """A record that the figures count was added, changed or deleted since the
    last refresh: written by the database itself (triggers of migration 0005,
    so that no path escapes: forms, the admin, imports, update(), cascades,
    bulk loads), read and emptied by the next refresh. `source` is the id of a
    row of the table `kind` names."""

    class Kind(models.TextChoices):
        PROJECT = "project"  # a project, or a participation in it
        VISIT = "visit"  # a visit, or the services given at it
        CASE = "case"  # a case's office, constituency, client or client type
        VOLUNTEER = "volunteer"  # a volunteer's organisation
        OFFICE = "office"  # an office's state
        CONSTITUENCY = "constituency"  # a constituency's state

    kind = models.CharField(max_length=12, choices=Kind.choices)
    source = models.BigIntegerField()

    def __str__(self):
        return f"{self.kind} {self.source}"


class ServiceYear(models.Model):
    """Visits in a year that gave a service, by client type."""

    year = models.PositiveSmallIntegerField()
    client_type = models.CharField(max_length=10, choices=Case.ClientType.choices)
    service = models.ForeignKey(Service, models.CASCADE, related_name="+", db_constraint=False)
    visits = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.service_id} {self.year}"


class CaseToday(models.Model):
    """Cases as they stand at the refresh, per office, constituency and client
    type: active ones (coverage), active ones overdue for a visit, cases with an
    open concern, and cases waiting for a volunteer (the dashboards)."""

    state = models.ForeignKey(State, models.CASCADE, related_name="+", db_constraint=False)
    office = models.ForeignKey(Office, models.CASCADE, related_name="+", db_constraint=False)
    constituency = models.ForeignKey(
        Constituency, models.CASCADE, related_name="+", db_constraint=False
    )
    client_type = models.CharField(max_length=10, choices=Case.ClientType.choices)
    active = models.PositiveIntegerField()
    overdue = models.PositiveIntegerField()
    open_concerns = models.PositiveIntegerField()
    waiting = models.PositiveIntegerField()

    objects = SummaryQuerySet.as_manager()

    def __str__(self):
        return f"{self.office_id} {self.constituency_id}"


# --- Published editions --------------------------------------------------------


class Table(models.TextChoices):
    """The tables HQ publishes; their values are the names of their files (the
    open-data list's `table`) and of the signed-in reports they are taken from."""

    PROJECTS_BY_STATE = "projects-by-state", _("Projects and participants by state")
    HOME_HELP_BY_STATE = "home-help-by-state", _("Home Help Services by state")
    PROJECTS_BY_OFFICE = "projects-by-office", _("Projects and participants by office")
    HOME_HELP_BY_OFFICE = "home-help-by-office", _("Home Help Services by office")


class Unchangeable(Exception):
    """A published edition, or an office's confirmation, is never changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise Unchangeable(f"{self.model._meta.verbose_name_plural} are never changed.")

    def delete(self):
        raise Unchangeable(f"{self.model._meta.verbose_name_plural} are never deleted.")

    _raw_delete = delete


class AppendOnly(models.Model):
    """Rows written once: saving an existing row, or deleting one, is refused here,
    and (for editions) by the database itself (migration 0003's triggers)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise Unchangeable(f"A {self._meta.verbose_name} is never changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Unchangeable(f"A {self._meta.verbose_name} is never deleted.")


class Edition(AppendOnly):
    """One version of a published table: its cells as they were published, exact
    (`cells`) and as the public reads them (`public_cells`, with small counts of
    people withheld: reports.suppression), who published it, when, for which
    as-of date or year and filters, and how complete the offices said their
    records were. A revision is a new row of the same `series` with the next
    version and a reason; no row is ever changed.

    cells: {"rows": [[code, name in English, name in Malay, figure, ...]],
            "total": [figure, ...]}; public_cells the same with "<3" or "x" for a
    withheld figure; columns: the names of the columns, as the signed-in
    report's CSV names them."""

    table = models.CharField(_("table"), max_length=30, choices=Table.choices)
    series = models.CharField(
        _("series"),
        max_length=200,
        help_text=_("The table and its filters: the versions of one edition share it."),
    )
    version = models.PositiveSmallIntegerField(_("version"))
    as_of = models.DateField(_("as at"))
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    filters = models.JSONField(_("filters"), default=dict)
    columns = models.JSONField(_("columns"))
    cells = models.JSONField(_("cells"))
    public_cells = models.JSONField(_("cells as the public reads them"))
    min_cell = models.PositiveSmallIntegerField(_("smallest count of people shown"))
    withheld = models.PositiveSmallIntegerField(_("figures withheld"), default=0)
    completeness = models.JSONField(_("completeness at publication"))
    figures_at = models.DateTimeField(_("figures as at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reason = models.CharField(_("reason for the revision"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="editions_published",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["table", "-as_of", "series", "version"]
        verbose_name = _("published edition")
        verbose_name_plural = _("published editions")
        constraints = [
            models.UniqueConstraint(
                fields=["series", "version"], name="reports_edition_one_version_number"
            ),
            models.CheckConstraint(
                condition=models.Q(version=1) | ~models.Q(reason=""),
                name="reports_edition_revision_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["-published_at"], name="reports_edition_newest")]

    def __str__(self):
        return f"{self.get_table_display()} {self.as_of:%Y-%m-%d} v{self.version}"

    def get_absolute_url(self):
        return reverse("stats-edition", args=[self.pk])


class MonthConfirmation(AppendOnly):
    """A district officer's word that their office's records for a month are
    complete. Given once; records entered for the month afterwards are flagged
    on the completeness page (their history says when they were entered)."""

    office = models.ForeignKey(
        Office, models.PROTECT, related_name="month_confirmations", verbose_name=_("office")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    confirmed_at = models.DateTimeField(_("confirmed"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
        help_text=_("Empty for the confirmations the demo data came with."),
    )

    class Meta:
        ordering = ["-month", "office__state__position", "office__name"]
        verbose_name = _("month confirmed complete")
        verbose_name_plural = _("months confirmed complete")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "month"], name="reports_month_confirmed_once"
            ),
        ]

    def __str__(self):
        return f"{self.office} {self.month:%Y-%m}"
