from datetime import date

import pytest
from django.urls import reverse

from programs.models import Activity, Participation
from tests.conftest import assert_error_beside
from tests.factories import (
    ActivityFactory,
    ParticipationFactory,
    PersonFactory,
    make_mykad,
)
from welfare.models import Person

READERS = {
    "officer": 200,
    "neighbour_officer": 404,
    "far_officer": 404,
    "state_officer": 200,
    "far_state_officer": 404,
    "hq": 200,
    "administrator": 200,
    "no_role_user": 404,
}
WRITERS = {**READERS, "state_officer": 403, "hq": 403}


def add_url(project):
    return reverse("programs:participant-add", args=[project.pk])


def new_participant(**changes):
    return {
        "mykad": "",
        "name": "",
        "date_of_birth": "",
        "sex": "",
        "phone": "",
        "address": "",
        "target_group": "community",
        "joined_on": "2024-02-01",
        **changes,
    }


@pytest.fixture
def participation(project):
    return ParticipationFactory(project=project)


@pytest.fixture
def stranger(far_office):
    """A person recorded by an office in another state."""
    return PersonFactory(
        name="Wan Zainab",
        mykad=make_mykad(77, born=date(1961, 5, 4), place="03"),
        date_of_birth=date(1961, 5, 4),
        phone="019-7654321",
        address="Lot 12, Kampung Sireh",
        office=far_office,
    )


# --- who may open each page ---------------------------------------------------


@pytest.mark.parametrize("name", ["participant-add", "activity-add", "participant-import"])
@pytest.mark.parametrize("cast,status", WRITERS.items())
def test_project_write_pages_by_role(client, request, project, name, cast, status):
    client.force_login(request.getfixturevalue(cast))
    assert client.get(reverse(f"programs:{name}", args=[project.pk])).status_code == status


@pytest.mark.parametrize("name", ["participation-edit", "participation-remove"])
@pytest.mark.parametrize("cast,status", WRITERS.items())
def test_participation_pages_by_role(client, request, participation, name, cast, status):
    client.force_login(request.getfixturevalue(cast))
    assert client.get(reverse(f"programs:{name}", args=[participation.pk])).status_code == status


@pytest.mark.parametrize("cast,status", READERS.items())
def test_participants_csv_by_role(client, request, participation, cast, status):
    client.force_login(request.getfixturevalue(cast))
    url = reverse("programs:participants-csv", args=[participation.project.pk])
    assert client.get(url).status_code == status


