from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from welfare.models import AuditedChange, District, Office, Person, ScopedQuerySet, Versioned

# A hall of a kampung, a stadium at most: more is a typing mistake.
MAX_ATTENDANCE = 5000


class Objective(models.Model):
    """The six objectives of the programme, as published by JKM; loaded by a
    data migration."""

    position = models.PositiveSmallIntegerField(_("position"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ms = models.CharField(_("name (Malay)"), max_length=120)

    class Meta:
        ordering = ["position"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.name_ms if get_language() == "ms" else self.name_en


class ProjectQuerySet(ScopedQuerySet):
    office_path = "office"


class Project(Versioned):
    class ProjectType(models.TextChoices):
        ECONOMIC = "economic", _("Economic project")
        SOCIAL_EDUCATION = "social_education", _("Social education programme")
        SKILLS_TRAINING = "skills_training", _("Skills training programme")
        COMMUNITY_SERVICE = "community_service", _("Community service programme")
        SPIRITUAL_EDUCATION = "spiritual_education", _("Spiritual education programme")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=200)
    project_type = models.CharField(_("type"), max_length=30, choices=ProjectType.choices)
    office = models.ForeignKey(
        Office, models.PROTECT, related_name="projects", verbose_name=_("office")
    )
    district = models.ForeignKey(
        District,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("district"),
        help_text=_("One of the districts the office covers."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    objectives = models.ManyToManyField(
        Objective, blank=True, related_name="projects", verbose_name=_("objectives")
    )
    description = models.TextField(
        _("description"), blank=True, max_length=5000, help_text=_("At most 5,000 characters.")
    )
    local_resources = models.TextField(
        _("local resources used"),
        blank=True,
        max_length=2000,
        help_text=_(
            "Premises, skills, materials or funds the community contributes (at most 2,000 characters)."
        ),
    )
    budget = models.DecimalField(
        _("budget (RM)"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0, message=_("The budget cannot be negative."))],
    )
    officer_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects_in_charge",
        verbose_name=_("officer in charge"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    history = HistoricalRecords(bases=[AuditedChange], excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-start_date", "name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="project_end_not_before_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(budget__gte=0),
                name="project_budget_not_negative",
                violation_error_message=_("The budget cannot be negative."),
            ),
        ]
        # The project list, newest first, pages without sorting every project.
        indexes = [
            models.Index(fields=["-start_date", "name", "id"], name="programs_project_newest_first")
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("programs:project-detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if self.district_id and self.office_id:
            if not self.office.districts.filter(pk=self.district_id).exists():
                errors["district"] = _("This district is not covered by the project's office.")
        if self.officer_in_charge_id and self.office_id:
            if self.officer_in_charge.office_id != self.office_id:
                errors["officer_in_charge"] = _(
                    "The officer in charge must work at the project's office."
                )
        if errors:
            raise ValidationError(errors)

    def participant_counts(self):
        """Participants by target group, from one aggregate query:
        a list of (target group label, count), then the total."""
        groups = Participation.TargetGroup
        counts = self.participations.aggregate(
            total=Count("pk"),
            **{group.value: Count("pk", filter=Q(target_group=group)) for group in groups},
        )
        return [(group.label, counts[group.value]) for group in groups], counts["total"]


class ParticipationQuerySet(ScopedQuerySet):
    office_path = "project__office"

    def current(self):
        """Taking part now: not left, in a project that is planned or running."""
        return self.filter(
            Q(left_on__isnull=True) | Q(left_on__gte=date.today()),
            project__status__in=[Project.Status.PLANNED, Project.Status.ACTIVE],
        )


class Participation(models.Model):
    class TargetGroup(models.TextChoices):
        CLIENT = "client", _("Department client")
        FORMER_RESIDENT = (
            "former_resident",
            _("Former resident or trainee of a department institution"),
        )
        COMMUNITY = "community", _("Local community member")

    project = models.ForeignKey(
        Project, models.CASCADE, related_name="participations", verbose_name=_("project")
    )
    person = models.ForeignKey(
        Person, models.PROTECT, related_name="participations", verbose_name=_("person")
    )
    target_group = models.CharField(_("target group"), max_length=20, choices=TargetGroup.choices)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    objects = ParticipationQuerySet.as_manager()

    history = HistoricalRecords(bases=[AuditedChange])

    class Meta:
        ordering = ["person__name"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "person"],
                name="participation_person_once_per_project",
                violation_error_message=_("This person already takes part in this project."),
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="participation_left_not_before_joined",
                violation_error_message=_("The date left cannot be before the date joined."),
            ),
        ]

    def __str__(self):
        return f"{self.person} – {self.project}"

    def get_absolute_url(self):
        return self.project.get_absolute_url()

    def clean(self):
        errors = {}
        if self.joined_on and self.left_on and self.left_on < self.joined_on:
            errors["left_on"] = _("The date left cannot be before the date joined.")
        project = getattr(self, "project", None)
        if project and self.joined_on:
            if self.joined_on < project.start_date:
                errors["joined_on"] = _(
                    "The project starts on %(date)s; one cannot join before."
                ) % {"date": project.start_date.strftime("%d/%m/%Y")}
            elif project.end_date and self.joined_on > project.end_date:
                errors["joined_on"] = _("The project ends on %(date)s; one cannot join after.") % {
                    "date": project.end_date.strftime("%d/%m/%Y")
                }
        if errors:
            raise ValidationError(errors)


class ActivityQuerySet(ScopedQuerySet):
    office_path = "project__office"


class Activity(models.Model):
    """What a project did on a day: a meeting, a training session, a progress note."""

    project = models.ForeignKey(
        Project, models.CASCADE, related_name="activities", verbose_name=_("project")
    )
    date = models.DateField(_("date"))
    summary = models.TextField(
        _("what happened"), max_length=2000, help_text=_("At most 2,000 characters.")
    )
    attendance = models.PositiveIntegerField(
        _("attendance"),
        default=0,
        validators=[MaxValueValidator(MAX_ATTENDANCE)],
        help_text=_("How many people took part (at most 5,000)."),
    )

    objects = ActivityQuerySet.as_manager()

    history = HistoricalRecords(bases=[AuditedChange])

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.project}"

    def clean(self):
        project = getattr(self, "project", None)
        if project and self.date:
            if self.date < project.start_date:
                raise ValidationError(
                    {
                        "date": _("The project starts on %(date)s.")
                        % {"date": project.start_date.strftime("%d/%m/%Y")}
                    }
                )
            if project.end_date and self.date > project.end_date:
                raise ValidationError(
                    {
                        "date": _("The project ends on %(date)s.")
                        % {"date": project.end_date.strftime("%d/%m/%Y")}
                    }
                )
