from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count, F, Max, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from welfare.models import (
    AuditedChange,
    Constituency,
    Office,
    Person,
    Role,
    ScopedQuerySet,
    Versioned,
    office_scope_for,
    per_row,
)

QUIET_VOLUNTEER_DAYS = 30


class AddDays(models.Func):
    """A date plus a number of days taken from a column. Django's duration
    arithmetic cannot multiply a column by a timedelta on SQLite. Migration 0007
    names this class in an index, as migrations name a custom field: keep its
    name and module (a copy in the migration would be another class to Django,
    which would then want the index made again)."""

    output_field = models.DateField()

    def __init__(self, day, days):
        super().__init__(day, days)

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date + integer is a date (there is no date + bigint).
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)::integer)", arg_joiner=" + ("
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="date(%(expressions)s || ' days')",
            arg_joiner=", '+' || ",
        )


# When the next visit of a case is due: the last visit, or the opening day if
# never visited, plus the planned frequency.
VISIT_DUE_ON = AddDays(Coalesce("last_visited_on", "opened_on"), "visit_every_days")


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """National organisations, which every signed-in user reads, and those of
        the offices the user sees (User.office_scope)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_active and user.sees_all_offices:
            return self  # office_scope_for() is then an empty Q, which `|` would drop
        return self.filter(Q(office__isnull=True) | office_scope_for(user, "office"))

    def available_to(self, office):
        """What the volunteers of `office` may belong to: the national
        organisations and the office's own."""
        return self.filter(Q(office__isnull=True) | Q(office=office))


