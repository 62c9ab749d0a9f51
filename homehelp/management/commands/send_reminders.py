"""Daily reminders by e-mail (run once a day from cron, e.g. `0 7 * * *`):
each volunteer with visits due or overdue, and each district officer with
concerns open more than two days, cases overdue by more than twice their
interval, or visits waiting to be confirmed. One e-mail a day per person, in
their language, through EMAIL_URL; running the command again the same day
sends nothing more."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from homehelp.models import AddDays, Case, HeldVisit, Reminder, Visit, Volunteer
from welfare.models import Role

CONCERN_OPEN_DAYS = 2


class Command(BaseCommand):
    help = "E-mails today's reminders to volunteers and district officers, once a day each."

    def handle(self, *args, **options):
        today = date.today()
        sent = 0
        for user, template, context in self.reminders(today):
            if self.send_once(user, today, template, context):
                sent += 1
        self.stdout.write(f"{sent} reminder(s) sent.")

    def reminders(self, today):
        """(user, template, context) of everyone who has something to be reminded of."""
        volunteers = (
            Volunteer.objects.available_on().filter(user__is_active=True).exclude(user__email="")
        )
        for volunteer in volunteers.select_related("user", "person"):
            cases = (
                Case.objects.visible_to(volunteer.user)
                .with_visit_due_on()
                .filter(visit_due_on__lte=today)
                .select_related("client")
                .order_by("visit_due_on", "pk")
            )
            if cases:
                context = {"cases": cases, "today": today, "link": link("homehelp:my")}
                yield volunteer.user, "homehelp/email/volunteer_reminder.txt", context

        officers = get_user_model().objects.filter(
            groups__name=Role.DISTRICT_OFFICER, is_active=True, office__isnull=False
        )
        for officer in officers.exclude(email="").select_related("office"):
            if not officer.is_district_officer:
                continue
            concerns = (
                Visit.objects.visible_to(officer)
                .open_concerns()
                .filter(visited_on__lt=today - timedelta(days=CONCERN_OPEN_DAYS))
                .select_related("case__client", "volunteer__person")
                .order_by("visited_on", "pk")
            )
            long_overdue = (
                Case.objects.visible_to(officer)
                .with_visit_due_on()
                .annotate(long_overdue_on=AddDays(F("visit_due_on"), F("visit_every_days") * 2))
                .filter(status=Case.Status.ACTIVE, long_overdue_on__lt=today)
                .select_related("client")
                .order_by("visit_due_on", "pk")
            )
            held = HeldVisit.objects.visible_to(officer).waiting().count()
            concerns, long_overdue = list(concerns), list(long_overdue)
            if concerns or long_overdue or held:
                context = {
                    "concerns": concerns,
                    "cases": long_overdue,
                    "held": held,
                    "today": today,
                    "link": link("homehelp:worklist"),
                }
                yield officer, "homehelp/email/officer_reminder.txt", context

    def send_once(self, user, today, template, context):
        """The day's mark and the e-mail together: if sending fails, the mark is
        rolled back and the next run tries again."""
        try:
            with transaction.atomic():
                Reminder.objects.create(user=user, sent_on=today)
                with translation.override(user.language or settings.LANGUAGE_CODE):
                    text = render_to_string(template, {**context, "user": user})
                subject, body = text.split("\n", 1)
                send_mail(subject.strip(), body.strip() + "\n", None, [user.email])
        except IntegrityError:
            return False  # reminded already today
        return True


def link(name):
    """An address to open, when SITE_URL says where the site is."""
    return settings.SITE_URL.rstrip("/") + reverse(name) if settings.SITE_URL else ""
