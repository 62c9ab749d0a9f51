"""manage.py send_reminders: volunteers with visits due or overdue, district
officers with old concerns and long-overdue cases; once a day per person, in
their language."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from homehelp.models import Reminder
from tests.factories import CaseFactory, UserFactory, VisitFactory, VolunteerFactory
from welfare.models import Role

TODAY = date.today()


@pytest.fixture
def me(volunteer_user):
    volunteer_user.email = "kow@example.my"
    volunteer_user.save()
    return volunteer_user.volunteer


def case_visited(volunteer, name, days_ago, every=7, **visit):
    case = CaseFactory(office=volunteer.office, volunteer=volunteer, client__name=name, visit_every_days=every)  # fmt: skip
    VisitFactory(
        case=case, volunteer=volunteer, visited_on=TODAY - timedelta(days=days_ago), **visit
    )
    return case


def send():
    call_command("send_reminders", stdout=open("/dev/null", "w"))


def test_a_volunteer_is_reminded_of_visits_due_and_overdue(me, mailoutbox):
    case_visited(me, "Due Today", 7)
    case_visited(me, "Late Lim", 10)
    case_visited(me, "Not Yet", 2)
    send()
    [mail] = mailoutbox
    assert mail.to == ["kow@example.my"] and mail.subject == "Home help: your visits due"
    assert "Due Today: due today" in mail.body and "Late Lim: 3 days late" in mail.body
    assert "Not Yet" not in mail.body
    assert me.person.mykad not in mail.body


def test_nobody_is_reminded_twice_the_same_day(me, mailoutbox):
    case_visited(me, "Late Lim", 10)
    send()
    send()
    assert len(mailoutbox) == 1
    Reminder.objects.update(sent_on=TODAY - timedelta(days=1))
    send()
    assert len(mailoutbox) == 2


def test_reminders_are_in_the_users_language(me, mailoutbox):
    case_visited(me, "Late Lim", 40)
    me.user.language = "ms"
    me.user.save()
    send()
    [mail] = mailoutbox
    # The words in Malay; the date in the one style of every page (dd/mm/yyyy).
    visited = TODAY - timedelta(days=40)
    assert f"lawatan terakhir {visited:%d/%m/%Y}" in mail.body


def test_no_mail_without_anything_due_or_without_an_address(me, volunteer_user, mailoutbox):
    case_visited(me, "Not Yet", 1)
    send()
    assert mailoutbox == []
    case_visited(me, "Late Lim", 10)
    volunteer_user.email = ""
    volunteer_user.save()
    send()
    assert mailoutbox == []


def test_an_inactive_volunteer_is_not_reminded(me, mailoutbox):
    case_visited(me, "Late Lim", 10)
    me.active = False
    me.save()
    send()
    assert mailoutbox == []


def test_an_officer_is_reminded_of_old_concerns_and_long_overdue_cases(
    me, office, far_office, mailoutbox
):
    officer = UserFactory(username="rahim", office=office, role=Role.DISTRICT_OFFICER, email="rahim@jkm.gov.my")  # fmt: skip
    me.user.email = ""
    me.user.save()
    case_visited(me, "Old Worry", 3, concern=True, notes="Roof leaks")
    case_visited(me, "New Worry", 1, concern=True, notes="Cough")
    case_visited(me, "Long Gone", 22)  # due on day 7, overdue by 15 > 14
    case_visited(me, "Just Late", 20)  # overdue by 13
    far = VolunteerFactory(office=far_office)
    case_visited(far, "Far Away", 60, concern=True, notes="Elsewhere")
    send()
    [mail] = mailoutbox
    assert mail.to == [officer.email]
    assert "Old Worry" in mail.body and "Roof leaks" in mail.body
    assert "Long Gone: 15 days late" in mail.body
    for absent in ["New Worry", "Just Late", "Far Away"]:
        assert absent not in mail.body
    send()
    assert len(mailoutbox) == 1


def test_links_follow_site_url(me, mailoutbox, settings):
    settings.SITE_URL = "https://kebajikan.example.gov.my/"
    case_visited(me, "Late Lim", 10)
    send()
    assert "https://kebajikan.example.gov.my/homehelp/my/" in mailoutbox[0].body