class Organization(models.Model):
    """A voluntary welfare organisation (PSK). A national one (no office) works
    across offices: every office may pick it for its volunteers, and only
    administrators change it. One that belongs to an office is that office's: its
    district officers change it, and other offices do not see it."""

    class Kind(models.TextChoices):
        USIAMAS = "usiamas", _("USIAMAS")
        MPKSM = "mpksm", _("MPKSM")
        OTHER = "other", _("Other registered organisation")
        CHARITY = "charity", _("Volunteer charity registered with JKM")

    name = models.CharField(_("name"), max_length=150)
    registration_number = models.CharField(_("registration number"), max_length=30, unique=True)
    registered_with_jkm_on = models.DateField(
        _("registered with JKM on"), null=True, blank=True, help_text=_("For charities.")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    contact_person = models.CharField(_("contact person"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    office = models.ForeignKey(
        Office,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
        verbose_name=_("office"),
        help_text=_("Empty for a national organisation, which every office may pick."),
    )

    objects = OrganizationQuerySet.as_manager()

    history = HistoricalRecords(bases=[AuditedChange])

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="charity") | Q(registered_with_jkm_on__isnull=False),
                name="homehelp_charity_has_jkm_registration_date",
                violation_error_message=_("Give the date the charity was registered with JKM."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("homehelp:organization-detail", args=[self.pk])

    @property
    def is_national(self):
        return self.office_id is None

    def editable_by(self, user):
        """For an organisation fetched through visible_to(), which keeps other
        offices' own organisations out: a national one is the administrators' to
        change, an office's own its district officers' (who see only their office)."""
        if not user.has_perm("homehelp.change_organization"):
            return False
        return not self.is_national or user.is_superuser


class Service(models.Model):
    """One of the services of the programme, a row so that visits and cases can
    hold a set of them that the database can count (reports: services given)."""

    class Code(models.TextChoices):
        PERSONAL_CARE = "personal_care", _("Personal care")
        HYGIENE = "hygiene", _("Hygiene")
        HOUSE_HELP = "house_help", _("Shelter and house help")
        COMPANIONSHIP = "companionship", _("Companionship")
        ERRANDS = "errands", _("Errands such as paying bills")
        HEALTH_CARE = "health_care", _("Health care")

    code = models.CharField(_("code"), max_length=20, choices=Code.choices, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        # The enum's label, not get_code_display(), which builds a dict of every
        # choice at each call: a page of visits names hundreds of services.
        return str(self.Code(self.code).label)


class VolunteerQuerySet(ScopedQuerySet):
    office_path = "office"

    def current(self):
        return self.filter(active=True)

    def available_on(self, day=None):
        """Volunteers who may be assigned to a case or recorded on a visit on
        `day`: active, and trained by then (by any day when `day` is None, for a
        form's choices before its date is known). The one statement of the rule
        for querysets; Volunteer.availability_error says why one volunteer is not."""
        trained = Q(trained_on__lte=day) if day else Q(trained_on__isnull=False)
        return self.filter(trained, active=True)

    def with_caseload(self):
        """Adds open_cases, for the page's rows only (per_row)."""
        open_cases = per_row(Case.objects.open(), "volunteer", Count("pk"))
        return self.annotate(open_cases=Coalesce(open_cases, 0))

    def open_cases_by_volunteer(self):
        """The open cases of these volunteers grouped by volunteer (a values()
        queryset to aggregate on). Narrowed to these volunteers only when they
        are narrowed: for the whole country the list of every volunteer would
        only cost a join."""
        cases = Case.objects.open().order_by().values("volunteer")
        if self.query.has_filters():
            cases = cases.filter(volunteer__in=self.values("pk"))
        return cases

    def over_caseload(self):
        """Volunteers with more open cases than their maximum: one grouped pass
        over the open cases, whatever the number of volunteers."""
        over = (
            self.open_cases_by_volunteer()
            .annotate(n=Count("pk"))
            .filter(n__gt=F("volunteer__max_cases"))
            .values("volunteer")
        )
        return self.filter(pk__in=over)

    def with_last_activity(self):
        """Adds last_activity_on: the latest visit to any of the volunteer's
        active cases, or the day such a case opened if it was never visited.
        Computed for the page's rows only (per_row)."""
        active = Case.objects.filter(status=Case.Status.ACTIVE)
        last = per_row(active, "volunteer", Max(Coalesce("last_visited_on", "opened_on")))
        return self.annotate(last_activity_on=last)

    def quiet(self, *, today):
        """Volunteers with active cases of which none had a visit in the last 30
        days (a case never visited counts from the day it opened): one grouped
        pass over the open cases."""
        quiet = (
            self.open_cases_by_volunteer()
            .filter(status=Case.Status.ACTIVE)
            .annotate(last=Max(Coalesce("last_visited_on", "opened_on")))
            .filter(last__lt=today - timedelta(days=QUIET_VOLUNTEER_DAYS))
            .values("volunteer")
        )
        return self.filter(pk__in=quiet)


class InvitationTokens(PasswordResetTokenGenerator):
    """The one-time links that invite volunteers to set their password. A link
    stops working once used (setting the password and signing in change what
    it was made from), when a newer invitation replaces it, and after
    PASSWORD_RESET_TIMEOUT (Django's default: three days)."""

    key_salt = "homehelp.models.InvitationTokens"


invitation_tokens = InvitationTokens()


class Volunteer(models.Model):
    person = models.ForeignKey(
        Person, models.PROTECT, related_name="volunteer_roles", verbose_name=_("person")
    )
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="volunteers", verbose_name=_("organisation")
    )
    office = models.ForeignKey(
        Office, models.PROTECT, related_name="volunteers", verbose_name=_("office")
    )
    trained_on = models.DateField(
        _("trained on"), null=True, blank=True, help_text=_("Empty until the volunteer is trained.")
    )
    active = models.BooleanField(_("active"), default=True)
    max_cases = models.PositiveSmallIntegerField(
        _("maximum caseload"), default=5, validators=[MinValueValidator(1)]
    )
    # The volunteer's own sign-in, made by an invitation (volunteer_invite): it
    # sees the cases assigned to this volunteer now, on the phone page only.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer",
        verbose_name=_("sign-in account"),
    )

    objects = VolunteerQuerySet.as_manager()

    history = HistoricalRecords(bases=[AuditedChange])

    class Meta:
        ordering = ["person__name"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "office"],
                name="homehelp_volunteer_once_per_office",
                violation_error_message=_("This person is already a volunteer of this office."),
            ),
            models.CheckConstraint(
                condition=Q(max_cases__gte=1), name="homehelp_volunteer_max_cases_positive"
            ),
        ]

    def __str__(self):
        return str(self.person)

    def get_absolute_url(self):
        return reverse("homehelp:volunteer-detail", args=[self.pk])

    def clean(self):
        # Not keyed to the field: the import's row form has no organisation field.
        organization = self.organization if self.organization_id else None
        if organization and self.office_id and organization.office_id not in (None, self.office_id):
            raise ValidationError(
                _("%(organization)s belongs to another office.") % {"organization": organization}
            )

    def invite(self, *, email=""):
        """The volunteer's sign-in account, made at the first invitation, and
        the token of a new one-time link for setting its password. Any earlier
        link, and any password set before, stop working until the volunteer
        uses the new link."""
        user = self.user
        if user is None:
            user = get_user_model()(username=self.free_username())
        user.is_active = True
        user.email = email or user.email
        user.first_name = self.person.name[:150]
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=Role.VOLUNTEER))
        if self.user_id != user.pk:
            self.user = user
            self.save(update_fields=["user"])
        return invitation_tokens.make_token(user)

    def free_username(self):
        """The first word of the name and the record's number: easy to type on
        a phone, and never the MyKad."""
        base = slugify(self.person.name.split()[0] if self.person.name.split() else "")
        username = f"{base or 'volunteer'}.{self.pk}"
        users = get_user_model().objects
        suffix = 1
        while users.filter(username=username).exists():
            suffix += 1
            username = f"{base or 'volunteer'}.{self.pk}.{suffix}"
        return username

    def availability_error(self, day):
        """Why this volunteer may not serve on `day`, or None."""
        if self.trained_on is None:
            return _("%(name)s has not been trained yet.") % {"name": self.person}
        if self.trained_on > day:
            return _("%(name)s was trained only on %(date)s.") % {
                "name": self.person,
                "date": self.trained_on.strftime("%d/%m/%Y"),
            }
        if not self.active:
            return _("%(name)s is not an active volunteer.") % {"name": self.person}
        return None


