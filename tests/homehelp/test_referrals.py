"""An officer refers a case to a health clinic (KKM) with a reason; the referral
is sent, seen, closed, with the clinic's note back, on the case and the
worklist until closed."""

from datetime import date, timedelta

import pytest

from homehelp.models import Referral
from tests.factories import CaseFactory


@pytest.fixture
def case(office):
    return CaseFactory(office=office, client__name="Mak Esah", opened_on=date(2024, 1, 1))


def refer(client, case, **changes):
    data = {"clinic": "Klinik Kesihatan Kelana Jaya", "reason": "Knee swollen after a fall", "sent_on": date.today().isoformat(), **changes}  # fmt: skip
    return client.post(f"/homehelp/cases/{case.pk}/referrals/new/", data)


def test_an_officer_refers_a_case_and_sees_it_on_the_worklist(signed_in, case, officer):
    assert signed_in.get(f"/homehelp/cases/{case.pk}/referrals/new/").status_code == 200
    response = refer(signed_in, case)
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.status == "sent" and referral.referred_by == officer
    page = signed_in.get(case.get_absolute_url()).text
    assert "Klinik Kesihatan Kelana Jaya" in page and "Knee swollen" in page
    assert "Klinik Kesihatan Kelana Jaya" in signed_in.get("/homehelp/").text


def test_the_clinic_sees_then_closes_the_referral_with_a_note(signed_in, case):
    refer(signed_in, case)
    referral = Referral.objects.get()
    url = f"/homehelp/referrals/{referral.pk}/edit/"
    signed_in.post(url, {"status": "seen", "note_back": "Seen by Dr Lee"})
    referral.refresh_from_db()
    assert referral.status == "seen" and referral.closed_on is None
    assert "Kelana Jaya" in signed_in.get("/homehelp/").text
    signed_in.post(url, {"status": "closed", "note_back": "Physiotherapy weekly"})
    referral.refresh_from_db()
    assert referral.status == "closed" and referral.closed_on == date.today()
    assert "Kelana Jaya" not in signed_in.get("/homehelp/").text
    assert "Physiotherapy weekly" in signed_in.get(case.get_absolute_url()).text


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"reason": ""}, "reason"),
        ({"clinic": ""}, "clinic"),
        ({"sent_on": (date.today() + timedelta(days=1)).isoformat()}, "sent_on"),
        ({"sent_on": "2023-12-31"}, "sent_on"),
    ],
)
def test_bad_referrals_are_refused(signed_in, case, changes, field):
    response = refer(signed_in, case, **changes)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not Referral.objects.exists()


def test_referrals_follow_the_case_scope(client, case, officer, neighbour_officer, state_officer):
    client.force_login(officer)
    refer(client, case)
    referral = Referral.objects.get()
    client.force_login(neighbour_officer)
    assert refer(client, case).status_code == 404
    assert client.get(f"/homehelp/referrals/{referral.pk}/edit/").status_code == 404
    assert "Kelana Jaya" not in client.get("/homehelp/").text
    client.force_login(state_officer)
    assert refer(client, case).status_code == 403
    assert client.get(f"/homehelp/referrals/{referral.pk}/edit/").status_code == 403
    assert "Kelana Jaya" in client.get(case.get_absolute_url()).text


def test_a_volunteer_sees_no_referral(client, case, officer, volunteer_user):
    client.force_login(officer)
    refer(client, case)
    case.volunteer = volunteer_user.volunteer
    case.save()
    client.force_login(volunteer_user)
    assert "Kelana Jaya" not in client.get(f"/homehelp/my/cases/{case.pk}/").text
    referral = Referral.objects.get()
    assert client.get(f"/homehelp/referrals/{referral.pk}/edit/").status_code == 403
