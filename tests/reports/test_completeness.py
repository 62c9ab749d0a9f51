"""An office's district officer confirms that its records for a month are
complete; HQ and state officers see, per month, which offices have and when;
an edition records how many had at publication; and records entered for a
month after its office confirmed it are flagged."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from reports.models import Edition, MonthConfirmation
from tests.factories import ParticipationFactory, ProjectFactory, VisitFactory
from welfare.models import Office

URL = "/reports/completeness/"
MONTH = "2026-10"


@pytest.fixture
def october():
    return date(2026, 10, 1)


def confirm(client, month=MONTH, **extra):
    return client.post("/reports/completeness/confirm/", {"month": month, **extra})


def test_a_district_officer_confirms_their_own_office_once(client, officer, office, october):
    client.force_login(officer)
    page = client.get(URL, {"month": MONTH}).text
    assert "Our records for October 2026 are complete" in page
    response = confirm(client)
    assert response.status_code == 302 and response.url == f"{URL}?month={MONTH}"
    confirmation = MonthConfirmation.objects.get()
    assert (confirmation.office, confirmation.month) == (office, october)
    assert confirmation.confirmed_by == officer
    assert timezone.now() - confirmation.confirmed_at < timedelta(minutes=1)
    page = client.get(URL, {"month": MONTH}).text
    assert "Our records for October 2026 are complete" not in page  # done
    assert "1 of 1 offices confirmed." in page
    confirm(client)
    assert MonthConfirmation.objects.count() == 1
    assert "has confirmed this month already" in client.get(URL, {"month": MONTH}).text


def test_an_officer_cannot_confirm_for_another_office(client, officer, office, far_office):
    client.force_login(officer)
    confirm(client, office=far_office.pk, office_id=far_office.pk)
    assert list(MonthConfirmation.objects.values_list("office", flat=True)) == [office.pk]


def test_a_month_not_over_cannot_be_confirmed(client, officer):
    client.force_login(officer)
    this_month = timezone.localdate().strftime("%Y-%m")
    confirm(client, month=this_month)
    confirm(client, month="2100-01")
    confirm(client, month="not a month")
    assert not MonthConfirmation.objects.exists()
    assert "confirm-month" not in client.get(URL, {"month": this_month}).text


@pytest.mark.parametrize("cast", ["hq", "state_officer", "administrator", "no_role_user"])
def test_only_district_officers_confirm(client, request, cast):
    client.force_login(request.getfixturevalue(cast))
    assert confirm(client).status_code == 403
    assert not MonthConfirmation.objects.exists()


def test_confirmations_are_never_changed(officer, office, october):
    from reports.models import Unchangeable

    confirmation = MonthConfirmation.objects.create(
        office=office, month=october, confirmed_at=timezone.now(), confirmed_by=officer
    )
    with pytest.raises(Unchangeable):
        confirmation.save()
    with pytest.raises(Unchangeable):
        MonthConfirmation.objects.update(month=date(2026, 9, 1))


def _confirmed(offices, month, when=None):
    MonthConfirmation.objects.bulk_create(
        MonthConfirmation(office=o, month=month, confirmed_at=when or timezone.now())
        for o in offices
    )


def test_hq_sees_every_office_state_officers_their_state_and_officers_their_office(
    client, hq, state_officer, officer, far_officer, office, neighbour_office, far_office, october
):
    _confirmed([office, far_office], october)
    selangor = Office.objects.filter(state=office.state).count()
    client.force_login(hq)
    page = client.get(URL, {"month": MONTH}).text
    assert "2 of 160 offices confirmed." in page
    assert "PKMD Petaling" in page and "PKMD Kota Bharu" in page and "Not yet" in page
    client.force_login(state_officer)
    page = client.get(URL, {"month": MONTH}).text
    assert f"1 of {selangor} offices confirmed." in page
    assert "PKMD Gombak" in page and "PKMD Kota Bharu" not in page
    assert "Our records for" not in page  # state officers do not confirm
    client.force_login(far_officer)
    page = client.get(URL, {"month": MONTH}).text
    assert "1 of 1 offices confirmed." in page and "PKMD Petaling" not in page


def test_the_twelve_months_say_how_many_confirmed(client, hq, office, october):
    _confirmed([office], october)
    _confirmed([office], date(2026, 9, 1))
    client.force_login(hq)
    months = client.get(URL, {"month": MONTH}).text.split("months-confirmed")[1]
    assert "Oct 2026</a>: 1 of 160" in months and "Sep 2026</a>: 1 of 160" in months
    assert "Aug 2026</a>: 0 of 160" in months


@pytest.mark.parametrize("cast", ["no_role_user", "volunteer_user"])
def test_completeness_is_for_the_offices_people(client, request, cast):
    client.force_login(request.getfixturevalue(cast))
    assert client.get(URL).status_code == 403


def test_signed_out_users_are_sent_to_sign_in(client, db):
    assert client.get(URL).url.startswith("/accounts/login/")


def test_records_entered_after_the_confirmation_are_flagged(
    client, hq, officer, office, neighbour_office, october
):
    before = ProjectFactory(office=office, name="Kelas jahitan", start_date=date(2026, 10, 5))
    _confirmed([office, neighbour_office], october)
    late = ProjectFactory(office=office, name="Kebun komuniti", start_date=date(2026, 10, 20))
    ParticipationFactory(project=before, joined_on=date(2026, 10, 25))
    VisitFactory(case__office=office, visited_on=date(2026, 10, 30))
    ProjectFactory(office=office, start_date=date(2026, 9, 30))  # another month
    ProjectFactory(office=neighbour_office, start_date=date(2026, 11, 2))  # another month
    client.force_login(hq)
    page = client.get(URL, {"month": MONTH}).text
    assert "3 records entered after confirmation" in page
    flagged = page.split("late-records")[1].split("</details>")[0]
    assert "Kebun komuniti" in flagged and f"/projects/{late.pk}/" in flagged
    assert "a participant of Kelas jahitan" in flagged
    assert "a visit of case" in flagged
    assert f'"/projects/{before.pk}/">Kelas jahitan' not in flagged  # entered before it
    assert page.count('class="late-records"') == 1  # Gombak has nothing late
    client.force_login(officer)
    assert "3 records entered after confirmation" in client.get(URL, {"month": MONTH}).text


def test_an_edition_records_how_complete_the_offices_said_they_were(
    client, hq, office, far_office, refresh
):
    _confirmed([office, far_office], date(2012, 10, 1))
    _confirmed(Office.objects.filter(state=office.state), date(2011, 6, 1))
    refresh()
    client.force_login(hq)
    client.post("/reports/editions/publish/", {"table": "projects-by-state", "as_of": "2012-10-31"})
    client.post(
        "/reports/editions/publish/",
        {"table": "projects-by-office", "as_of": "2012-10-31", "state": "MY-10"},
    )
    client.post("/reports/editions/publish/", {"table": "home-help-by-state", "year": 2011})
    national, selangor, year = Edition.objects.order_by("pk")
    assert (national.completeness["confirmed"], national.completeness["offices"]) == (2, 160)
    assert selangor.completeness["confirmed"] == 1
    assert year.completeness["confirmed"] == 0  # one month of twelve
    page = client.get(f"/stats/editions/{national.pk}/").text
    assert "2 of 160 offices confirmed their records for October 2012 complete." in page
    assert "for every month of 2011" in client.get(f"/stats/editions/{year.pk}/").text


def test_the_completeness_page_runs_a_fixed_number_of_queries(
    client, hq, office, october, django_assert_max_num_queries
):
    def count():
        client.get(URL, {"month": MONTH})
        with django_assert_max_num_queries(12) as queries:
            assert client.get(URL, {"month": MONTH}).status_code == 200
        return len(queries)

    _confirmed([office], october, when=timezone.now() - timedelta(hours=1))
    client.force_login(hq)
    ProjectFactory(office=office, start_date=date(2026, 10, 20))
    one = count()
    ProjectFactory.create_batch(5, office=office, start_date=date(2026, 10, 21))
    VisitFactory.create_batch(3, case__office=office, visited_on=date(2026, 10, 22))
    _confirmed(Office.objects.exclude(pk=office.pk)[:20], october)
    assert count() == one


@pytest.mark.parametrize("month", ["0001-01", "0001-12", "9999-12"])
def test_a_month_past_what_dates_hold_shows_the_last_month(client, hq, month):
    client.force_login(hq)
    response = client.get("/reports/completeness/", {"month": month})
    assert response.status_code == 200
    assert response.context["form"].initial["month"].year >= 1900