class CaseQuerySet(ScopedQuerySet):
    office_path = "office"

    def open(self):
        return self.exclude(status=Case.Status.CLOSED)

    def current(self):
        return self.open()

    def assigned_to(self, user, prefix=""):
        """A volunteer sees a case while it is assigned to them, referred or
        active (not suspended, not closed), and they are an active, trained
        volunteer."""
        return Q(
            **{
                f"{prefix}volunteer__user": user,
                f"{prefix}volunteer__active": True,
                f"{prefix}volunteer__trained_on__isnull": False,
                f"{prefix}status__in": [Case.Status.REFERRED, Case.Status.ACTIVE],
            }
        )

    def once_assigned_to(self, user):
        """Cases that were assigned to the volunteer account `user` at some time
        (their history says so), whether or not they still are: a visit sent for
        one of them from a phone that was offline is held for the office, never
        lost (HeldVisit). Other cases stay unknown to the volunteer (404)."""
        assigned = Case.history.filter(volunteer__user=user).values("id")
        return self.filter(pk__in=assigned)

    def with_visit_due_on(self):
        """Adds visit_due_on: the day by which the next visit is due (last
        visit, or the opening day if never visited, plus the planned frequency).
        Computed from the case's own columns, so it needs no visit rows, and the
        index homehelp_case_active_due serves the overdue list in its order."""
        return self.annotate(visit_due_on=VISIT_DUE_ON)

    def overdue(self, *, today):
        """Active cases whose next visit was due before today, longest overdue
        first: visited exactly visit_every_days ago is not overdue, a day more is."""
        return self.with_visit_due_on().due_before(today)

    def due_before(self, today):
        """overdue() for a queryset that already has with_visit_due_on()."""
        return self.filter(status=Case.Status.ACTIVE, visit_due_on__lt=today).order_by(
            "visit_due_on", "pk"
        )

    def waiting_for_volunteer(self):
        return self.filter(
            status__in=[Case.Status.REFERRED, Case.Status.ACTIVE], volunteer__isnull=True
        )

    def with_open_concern(self):
        return self.filter(pk__in=Visit.objects.open_concerns().values("case_id"))

    def refresh_last_visited_on(self):
        """Stores on these cases the day of their latest visit (None if never
        visited): for bulk writes of visits (demo and benchmark data, the admin's
        bulk delete), which skip Visit.save() and Visit.delete()."""
        return self.update(last_visited_on=per_row(Visit.objects.all(), "case", Max("visited_on")))


