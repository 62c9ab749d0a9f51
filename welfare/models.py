import time
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.models import HistoricalRecords

from welfare.mykad import (
    MyKadField,
    birth_date,
    birth_place,
    format_mykad,
    mask_mykad,
    normalize_mykad,
    sex_from_mykad,
)


class Role(models.TextChoices):
    """The groups that give a user their access; administrators are superusers."""

    DISTRICT_OFFICER = "District officer", _("District officer")
    STATE_OFFICER = "State officer", _("State officer")
    HQ = "HQ", _("HQ")
    # A volunteer's account reaches only the phone page (welfare.middleware) and
    # the cases assigned to it now (ScopedQuerySet.assigned_to).
    VOLUNTEER = "Volunteer", _("Volunteer")


class State(models.Model):
    code = models.CharField(_("code"), max_length=5, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=60)
    name_ms = models.CharField(_("name (Malay)"), max_length=60)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order in published tables, north to south.")
    )

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("state")
        verbose_name_plural = _("states")

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.name_ms if get_language() == "ms" else self.name_en


class District(models.Model):
    state = models.ForeignKey(
        State, models.PROTECT, related_name="districts", verbose_name=_("state")
    )
    code = models.CharField(_("code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["state__position", "name"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self):
        return self.name


class Office(models.Model):
    """A district social welfare office (PKMD), covering one or more districts."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=120)
    state = models.ForeignKey(
        State, models.PROTECT, related_name="offices", verbose_name=_("state")
    )
    districts = models.ManyToManyField(
        District, related_name="offices", verbose_name=_("districts")
    )
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        ordering = ["state__position", "name"]
        verbose_name = _("office (PKMD)")
        verbose_name_plural = _("offices (PKMD)")

    def __str__(self):
        return self.name


class Constituency(models.Model):
    code = models.CharField(_("code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=60)
    state = models.ForeignKey(
        State, models.PROTECT, related_name="constituencies", verbose_name=_("state")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("parliamentary constituency")
        verbose_name_plural = _("parliamentary constituencies")

    def __str__(self):
        return f"{self.code} {self.name}"


def new_roles_stamp():
    return time.time_ns()


class User(AbstractUser):
    office = models.ForeignKey(
        Office,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("office"),
        help_text=_("For district officers: the office whose records they keep."),
    )
    state = models.ForeignKey(
        State,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("state"),
        help_text=_("For state officers: the state whose records they read."),
    )
    language = models.CharField(
        _("language"), max_length=5, blank=True, help_text=_("Chosen in the page header.")
    )
    # Set anew whenever the user's groups or permissions change: the key under
    # which each process keeps the roles it read (welfare.roles.roles_of).
    roles_changed = models.BigIntegerField(default=new_roles_stamp, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def _get_session_auth_hash(self, secret=None):
        """Sessions are signed with the office, state and active flag as well as
        the password: deactivating a user or moving them to another office signs
        them out everywhere."""
        key_salt = "welfare.models.User.get_session_auth_hash"
        value = f"{self.password}|{self.office_id}|{self.state_id}|{self.is_active}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @staticmethod
    def role_errors(role_names, *, office, state):
        """What a role needs: a district officer keeps the records of an office,
        a state officer reads those of a state. Without it the account would
        have the role and see nothing (office_scope)."""
        errors = {}
        if Role.DISTRICT_OFFICER in role_names and office is None:
            errors["office"] = _("A district officer needs an office.")
        if Role.STATE_OFFICER in role_names and state is None:
            errors["state"] = _("A state officer needs a state.")
        return errors

    def clean(self):
        super().clean()
        # A new account has no groups yet (the admin adds them on the next page).
        if self.pk and (errors := self.role_errors(self.role_names, office=self.office, state=self.state)):  # fmt: skip
            raise ValidationError(errors)

    @cached_property
    def role_names(self):
        from welfare.roles import roles_of  # welfare.roles needs the User model

        return roles_of(self).names

    @property
    def is_volunteer(self):
        """A volunteer's account. The role overrides any other the account has:
        it reaches the phone page only (welfare.roles), sees no office's records
        and only the cases assigned to it now (ScopedQuerySet.assigned_to)."""
        return Role.VOLUNTEER in self.role_names and not self.is_superuser

    @property
    def is_district_officer(self):
        return (
            Role.DISTRICT_OFFICER in self.role_names
            and self.office_id is not None
            and not self.is_volunteer
        )

    @property
    def is_state_officer(self):
        return (
            Role.STATE_OFFICER in self.role_names
            and self.state_id is not None
            and not self.is_volunteer
        )

    @property
    def sees_all_offices(self):
        return self.is_superuser or (Role.HQ in self.role_names and not self.is_volunteer)

    def office_scope(self, path):
        """A Q object that keeps the rows whose office (reached by the lookup
        `path`, or "" for offices themselves) this user may see. The one place
        where access by office is decided."""
        office, state = (path, f"{path}__state") if path else ("pk", "state")
        if not (self.is_authenticated and self.is_active):
            return Q(pk__in=[])
        if self.sees_all_offices:
            return Q()
        if self.is_state_officer:
            return Q(**{state: self.state_id})
        if self.is_district_officer:
            return Q(**{office: self.office_id})
        return Q(pk__in=[])

    def offices_to_write_into(self):
        """The offices whose records this user may create: a district officer's
        own office; any office for an administrator, who then chooses one. (HQ
        also sees all offices, but its role holds no permission to write.) The
        one place that decides it, for forms and imports alike."""
        if self.is_superuser or self.sees_all_offices:
            return Office.objects.select_related("state")
        if self.is_district_officer:
            return Office.objects.select_related("state").filter(pk=self.office_id)
        return Office.objects.none()

    @property
    def own_office(self):
        """The office a new record of this user belongs to without asking: a
        district officer's; None for those who choose (administrators)."""
        return self.office if self.is_district_officer else None


def office_scope_for(user, path):
    """Like User.office_scope, but also for AnonymousUser."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    return user.office_scope(path)


def per_row(related, link, aggregate):
    """`aggregate` over the rows of `related` that `link` ties to each outer row,
    as a correlated subquery: under ORDER BY ... LIMIT, PostgreSQL computes it for
    the page's rows only, where a join and GROUP BY would group every row first."""
    rows = related.filter(**{link: OuterRef("pk")}).order_by().values(link)
    return Subquery(rows.annotate(value=aggregate).values("value"))


class ScopedQuerySet(models.QuerySet):
    """Rows that belong to an office. A model gets scoping by declaring, on its
    queryset, the lookup that reaches its office: `office_path = "project__office"`.
    A model that names a person (participation, case, volunteer) also says, with
    current(), which of its rows serve that person now: their office is then
    shown the person's full details (welfare.people)."""

    office_path = "office"

    def visible_to(self, user):
        scope = office_scope_for(user, self.office_path)
        if user.is_authenticated and user.is_active and user.is_volunteer:
            scope = self.assigned_to(user)
        return self.filter(scope)

    def assigned_to(self, user):
        """A Q of the rows assigned now to the volunteer account `user`, the only
        rows a volunteer sees: none unless the model says which (homehelp's
        cases and their visits). Read on every request, so that a reassignment
        or a deactivation ends the access at once."""
        return Q(pk__in=[])

    def current(self):
        raise NotImplementedError(
            f"{self.model.__name__} names a person: say which rows are current"
        )


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user):
        """People recorded by one of the user's offices, or linked to a record
        (participation, volunteer, case...) that the user may see. The related
        models are found through their foreign keys to Person, so welfare
        needs no knowledge of the programme apps."""
        if not user.is_authenticated:
            return self.none()
        if user.is_active and user.sees_all_offices:
            return self
        scope = office_scope_for(user, "office")
        for relation in Person._meta.related_objects:
            related = relation.related_model._default_manager.all()
            if isinstance(related, ScopedQuerySet):
                linked = related.visible_to(user).values(relation.field.attname)
                scope |= Q(pk__in=linked)
        return self.filter(scope)

    def with_full_details_for(self, user):
        """The people whose full details (MyKad, phone, address) the user is
        shown: those recorded by the district officer's office or served by it
        now; every person for an administrator; nobody for state officers and HQ,
        who see the others' name, year of birth and masked MyKad (welfare.people)."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.is_superuser:
            return self
        if not user.is_district_officer:
            return self.none()
        return self.filter(Q(office=user.office_id) | self.served_by_q(user.office_id))

    @staticmethod
    def served_by_q(office_id):
        """People with a record of the office that serves them now: a current
        participation, an open case, an active volunteer role."""
        served = Q(pk__in=[])
        for relation in Person._meta.related_objects:
            related = relation.related_model._default_manager.all()
            if isinstance(related, ScopedQuerySet):
                rows = related.current().filter(**{related.office_path: office_id})
                served |= Q(pk__in=rows.values(relation.field.attname))
        return served

    def register(self, *, mykad="", office=None, **details):
        """The person with this MyKad if there is one, else a new person: a MyKad
        never gets a second record. Returns (person, created)."""
        mykad = normalize_mykad(mykad)
        person = Person(mykad=mykad, office=office, **details)
        person.fill_from_mykad()
        if not mykad:
            person.save()
            return person, True
        fields = {f: getattr(person, f) for f in ["office", "date_of_birth", "sex", *details]}
        # A deleted record of the MyKad is found (and restored, or refused) by
        # welfare.people.find_by_mykad() before this; here it is an IntegrityError.
        return self.get_or_create(mykad=mykad, defaults=fields)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)

    def restorable(self, *, now):
        return self.filter(deleted_at__gte=now - timedelta(days=settings.PERSON_RETENTION_DAYS))

    def purgeable(self, *, now):
        """Deleted longer ago than the retention period: due to be erased."""
        return self.filter(deleted_at__lt=now - timedelta(days=settings.PERSON_RETENTION_DAYS))


class PersonManager(models.Manager.from_queryset(PersonQuerySet)):
    """Deleted people are hidden everywhere but in the admin (Person.all_objects)."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class AuditedChange(models.Model):
    """What every history row keeps besides who and when (django-simple-history):
    the address the change came from, filled in by welfare.audit."""

    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        abstract = True


class EditConflict(Exception):
    """Someone else saved the record after the version being saved was read."""


class Versioned(models.Model):
    """Optimistic locking: saving an instance read at version N succeeds only if
    the stored row is still at N, so that a concurrent edit is never silently
    overwritten. The check and the increment are one conditional UPDATE, which
    also waits for a concurrent saver's transaction to end."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            rows = type(self)._base_manager.filter(pk=self.pk, version=self.version)
            if not rows.update(version=F("version") + 1):
                raise EditConflict
            self.version += 1
        super().save(*args, **kwargs)


class Person(Versioned):
    """One record per human, across both programmes."""

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    name = models.CharField(_("name"), max_length=150)
    mykad = MyKadField(
        _("MyKad number"),
        help_text=_("12 digits, with or without dashes. Leave empty if the person has none."),
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.TextField(_("address"), blank=True)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True)
    office = models.ForeignKey(
        Office,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("recorded by office"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("deleted by"),
    )

    objects = PersonManager()
    all_objects = PersonQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedChange], excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["mykad"],
                condition=~Q(mykad=""),
                name="person_unique_mykad",
                violation_error_message=_("A person with this MyKad number is already recorded."),
            ),
            models.CheckConstraint(
                condition=Q(mykad="") | Q(mykad__regex=r"^[0-9]{12}$"),
                name="person_mykad_12_digits",
            ),
            models.CheckConstraint(
                condition=Q(postcode="") | Q(postcode__regex=r"^[0-9]{5}$"),
                name="person_postcode_5_digits",
            ),
        ]
        # Lists of people's roles sort by name (volunteers, participants).
        indexes = [models.Index(fields=["name", "id"], name="welfare_person_name")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("person-detail", args=[self.pk])

    @property
    def masked_mykad(self):
        return mask_mykad(self.mykad)

    @property
    def formatted_mykad(self):
        return format_mykad(self.mykad)

    @property
    def birth_place(self):
        """The state or country of birth that the MyKad encodes."""
        return birth_place(self.mykad)

    @property
    def birth_year(self):
        return self.date_of_birth.year if self.date_of_birth else None

    def age_on(self, day):
        if not self.date_of_birth:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def programme_records(self):
        """The kinds of programme record that name this person ("cases"...):
        a person who has any cannot be deleted, or those records would lose them."""
        return [
            relation.related_model._meta.verbose_name_plural
            for relation in Person._meta.related_objects
            if isinstance(relation.related_model._default_manager.all(), ScopedQuerySet)
            and relation.related_model._default_manager.filter(
                **{relation.field.name: self}
            ).exists()
        ]

    def soft_delete(self, *, by):
        self.deleted_at = timezone.now()
        self.deleted_by = by
        self.save(update_fields=["deleted_at", "deleted_by"])

    def restore(self):
        self.deleted_at = None
        self.deleted_by = None
        self.save(update_fields=["deleted_at", "deleted_by"])

    @property
    def restorable_until(self):
        if self.deleted_at:
            return self.deleted_at + timedelta(days=settings.PERSON_RETENTION_DAYS)
        return None

    def fill_from_mykad(self):
        """Derive date of birth and sex from a valid MyKad."""
        if self.mykad:
            self.date_of_birth = birth_date(self.mykad, today=date.today())
            self.sex = sex_from_mykad(self.mykad)


class AccessLog(models.Model):
    """Who viewed, looked up, revealed or exported a person, and from where: one
    row per person concerned, so that "who saw this person" is one filter
    (welfare.people.log_access)."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        EXPORT = "export", _("Exported")
        # By MyKad, of a person outside the user's full details: limited per day.
        LOOKUP = "lookup", _("Looked up")
        REVEAL = "reveal", _("Revealed the full MyKad")

    # No index of their own on user and person: the indexes below start with
    # them, and an export writes one row per person (10,000 at once), each row
    # paying for every index.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
        db_index=False,
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("what"), max_length=60)
    object_id = models.PositiveBigIntegerField(_("record number"), null=True, blank=True)
    person = models.ForeignKey(
        Person,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
        db_index=False,
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["person", "-at"], name="accesslog_person_newest_first"),
            models.Index(fields=["-at"], name="accesslog_newest_first"),
            # The daily count of a user's look-ups.
            models.Index(fields=["user", "action", "-at"], name="accesslog_user_action"),
        ]

    def __str__(self):
        return f"{self.user} {self.get_action_display()} {self.object_type} {self.object_id or ''}"