def test_anonymous_is_sent_to_login_from_participant_pages(client, participation):
    project = participation.project
    for url in [
        add_url(project),
        reverse("programs:activity-add", args=[project.pk]),
        reverse("programs:participants-csv", args=[project.pk]),
        reverse("programs:participation-edit", args=[participation.pk]),
        reverse("programs:participation-remove", args=[participation.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("cast,status", [("neighbour_officer", 404), ("state_officer", 403), ("hq", 403)])  # fmt: skip
def test_others_cannot_post_participant_changes(client, request, participation, cast, status):
    client.force_login(request.getfixturevalue(cast))
    project = participation.project
    posts = [
        (add_url(project), new_participant(name="Ali", date_of_birth="2015-01-01")),
        (reverse("programs:activity-add", args=[project.pk]), {"date": "2024-03-01", "summary": "x", "attendance": 1}),
        (reverse("programs:participation-edit", args=[participation.pk]), {"target_group": "client", "joined_on": "2024-02-01"}),
        (reverse("programs:participation-remove", args=[participation.pk]), {}),
    ]  # fmt: skip
    for url, data in posts:
        assert client.post(url, data).status_code == status, url
    participation.refresh_from_db()
    assert participation.target_group == "community"
    assert Participation.objects.count() == 1
    assert not Activity.objects.exists()


# --- adding participants ------------------------------------------------------


def test_officer_adds_a_new_person_by_mykad(client, officer, project, office):
    client.force_login(officer)
    mykad = make_mykad(4321, born=date(1985, 7, 9))
    response = client.post(
        add_url(project),
        new_participant(
            mykad=f"{mykad[:6]}-{mykad[6:8]}-{mykad[8:]}", name="Siti Aminah",
            phone="012-3456789", address="No. 3, Jalan 5", target_group="client",
        ),
    )  # fmt: skip
    assert response.status_code == 302
    assert response.url == project.get_absolute_url()
    person = Person.objects.get(mykad=mykad)
    assert person.name == "Siti Aminah"
    assert person.date_of_birth == date(1985, 7, 9)
    assert person.sex == "M"
    assert person.office == office
    participation = project.participations.get()
    assert participation.person == person
    assert participation.target_group == "client"


def test_a_person_without_mykad_is_recorded_by_name_and_date_of_birth(client, officer, project):
    client.force_login(officer)
    response = client.post(
        add_url(project),
        new_participant(name="Adik Farah", date_of_birth="2016-03-02", sex="F"),
    )
    assert response.status_code == 302
    person = project.participations.get().person
    assert (person.name, person.mykad, person.date_of_birth, person.sex) == (
        "Adik Farah",
        "",
        date(2016, 3, 2),
        "F",
    )


def test_add_another_comes_back_to_the_form(client, officer, project):
    client.force_login(officer)
    response = client.post(
        add_url(project),
        new_participant(name="Adik Farah", date_of_birth="2016-03-02", add_another="1"),
    )
    assert response.url == add_url(project)


def test_existing_mykad_reuses_the_person_and_shows_only_name_and_year(
    client, officer, project, stranger
):
    client.force_login(officer)
    response = client.post(
        add_url(project),
        new_participant(
            mykad=stranger.mykad, name="Someone Else", phone="011-1111111",
            address="Typed by mistake", target_group="former_resident",
        ),
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    assert Person.objects.filter(mykad=stranger.mykad).count() == 1
    assert project.participations.get().person == stranger
    assert "Wan Zainab (born 1961) was already recorded" in response.text
    # Enrolled now, the person is served by this office, which sees their MyKad
    # in the list; their phone and address are on the person's page, not here.
    for private in ["019-7654321", "Kampung Sireh", "Kota Bharu"]:
        assert private not in response.text
    # Another office's person keeps the details that office recorded.
    stranger.refresh_from_db()
    assert (stranger.name, stranger.phone, stranger.address) == (
        "Wan Zainab",
        "019-7654321",
        "Lot 12, Kampung Sireh",
    )
    assert stranger.office.code == "PKMD-0302"


def test_existing_mykad_needs_nothing_else(client, officer, project, office):
    known = PersonFactory(office=office)
    client.force_login(officer)
    response = client.post(add_url(project), new_participant(mykad=known.mykad))
    assert response.status_code == 302
    assert project.participations.get().person == known


def test_the_same_person_in_two_projects_stays_one_person(client, officer, project, office):
    from tests.factories import ProjectFactory

    other = ProjectFactory(office=office)
    mykad = make_mykad(55)
    client.force_login(officer)
    for each in [project, other]:
        client.post(add_url(each), new_participant(mykad=mykad, name="Ahmad"))
    assert Person.objects.filter(mykad=mykad).count() == 1
    assert Participation.objects.filter(person__mykad=mykad).count() == 2


def test_second_enrolment_is_answered_beside_the_mykad(client, officer, participation):
    client.force_login(officer)
    response = client.post(
        add_url(participation.project), new_participant(mykad=participation.person.mykad)
    )
    assert_error_beside(response, "mykad", "This person already takes part in this project.")
    assert Participation.objects.count() == 1


@pytest.mark.parametrize(
    "mykad,message",
    [
        ("5001011", "A MyKad number has 12 digits; this one has 7."),
        ("501301101234", "The first six digits of a MyKad number are the date of birth (YYMMDD); 501301 is not a possible date."),
        ("500101701234", "Digits 7-8 of a MyKad number are the place of birth; 70 is not a known code."),
        ("٥٠٠١٠١١٠١٢٣٤", "A MyKad number may contain only the digits 0-9 (and dashes)."),
    ],
)  # fmt: skip
def test_invalid_mykad_gets_the_precise_message(client, officer, project, mykad, message):
    client.force_login(officer)
    response = client.post(add_url(project), new_participant(mykad=mykad, name="Ali"))
    assert_error_beside(response, "mykad", message)
    assert not Person.objects.exists()
    assert not Participation.objects.exists()


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"mykad": make_mykad(9)}, "name", "Give the person's name."),
        ({"name": "Ali"}, "date_of_birth", "Without a MyKad number, give the date of birth."),
        ({"mykad": make_mykad(9), "name": "Ali", "date_of_birth": "1951-01-01"},
         "date_of_birth", "The MyKad number gives 01/01/1950 as the date of birth."),
        ({"name": "x" * 10_000, "date_of_birth": "2015-01-01"},
         "name", "Ensure this value has at most 150 characters (it has 10000)."),
        ({"name": "Ali", "date_of_birth": "2015-01-01", "target_group": "friend"},
         "target_group", "Select a valid choice. friend is not one of the available choices."),
        ({"name": "Ali", "date_of_birth": "2015-01-01", "joined_on": ""},
         "joined_on", "This field is required."),
    ],
)  # fmt: skip
def test_bad_participant_input_is_answered_beside_the_field(
    client, officer, project, changes, field, message
):
    client.force_login(officer)
    response = client.post(add_url(project), new_participant(**changes))
    assert_error_beside(response, field, message)
    assert not Person.objects.exists()
    assert not Participation.objects.exists()