class Case(Versioned):
    class ClientType(models.TextChoices):
        SENIOR = "senior", _("Senior citizen (60 or older)")
        OKU = "oku", _("Person with disability (OKU)")
        HOMELESS = "homeless", _("Homeless person (no fixed address)")

    class LivingArrangement(models.TextChoices):
        ALONE = "alone", _("Alone")
        WITH_FAMILY = "family", _("With family")

    class Status(models.TextChoices):
        REFERRED = "referred", _("Referred")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    class CloseReason(models.TextChoices):
        DECEASED = "deceased", _("Deceased")
        MOVED_AWAY = "moved", _("Moved away")
        INSTITUTION = "institution", _("Entered an institution")
        NO_LONGER_NEEDED = "not_needed", _("No longer needs help")
        DECLINED = "declined", _("Declined")

    client = models.ForeignKey(
        Person, models.PROTECT, related_name="homehelp_cases", verbose_name=_("client")
    )
    client_type = models.CharField(
        _("client type"), max_length=10, choices=ClientType.choices, default=ClientType.SENIOR
    )
    oku_card_number = models.CharField(
        _("OKU card number"), max_length=30, blank=True, help_text=_("For persons with disability.")
    )
    # db_default: rows written without the ORM (generate_data's COPY) get it too.
    usual_location = models.TextField(
        _("usual location"),
        blank=True,
        db_default="",
        help_text=_("For a homeless client: where they can usually be found, and when."),
    )
    office = models.ForeignKey(
        Office, models.PROTECT, related_name="cases", verbose_name=_("office")
    )
    constituency = models.ForeignKey(
        Constituency,
        models.PROTECT,
        related_name="homehelp_cases",
        verbose_name=_("parliamentary constituency"),
        help_text=_("Where the client lives; in the office's state."),
    )
    living_arrangement = models.CharField(
        _("living arrangement"), max_length=10, choices=LivingArrangement.choices
    )
    needs = models.ManyToManyField(
        Service, blank=True, related_name="cases_in_need", verbose_name=_("needs")
    )
    volunteer = models.ForeignKey(
        Volunteer,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("assigned volunteer"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REFERRED
    )
    close_reason = models.CharField(
        _("reason for closing"), max_length=15, choices=CloseReason.choices, blank=True
    )
    opened_on = models.DateField(_("opened on"), default=date.today)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    visit_every_days = models.PositiveSmallIntegerField(
        _("visit every (days)"),
        default=7,
        help_text=_("Planned visit frequency."),
        # The range of homehelp_case_visit_every_days_range, said beside the field
        # by every form and import rather than by the database at the end.
        validators=[MinValueValidator(1), MaxValueValidator(366)],
    )
    # The latest visited_on of the case's visits, kept by refresh_last_visited_on()
    # whenever a visit is added, changed or deleted: the lists and the worklist
    # sort and filter by it without reading the visits.
    last_visited_on = models.DateField(_("last visit"), null=True, blank=True, editable=False)
    consent_to_share = models.BooleanField(
        _("consent to share data with the volunteer's organisation"), default=False
    )
    consent_given_on = models.DateField(_("consent given on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = CaseQuerySet.as_manager()

    history = HistoricalRecords(bases=[AuditedChange], excluded_fields=["last_visited_on"])

    class Meta:
        ordering = ["-opened_on", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=~Q(status="closed"),
                name="homehelp_case_one_open_per_client",
                violation_error_message=_("This client already has an open case."),
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="homehelp_case_closed_not_before_opened",
                violation_error_message=_("A case cannot close before it opened."),
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | (~Q(close_reason="") & Q(closed_on__isnull=False)),
                name="homehelp_case_closed_with_reason_and_date",
                violation_error_message=_("A closed case needs a reason and a closing date."),
            ),
            models.CheckConstraint(
                condition=~Q(client_type="oku") | ~Q(oku_card_number=""),
                name="homehelp_case_oku_has_card_number",
                violation_error_message=_("Give the OKU card number."),
            ),
            models.CheckConstraint(
                condition=~Q(client_type="homeless") | ~Q(usual_location=""),
                name="homehelp_case_homeless_has_usual_location",
                violation_error_message=_("Give the place where the client can usually be found."),
            ),
            models.CheckConstraint(
                condition=Q(consent_to_share=False) | Q(consent_given_on__isnull=False),
                name="homehelp_case_consent_has_date",
                violation_error_message=_("Give the date the consent was given."),
            ),
            models.CheckConstraint(
                condition=Q(visit_every_days__gte=1) & Q(visit_every_days__lte=366),
                name="homehelp_case_visit_every_days_range",
            ),
        ]
        indexes = [
            models.Index(fields=["office", "status"], name="homehelp_case_office_status"),
            # The case list, newest first, pages without sorting every case.
            models.Index(fields=["-opened_on", "-id"], name="homehelp_case_newest_first"),
            # The open cases of each volunteer, read from the index alone: the
            # caseload and last-activity figures (VolunteerQuerySet).
            models.Index(
                fields=["volunteer"],
                include=["status", "last_visited_on", "opened_on"],
                condition=~Q(status="closed"),
                name="homehelp_case_open_volunteer",
            ),
            # The worklist's overdue cases, longest overdue first (due_before()).
            models.Index(
                VISIT_DUE_ON,
                "id",
                condition=Q(status="active"),
                name="homehelp_case_active_due",
            ),
        ]

    def __str__(self):
        return f"{self.client} ({self.get_client_type_display()})"

    def get_absolute_url(self):
        return reverse("homehelp:case-detail", args=[self.pk])

    @property
    def is_open(self):
        return self.status != self.Status.CLOSED

    def refresh_last_visited_on(self):
        """Visit.save() and Visit.delete() call this. The row
        lock makes two visits recorded at the same moment wait for each other,
        so that the later transaction reads both and neither date is lost."""
        with transaction.atomic():
            cases = Case.objects.filter(pk=self.pk)
            cases.select_for_update(no_key=True).values_list("pk").first()
            self.last_visited_on = self.visits.aggregate(last=Max("visited_on"))["last"]
            cases.update(last_visited_on=self.last_visited_on)

    @property
    def days_overdue(self):
        """Needs CaseQuerySet.with_visit_due_on(); 0 when not overdue."""
        return max((date.today() - self.visit_due_on).days, 0)

    def clean(self):
        errors = {}
        client = getattr(self, "client", None)
        on = self.opened_on
        if client and on and self.client_type == self.ClientType.SENIOR:
            age = client.age_on(on)
            if age is not None and age < 60:
                # Not the age: varying the day would give away the date of birth
                # of a person recorded by another office.
                errors["client_type"] = _(
                    "A senior citizen is 60 or older on the day the case opens; "
                    "this client is younger then."
                )
        if self.client_type == self.ClientType.OKU and not self.oku_card_number:
            errors["oku_card_number"] = _("Give the OKU card number.")
        if self.client_type == self.ClientType.HOMELESS and not self.usual_location.strip():
            errors["usual_location"] = _("Give the place where the client can usually be found.")
        if self.consent_to_share and not self.consent_given_on:
            errors["consent_given_on"] = _("Give the date the consent was given.")
        office = getattr(self, "office", None)
        if office and self.constituency_id and self.constituency.state_id != office.state_id:
            errors["constituency"] = _("%(constituency)s is not in %(state)s.") % {
                "constituency": self.constituency,
                "state": office.state,
            }
        # A case being closed (closed_on given) keeps the volunteer it had, available or not.
        if self.volunteer_id and office and self.is_open and not self.closed_on:
            if self.volunteer.office_id != office.pk:
                errors["volunteer"] = _("%(name)s serves another office.") % {
                    "name": self.volunteer.person
                }
            elif problem := self.volunteer.availability_error(date.today()):
                errors["volunteer"] = problem
        if self.status == self.Status.CLOSED and not self.close_reason:
            errors["close_reason"] = _("Give the reason for closing the case.")
        if self.closed_on and on:
            if self.closed_on < on:
                errors["closed_on"] = _("A case cannot close before it opened.")
            elif self.pk:
                last = self.visits.aggregate(last=Max("visited_on"))["last"]
                if last and self.closed_on < last:
                    errors["closed_on"] = _("The last visit was on %(date)s.") % {
                        "date": last.strftime("%d/%m/%Y")
                    }
        if errors:
            raise ValidationError(errors)

    def close(self, *, on, reason):
        self.status = self.Status.CLOSED
        self.closed_on = on
        self.close_reason = reason
        self.full_clean()
        self.save(update_fields=["status", "closed_on", "close_reason"])


class VisitQuerySet(ScopedQuerySet):
    office_path = "case__office"

    def assigned_to(self, user):
        """The visits of the cases a volunteer sees (the last few on their page)."""
        return Case.objects.all().assigned_to(user, prefix="case__")

    def open_concerns(self):
        return self.filter(concern=True, concern_resolved_on__isnull=True)


class Visit(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="visits", verbose_name=_("case"))
    volunteer = models.ForeignKey(
        Volunteer, models.PROTECT, related_name="visits", verbose_name=_("volunteer")
    )
    visited_on = models.DateField(_("date of visit"), default=date.today)
    minutes = models.PositiveSmallIntegerField(_("minutes spent"))
    services = models.ManyToManyField(
        Service, related_name="visits", verbose_name=_("services given")
    )
    notes = models.TextField(_("notes"), blank=True)
    concern = models.BooleanField(
        _("concern"),
        default=False,
        help_text=_("Keeps the case on the officer's follow-up list until resolved."),
    )
    concern_resolved_on = models.DateField(_("concern resolved on"), null=True, blank=True)
    concern_resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("concern resolved by"),
    )
    # Marks, for the office, a visit the volunteer recorded on their phone
    # (the office checks and may correct it); the history says who changed it since.
    recorded_by_volunteer = models.BooleanField(
        _("recorded by the volunteer"), default=False, db_default=False, editable=False
    )

    objects = VisitQuerySet.as_manager()

    history = HistoricalRecords(bases=[AuditedChange])

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=720),
                name="homehelp_visit_minutes_1_to_720",
                violation_error_message=_("A visit lasts from 1 to 720 minutes."),
            ),
            models.CheckConstraint(
                condition=Q(concern=True) | Q(concern_resolved_on__isnull=True),
                name="homehelp_visit_resolved_only_with_concern",
            ),
        ]
        indexes = [
            # The worklist's Max(visited_on) per case reads this index only.
            models.Index(fields=["case", "visited_on"], name="homehelp_visit_case_date"),
            # The visit list, newest first, pages without sorting every visit.
            models.Index(fields=["-visited_on", "-id"], name="homehelp_visit_newest_first"),
            models.Index(
                fields=["case"],
                condition=Q(concern=True, concern_resolved_on__isnull=True),
                name="homehelp_visit_open_concern",
            ),
            # The worklist's open concerns, newest first, without walking past
            # every visit that has none.
            models.Index(
                fields=["-visited_on", "-id"],
                condition=Q(concern=True, concern_resolved_on__isnull=True),
                name="homehelp_visit_concern_newest",
            ),
        ]

    def __str__(self):
        return _("Visit to %(client)s on %(date)s") % {
            "client": self.case.client,
            "date": self.visited_on.strftime("%d/%m/%Y"),
        }

    def save(self, *args, **kwargs):
        """Every visit written one at a time keeps its case's last_visited_on
        true, whichever path wrote it (forms, the admin, a phone's held visit):
        the one home of that rule. Bulk writes call CaseQuerySet.refresh_last_visited_on()."""
        moved_from = None
        if self.pk:
            moved_from = (
                Visit.objects.filter(pk=self.pk)
                .exclude(case=self.case_id)
                .values_list("case_id", flat=True)
                .first()
            )
        super().save(*args, **kwargs)
        self.case.refresh_last_visited_on()
        if moved_from:
            Case.objects.filter(pk=moved_from).refresh_last_visited_on()

    def get_absolute_url(self):
        return f"{self.case.get_absolute_url()}#visit-{self.pk}"

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        self.case.refresh_last_visited_on()
        return deleted

    @property
    def has_open_concern(self):
        return self.concern and self.concern_resolved_on is None

    def clean(self):
        errors = {}
        case = getattr(self, "case", None)
        day = self.visited_on
        if day and day > date.today():
            errors["visited_on"] = _("A visit cannot be in the future.")
        elif day and case:
            if day < case.opened_on:
                errors["visited_on"] = _("The case opened on %(date)s.") % {
                    "date": case.opened_on.strftime("%d/%m/%Y")
                }
            elif case.closed_on and day > case.closed_on:
                errors["visited_on"] = _("The case closed on %(date)s.") % {
                    "date": case.closed_on.strftime("%d/%m/%Y")
                }
        volunteer = getattr(self, "volunteer", None)
        if volunteer and case and day:
            if volunteer.office_id != case.office_id:
                errors["volunteer"] = _("%(name)s serves another office.") % {
                    "name": volunteer.person
                }
            elif problem := volunteer.availability_error(day):
                errors["volunteer"] = problem
        if self.minutes is not None and not 1 <= self.minutes <= 720:
            errors["minutes"] = _("A visit lasts from 1 to 720 minutes.")
        if errors:
            raise ValidationError(errors)

    def resolve_concern(self, *, by, on=None):
        self.concern_resolved_on = on or date.today()
        self.concern_resolved_by = by
        self.save(update_fields=["concern_resolved_on", "concern_resolved_by"])