class Submission(models.Model):
    """The token of a form page that was sent once, so that sending the same page
    again (a double click, a resend after a lost answer) saves nothing more."""

    token = models.CharField(max_length=32, unique=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self):
        return self.token


class StagedImport(models.Model):
    """The checked rows of an import between its preview and its confirmation, in
    the database rather than on one server's disk, so that the two requests may
    reach different servers. Found by a random token that only the session of the
    preview holds (welfare.imports); forgotten once confirmed, or after a day."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    target = models.PositiveBigIntegerField(null=True, blank=True)
    # [{"number", "values", "person", "new_person", "record"}, ...]: what saving
    # writes, row by row, and the row as read, for what confirming checks again.
    rows = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staged import")
        verbose_name_plural = _("staged imports")

    def __str__(self):
        return f"{self.kind} {self.target or ''} ({len(self.rows)} rows)"


class SecondFactorEnrolmentQuerySet(models.QuerySet):
    def issue(self, user, *, by):
        """A new authenticator app for `user`, started by an administrator or by the
        user's own confirmed device (`by`). It replaces the user's unfinished
        enrolments; the devices already confirmed keep working until it is confirmed."""
        self.filter(user=user, confirmed_at__isnull=True).delete()
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        expires_at = timezone.now() + timedelta(days=settings.OTP_ENROLMENT_DAYS)
        return self.create(user=user, device=device, issued_by=by, expires_at=expires_at)

    def pending(self, *, now):
        return self.filter(confirmed_at__isnull=True, expires_at__gt=now)


class SecondFactorEnrolment(models.Model):
    """Permission for one user to add one authenticator app: a second factor is
    issued, never claimed by whoever has the password. Its key is shown once, to
    that user signed in, and works until it expires or is confirmed with a code."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="second_factor_enrolments",
        verbose_name=_("user"),
    )
    device = models.OneToOneField(TOTPDevice, models.CASCADE, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    shown_at = models.DateTimeField(_("key shown"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    objects = SecondFactorEnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("second-factor enrolment")
        verbose_name_plural = _("second-factor enrolments")

    def __str__(self):
        return f"{self.user} {self.issued_at:%Y-%m-%d %H:%M}"

    def reveal(self):
        """True the first time only: the key may be shown now. A conditional update,
        so that two pages opened at once cannot both show it."""
        shown = type(self).objects.filter(pk=self.pk, shown_at__isnull=True)
        self.shown_at = timezone.now()
        return bool(shown.update(shown_at=self.shown_at))

    def confirm(self, code):
        """Confirms the new device with a first code from the app, once and before
        the enrolment expires; the device then replaces the user's others (a lost or
        old phone stops working). True when confirmed."""
        if not self.device.verify_token(code):
            return False
        now = timezone.now()
        unused = type(self).objects.pending(now=now).filter(pk=self.pk, shown_at__isnull=False)
        if not unused.update(confirmed_at=now):
            return False
        self.confirmed_at = now
        TOTPDevice.objects.filter(user=self.user_id).exclude(pk=self.device_id).delete()
        self.device.confirmed = True
        self.device.save(update_fields=["confirmed"])
        return True


class PasswordResetRequestQuerySet(models.QuerySet):
    def allow(self, *, email, ip_address):
        """Whether a reset link may be mailed to `email` for a request from
        `ip_address`, which is then recorded: at most
        PASSWORD_RESET_LIMIT_PER_ACCOUNT an hour to one e-mail address (no mail
        bomb of a known address) and PASSWORD_RESET_LIMIT_PER_ADDRESS from one IP
        address, higher because an office shares one. Decided and recorded alike
        whether or not an account has the e-mail, so the answer tells nothing."""
        email = email.strip().lower()
        hour_ago = timezone.now() - timedelta(hours=1)
        recent = self.filter(requested_at__gte=hour_ago)
        if (
            recent.filter(email=email).count() >= settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT
            or recent.filter(ip_address=ip_address).count()
            >= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
        ):
            return False
        self.create(email=email, ip_address=ip_address)
        return True


class PasswordResetRequest(models.Model):
    """A password-reset link asked for (and mailed, if an account has the
    e-mail); `manage.py purge_deleted` forgets them after a day."""

    email = models.EmailField(_("email"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    requested_at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = PasswordResetRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("password reset request")
        verbose_name_plural = _("password reset requests")
        indexes = [
            models.Index(fields=["email", "requested_at"], name="passwordreset_email_time"),
            models.Index(fields=["ip_address", "requested_at"], name="passwordreset_address_time"),
        ]

    def __str__(self):
        return f"{self.email} {self.requested_at:%Y-%m-%d %H:%M}"