def test_html_in_a_participant_name_is_shown_escaped(client, officer, project):
    client.force_login(officer)
    response = client.post(
        add_url(project),
        new_participant(name="<script>alert(1)</script>", date_of_birth="2015-01-01"),
        follow=True,
    )
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


# --- editing and removing -----------------------------------------------------


def test_officer_records_that_a_participant_left(client, officer, participation):
    client.force_login(officer)
    response = client.post(
        reverse("programs:participation-edit", args=[participation.pk]),
        {"target_group": "client", "joined_on": "2024-02-01", "left_on": "2024-06-30"},
    )
    assert response.status_code == 302
    participation.refresh_from_db()
    assert (participation.target_group, participation.left_on) == ("client", date(2024, 6, 30))


def test_left_before_joined_is_answered_beside_the_field(client, officer, participation):
    client.force_login(officer)
    response = client.post(
        reverse("programs:participation-edit", args=[participation.pk]),
        {"target_group": "client", "joined_on": "2024-02-01", "left_on": "2024-01-31"},
    )
    assert_error_beside(response, "left_on", "The date left cannot be before the date joined.")
    participation.refresh_from_db()
    assert (participation.target_group, participation.left_on) == ("community", None)


def test_officer_removes_a_participant_but_keeps_the_person(client, officer, participation):
    client.force_login(officer)
    url = reverse("programs:participation-remove", args=[participation.pk])
    assert participation.person.name in client.get(url).text
    response = client.post(url)
    assert response.status_code == 302
    assert not Participation.objects.exists()
    assert Person.objects.filter(pk=participation.person.pk).exists()


# --- activities ---------------------------------------------------------------


def test_officer_records_an_activity(client, officer, project):
    client.force_login(officer)
    response = client.post(
        reverse("programs:activity-add", args=[project.pk]),
        {"date": "2024-03-09", "summary": "<b>Planting</b> chillies", "attendance": "12"},
        follow=True,
    )
    activity = project.activities.get()
    assert (activity.date, activity.attendance) == (date(2024, 3, 9), 12)
    assert "&lt;b&gt;Planting&lt;/b&gt; chillies" in response.text


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"attendance": "-1"}, "attendance", "Ensure this value is greater than or equal to 0."),
        ({"summary": ""}, "summary", "This field is required."),
        ({"date": "2024-13-01"}, "date", "Enter a valid date."),
    ],
)
def test_bad_activity_input_is_answered_beside_the_field(
    client, officer, project, changes, field, message
):
    client.force_login(officer)
    data = {"date": "2024-03-09", "summary": "Meeting", "attendance": "5", **changes}
    response = client.post(reverse("programs:activity-add", args=[project.pk]), data)
    assert_error_beside(response, field, message)
    assert not Activity.objects.exists()


# --- attendance export --------------------------------------------------------


def test_participants_csv_lists_people_with_masked_mykad(client, state_officer, project):
    first = ParticipationFactory(project=project, person__name="Ahmad")
    ParticipationFactory(project=project, person__name="=HYPERLINK(1)", person__mykad="")
    ParticipationFactory(person__name="Not in this project")
    client.force_login(state_officer)
    response = client.get(reverse("programs:participants-csv", args=[project.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.getvalue().decode("utf-8-sig")
    assert "Ahmad" in text
    assert first.person.masked_mykad in text
    assert first.person.mykad not in text
    assert "'=HYPERLINK(1)" in text
    assert "Not in this project" not in text
    assert len(text.strip().splitlines()) == 4  # project name, header, two people


@pytest.mark.parametrize("rows", [1, 50])
def test_participants_csv_query_count_does_not_grow(
    client, officer, project, rows, django_assert_num_queries
):
    ParticipationFactory.create_batch(rows, project=project)
    client.force_login(officer)
    # session, user, project
    # + the savepoint each request runs in (ATOMIC_REQUESTS) and its release
    # + the access log of the export, before the first byte: one INSERT … SELECT
    # of the participants' ids; then, streamed: participants with their people
    with django_assert_num_queries(7):
        response = client.get(reverse("programs:participants-csv", args=[project.pk]))
        text = response.getvalue().decode("utf-8-sig")
    assert len(text.strip().splitlines()) == rows + 2


def test_activity_pages_escape_and_list_activities_newest_first(client, officer, project):
    ActivityFactory(project=project, date=date(2024, 1, 20), summary="First")
    ActivityFactory(project=project, date=date(2024, 5, 20), summary="Latest")
    client.force_login(officer)
    text = client.get(project.get_absolute_url()).text
    assert text.index("Latest") < text.index("First")