class HeldVisitQuerySet(ScopedQuerySet):
    office_path = "case__office"

    def waiting(self):
        return self.filter(decided_on__isnull=True)


class HeldVisit(models.Model):
    """A visit sent from a volunteer's phone for a case no longer assigned to
    them (reassigned, suspended or closed while the phone was offline): held for
    the office to confirm as a visit, or to set aside, so that nothing recorded
    in the field is lost and nothing unchecked is counted."""

    case = models.ForeignKey(
        Case, models.CASCADE, related_name="held_visits", verbose_name=_("case")
    )
    volunteer = models.ForeignKey(
        Volunteer, models.PROTECT, related_name="held_visits", verbose_name=_("volunteer")
    )
    visited_on = models.DateField(_("date of visit"))
    minutes = models.PositiveSmallIntegerField(_("minutes spent"))
    services = models.ManyToManyField(
        Service, blank=True, related_name="held_visits", verbose_name=_("services given")
    )
    concern = models.BooleanField(_("concern"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    visit = models.OneToOneField(
        Visit,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="held_as",
        verbose_name=_("confirmed as visit"),
    )

    objects = HeldVisitQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at", "pk"]
        verbose_name = _("visit to confirm")
        verbose_name_plural = _("visits to confirm")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=720),
                name="homehelp_heldvisit_minutes_1_to_720",
                violation_error_message=_("A visit lasts from 1 to 720 minutes."),
            ),
        ]

    def __str__(self):
        return _("Visit to %(client)s on %(date)s, to confirm") % {
            "client": self.case.client,
            "date": self.visited_on.strftime("%d/%m/%Y"),
        }

    def get_absolute_url(self):
        return reverse("homehelp:held-visit", args=[self.pk])

    def clean(self):
        if self.visited_on and self.visited_on > date.today():
            raise ValidationError({"visited_on": _("A visit cannot be in the future.")})

    def confirm(self, visit, *, by):
        """The office took it as `visit` (saved by the caller)."""
        self.visit = visit
        self.decide(by=by)

    def decide(self, *, by):
        self.decided_on = date.today()
        self.decided_by = by
        self.save(update_fields=["visit", "decided_on", "decided_by"])


class Reminder(models.Model):
    """That a user was sent their daily reminder (manage.py send_reminders): one
    a day per user, however often the command runs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("user")
    )
    sent_on = models.DateField(_("sent on"))

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "sent_on"], name="homehelp_reminder_once_a_day")
        ]

    def __str__(self):
        return f"{self.user} {self.sent_on}"


class ReferralQuerySet(ScopedQuerySet):
    office_path = "case__office"

    def open(self):
        return self.exclude(status=Referral.Status.CLOSED)


class Referral(models.Model):
    """A case referred to a health clinic (KKM) by the office: on the case and
    the worklist until closed, with the clinic's note back."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        SEEN = "seen", _("Seen by the clinic")
        CLOSED = "closed", _("Closed")

    case = models.ForeignKey(Case, models.CASCADE, related_name="referrals", verbose_name=_("case"))
    clinic = models.CharField(
        _("health clinic"),
        max_length=150,
        help_text=_("The KKM clinic, e.g. Klinik Kesihatan Kelana Jaya."),
    )
    reason = models.TextField(_("reason for the referral"))
    sent_on = models.DateField(_("sent on"), default=date.today)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SENT
    )
    note_back = models.TextField(_("note back from the clinic"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("referred by"),
    )

    objects = ReferralQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedChange])

    class Meta:
        ordering = ["-sent_on", "-pk"]
        verbose_name = _("referral to health care")
        verbose_name_plural = _("referrals to health care")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", closed_on__isnull=False)
                | (~Q(status="closed") & Q(closed_on__isnull=True)),
                name="homehelp_referral_closed_on_when_closed",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("sent_on")),
                name="homehelp_referral_closed_not_before_sent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["case"], condition=~Q(status="closed"), name="homehelp_referral_open"
            )
        ]

    def __str__(self):
        return _("Referral of %(client)s to %(clinic)s") % {
            "client": self.case.client,
            "clinic": self.clinic,
        }

    def get_absolute_url(self):
        return f"{self.case.get_absolute_url()}#referral-{self.pk}"

    def clean(self):
        if self.sent_on and self.sent_on > date.today():
            raise ValidationError({"sent_on": _("A referral cannot be sent in the future.")})
        case = getattr(self, "case", None)
        if case and self.sent_on and self.sent_on < case.opened_on:
            raise ValidationError(
                {
                    "sent_on": _("The case opened on %(date)s.")
                    % {"date": case.opened_on.strftime("%d/%m/%Y")}
                }
            )

    def set_status(self, status):
        """Closing dates the referral; reopening clears the date."""
        self.status = status
        if status == self.Status.CLOSED:
            self.closed_on = self.closed_on or max(date.today(), self.sent_on)
        else:
            self.closed_on = None
