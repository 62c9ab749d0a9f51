"""The person policy (welfare/people.py), one test per rule and per path that
used to leak: who finds, sees, changes, restores and exports a person."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from homehelp.models import Case
from tests.conftest import READ_ONLY
from tests.factories import (
    CaseFactory,
    ParticipationFactory,
    PersonFactory,
    ProjectFactory,
    VisitFactory,
    VolunteerFactory,
    make_mykad,
)
from tests.imports.conftest import confirm, csv_file, errors_of, upload
from welfare.models import AccessLog, Person

pytestmark = pytest.mark.django_db

PRIVATE = ["019-4455667", "Lot 12, Kampung Rahsia", "16800"]


@pytest.fixture
def stranger(far_office):
    """Recorded by Kota Bharu: outside the full details of Petaling and of Selangor."""
    return PersonFactory(
        office=far_office,
        name="Wan Rosnah",
        mykad=make_mykad(2039, born=date(1955, 4, 15), place="03"),
        date_of_birth=date(1955, 4, 15),
        phone=PRIVATE[0],
        address=PRIVATE[1],
        postcode=PRIVATE[2],
    )


@pytest.fixture
def past_case(office, stranger):
    """Links the stranger to Petaling by a closed case: a past record."""
    case = CaseFactory(office=office, client=stranger)
    VisitFactory(case=case, visited_on=date(2024, 3, 1))
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, closed_on=date(2024, 6, 1), close_reason="moved"
    )
    return case


def logged(user, **filters):
    return AccessLog.objects.filter(user=user, **filters)


def full_forms(person):
    return [person.mykad, person.formatted_mykad]


def assert_masked(text, person):
    assert person.masked_mykad in text
    for secret in [*full_forms(person), *PRIVATE]:
        assert secret not in text, secret


# --- Seeing -------------------------------------------------------------------


@pytest.mark.parametrize("cast", ["officer", *READ_ONLY])
def test_case_and_volunteer_pages_and_lists_mask_a_person_outside_full_details(
    client, request, cast, office, stranger, past_case
):
    volunteer = VolunteerFactory(office=office, person=stranger, active=False)
    client.force_login(request.getfixturevalue(cast))
    for url in [
        past_case.get_absolute_url(),
        reverse("homehelp:case-list"),
        volunteer.get_absolute_url(),
        reverse("homehelp:volunteer-list"),
        stranger.get_absolute_url(),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert stranger.name in response.text
        assert_masked(response.text, stranger)


def test_the_recording_office_sees_everything(client, far_officer, stranger, far_office):
    case = CaseFactory(office=far_office, client=stranger)
    client.force_login(far_officer)
    for url in [case.get_absolute_url(), reverse("homehelp:case-list")]:
        assert stranger.formatted_mykad in client.get(url).text
    text = client.get(stranger.get_absolute_url()).text
    for detail in [stranger.formatted_mykad, *PRIVATE, "Kelantan"]:  # place of birth too
        assert detail in text


def test_an_office_that_serves_the_person_now_sees_their_details_but_cannot_edit(
    client, officer, office, stranger
):
    case = CaseFactory(office=office, client=stranger)  # open
    client.force_login(officer)
    assert stranger.formatted_mykad in client.get(case.get_absolute_url()).text
    text = client.get(stranger.get_absolute_url()).text
    for detail in [stranger.formatted_mykad, *PRIVATE]:
        assert detail in text
    assert reverse("person-edit", args=[stranger.pk]) not in text
    assert client.get(reverse("person-edit", args=[stranger.pk])).status_code == 404
    # Closing the case ends it.
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, closed_on=date.today(), close_reason="moved"
    )
    assert_masked(client.get(stranger.get_absolute_url()).text, stranger)


@pytest.mark.parametrize("cast", READ_ONLY)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_mask_for_state_officers_and_hq(client, request, cast, fmt, office, stranger):
    case = CaseFactory(office=office, client=stranger)
    VisitFactory(case=case)
    VolunteerFactory(office=office, person=stranger)
    ParticipationFactory(project=ProjectFactory(office=office), person=stranger)
    client.force_login(request.getfixturevalue(cast))
    for name in ["homehelp:case-export", "homehelp:visit-export", "homehelp:volunteer-export"]:
        content = client.get(reverse(name, args=[fmt])).getvalue()
        for secret in full_forms(stranger):
            assert secret.encode() not in content, name
    project = stranger.participations.get().project
    content = client.get(reverse("programs:participants-xlsx", args=[project.pk])).getvalue()
    assert stranger.mykad.encode() not in content


# --- Finding ------------------------------------------------------------------


@pytest.mark.parametrize("cast", ["officer", *READ_ONLY])
def test_a_partial_mykad_finds_nobody_outside_full_details(
    client, request, cast, office, stranger, past_case
):
    """The attack of the first release: a masked number completed one digit at a time."""
    project = ProjectFactory(office=office)
    ParticipationFactory(project=project, person=stranger, left_on=date(2024, 3, 1))
    client.force_login(request.getfixturevalue(cast))
    lists = {
        reverse("homehelp:case-list"): "page_obj",
        reverse("homehelp:visit-list"): "page_obj",
        project.get_absolute_url(): "page_obj",
    }
    for digits in [stranger.mykad[-4:], stranger.mykad[-5:], stranger.mykad[1:]]:
        for url, key in lists.items():
            response = client.get(url, {"q": digits})
            assert list(response.context[key]) == [], (url, digits)
        export = client.get(reverse("homehelp:case-export", args=["csv"]), {"q": digits})
        assert stranger.name not in export.getvalue().decode()
    # The full number, which proves the searcher knew it already, finds the row.
    response = client.get(reverse("homehelp:case-list"), {"q": stranger.formatted_mykad})
    assert [case.client for case in response.context["page_obj"]] == [stranger]


def test_a_partial_mykad_finds_the_offices_own_people(client, officer, office):
    own = CaseFactory(office=office).client
    client.force_login(officer)
    response = client.get(reverse("homehelp:case-list"), {"q": own.mykad[-4:]})
    assert [case.client for case in response.context["page_obj"]] == [own]


def test_a_search_by_name_matches_every_word_and_is_logged(client, officer, office):
    case = CaseFactory(office=office, client__name="Hajah Ramlah binti Yusof")
    CaseFactory(office=office, client__name="Ramlah binti Ahmad")
    client.force_login(officer)
    response = client.get(reverse("homehelp:case-list"), {"q": "ramlah yusof"})
    assert [c.pk for c in response.context["page_obj"]] == [case.pk]
    assert list(logged(officer, object_type="search: case").values_list("person", flat=True)) == [
        case.client_id
    ]


def test_look_up_by_full_mykad_shows_name_and_year_and_is_logged(
    client, officer, stranger, past_case
):
    client.force_login(officer)
    response = client.post(
        reverse("homehelp:case-create"), {"lookup": "1", "mykad": stranger.formatted_mykad}
    )
    assert "Wan Rosnah" in response.text and "1955" in response.text
    for secret in PRIVATE:
        assert secret not in response.text
    entry = logged(officer, action=AccessLog.Action.LOOKUP).get()
    assert (entry.person, entry.object_type) == (stranger, "MyKad look-up")
    assert entry.ip_address == "127.0.0.1"


@pytest.mark.parametrize("path", ["case", "volunteer", "participant"])
def test_posting_a_form_with_a_mykad_logs_the_person_shown(client, officer, office, path, stranger):
    urls = {
        "case": reverse("homehelp:case-create"),
        "volunteer": reverse("homehelp:volunteer-create"),
        "participant": reverse("programs:participant-add", args=[ProjectFactory(office=office).pk]),
    }
    client.force_login(officer)
    client.post(urls[path], {"mykad": stranger.mykad})  # without the look-up button
    assert logged(officer, person=stranger, action=AccessLog.Action.LOOKUP).count() == 1


def test_look_ups_outside_full_details_stop_at_the_days_limit(
    client, officer, settings, far_office, caplog
):
    settings.PERSON_LOOKUPS_PER_DAY = 2
    people = [PersonFactory(office=far_office) for _ in range(3)]
    client.force_login(officer)
    url = reverse("homehelp:case-create")
    for person in people[:2]:
        response = client.post(url, {"lookup": "1", "mykad": person.mykad})
        assert person.name in response.text
    response = client.post(url, {"lookup": "1", "mykad": people[2].mykad})
    assert people[2].name not in response.text
    assert "the most allowed in a day" in response.text
    assert "reached the daily limit" in caplog.text
    assert [r.levelname for r in caplog.records if "daily limit" in r.getMessage()] == ["ERROR"]
    # Yesterday's look-ups do not count; the office's own people never do.
    logged(officer).update(at=timezone.now() - timedelta(days=1))
    assert people[2].name in client.post(url, {"lookup": "1", "mykad": people[2].mykad}).text


# --- Imports ------------------------------------------------------------------


def participant_file(*people_rows):
    return csv_file([["MyKad", "Name", "Target group", "Joined on"], *people_rows])


def test_import_preview_shows_what_the_form_would_and_logs_one_row_per_person(
    client, officer, office, stranger, past_case
):
    project = ProjectFactory(office=office)
    url = reverse("programs:participant-import", args=[project.pk])
    client.force_login(officer)
    preview = upload(
        client,
        url,
        participant_file(
            [stranger.mykad, "", "community", "2025-01-15"],
            [make_mykad(9001, born=date(1960, 1, 1)), "New Person", "community", "2025-01-15"],
        ),
    )
    assert errors_of(preview) == []
    assert "Wan Rosnah" in preview.text and "1955" in preview.text
    assert_masked(preview.text, stranger)
    assert list(logged(officer, action=AccessLog.Action.LOOKUP).values_list("person", flat=True)) == [stranger.pk]  # fmt: skip
    confirm(client, url, preview)
    assert project.participations.filter(person=stranger).exists()
    # The confirmation shows nobody new: no second look-up is counted.
    assert logged(officer, action=AccessLog.Action.LOOKUP).count() == 1


def test_import_preview_counts_against_the_days_limit(
    client, officer, office, far_office, settings
):
    settings.PERSON_LOOKUPS_PER_DAY = 1
    others = [PersonFactory(office=far_office, name=f"Orang {n}") for n in range(2)]
    project = ProjectFactory(office=office)
    client.force_login(officer)
    preview = upload(
        client,
        reverse("programs:participant-import", args=[project.pk]),
        participant_file(*[[p.mykad, "", "community", "2025-01-15"] for p in others]),
    )
    assert "Orang 0" in preview.text and "Orang 1" not in preview.text
    assert any("the most allowed in a day" in message for _r, _c, message in errors_of(preview))


# --- Deleted people -------------------------------------------------------------


@pytest.fixture
def deleted(stranger, far_officer):
    stranger.soft_delete(by=far_officer)
    return stranger


def test_another_office_cannot_see_look_up_or_restore_a_deleted_person(
    client, officer, office, deleted
):
    client.force_login(officer)
    response = client.post(reverse("homehelp:case-create"), {"lookup": "1", "mykad": deleted.mykad})
    assert "held on a record being deleted" in response.text
    assert "Wan Rosnah" not in response.text and "1955" not in response.text
    project = ProjectFactory(office=office)
    response = client.post(
        reverse("programs:participant-add", args=[project.pk]),
        {
            "mykad": deleted.mykad,
            "name": "X",
            "target_group": "community",
            "joined_on": "2025-01-15",
        },
    )
    assert "held on a record being deleted" in response.text
    preview = upload(
        client,
        reverse("programs:participant-import", args=[project.pk]),
        participant_file([deleted.mykad, "X", "community", "2025-01-15"]),
    )
    assert "held on a record being deleted" in preview.text
    assert "Wan Rosnah" not in preview.text
    deleted.refresh_from_db()
    assert deleted.deleted_at is not None
    assert not project.participations.exists()
    attempts = logged(officer, person=deleted, object_type="MyKad look-up (deleted record)")
    assert attempts.count() == 3


def test_the_recording_office_restores_a_deleted_person_by_enrolling_them(
    client, far_officer, far_office, deleted
):
    project = ProjectFactory(office=far_office)
    client.force_login(far_officer)
    response = client.post(
        reverse("programs:participant-add", args=[project.pk]),
        {"mykad": deleted.mykad, "target_group": "community", "joined_on": "2025-01-15"},
    )
    assert response.status_code == 302
    deleted.refresh_from_db()
    assert deleted.deleted_at is None
    assert deleted.history.first().deleted_at is None  # the restore is in the history


def test_the_recording_office_restores_a_deleted_person_by_import_with_history(
    client, far_officer, far_office, deleted
):
    project = ProjectFactory(office=far_office)
    url = reverse("programs:participant-import", args=[project.pk])
    client.force_login(far_officer)
    preview = upload(client, url, participant_file([deleted.mykad, "", "community", "2025-01-15"]))
    assert errors_of(preview) == []
    confirm(client, url, preview)
    deleted.refresh_from_db()
    assert deleted.deleted_at is None
    assert deleted.history.first().deleted_at is None


# --- Changing -----------------------------------------------------------------


@pytest.mark.parametrize("view", ["person-edit", "person-delete"])
def test_an_office_linked_by_a_record_cannot_edit_or_delete_another_offices_person(
    client, officer, state_officer, view, stranger, past_case
):
    client.force_login(officer)
    assert client.get(reverse(view, args=[stranger.pk])).status_code == 404
    assert client.post(reverse(view, args=[stranger.pk]), {"name": "Changed"}).status_code == 404
    client.force_login(state_officer)
    assert client.get(reverse(view, args=[stranger.pk])).status_code == 403
    stranger.refresh_from_db()
    assert (stranger.name, stranger.deleted_at) == ("Wan Rosnah", None)


def test_a_serving_office_takes_over_a_person_the_recording_office_no_longer_serves(
    client, officer, office, far_office, stranger
):
    CaseFactory(office=office, client=stranger)
    far_project = ProjectFactory(office=far_office, status="active")
    ParticipationFactory(project=far_project, person=stranger)
    client.force_login(officer)
    url = reverse("person-take-over", args=[stranger.pk])
    # Kota Bharu still serves them: no take-over.
    assert "Take over" not in client.get(stranger.get_absolute_url()).text
    assert client.post(url).status_code == 403
    far_project.status = "completed"
    far_project.save()
    assert "Take over" in client.get(stranger.get_absolute_url()).text
    assert client.post(url).status_code == 302
    stranger.refresh_from_db()
    assert stranger.office == office
    assert "Transferred from PKMD Kota Bharu" in stranger.history.first().history_change_reason
    assert client.get(reverse("person-edit", args=[stranger.pk])).status_code == 200


# --- Break-glass --------------------------------------------------------------


@pytest.mark.parametrize("cast", READ_ONLY)
def test_state_officer_and_hq_reveal_one_mykad_with_a_reason(
    client, request, cast, stranger, office
):
    CaseFactory(office=office, client=stranger)
    reader = request.getfixturevalue(cast)
    client.force_login(reader)
    url = reverse("person-reveal", args=[stranger.pk])
    assert client.get(url).status_code == 405  # never in a URL
    response = client.post(url, {"reason": "short"})
    assert stranger.formatted_mykad not in response.text
    assert not logged(reader, action=AccessLog.Action.REVEAL).exists()
    reason = "Ministerial query 12/2026 on duplicate records"
    response = client.post(url, {"reason": reason})
    assert stranger.formatted_mykad in response.text
    entry = logged(reader, action=AccessLog.Action.REVEAL).get()
    assert (entry.person, entry.reason) == (stranger, reason)
    # The next reader of the page sees who revealed it, and the number stays masked.
    text = client.get(stranger.get_absolute_url()).text
    assert reason in text and reader.username in text
    assert stranger.formatted_mykad not in text


def test_a_district_officer_cannot_break_glass(client, officer, stranger, past_case):
    client.force_login(officer)
    response = client.post(reverse("person-reveal", args=[stranger.pk]), {"reason": "x" * 20})
    assert response.status_code == 403
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL).exists()


def test_a_person_outside_the_state_officers_scope_is_not_found_to_reveal(
    client, state_officer, stranger
):
    """The stranger has records in Kelantan only: for Selangor's state officer
    there is no such person, so that the break-glass reaches only their state."""
    client.force_login(state_officer)
    url = reverse("person-reveal", args=[stranger.pk])
    response = client.post(url, {"reason": "Ministerial query 12/2026 on duplicates"})
    assert response.status_code == 404
    assert stranger.formatted_mykad not in response.text
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL).exists()


def test_a_person_outside_the_officers_scope_is_not_found_to_take_over(client, officer, stranger):
    client.force_login(officer)
    response = client.post(reverse("person-take-over", args=[stranger.pk]))
    assert response.status_code == 404  # not 403, which would say the person exists
    stranger.refresh_from_db()
    assert stranger.office.code == "PKMD-0302"


# --- One MyKad field, one person form --------------------------------------------


def test_admin_accepts_and_finds_a_dashed_mykad(client, administrator, office):
    client.force_login(administrator)
    response = client.post(
        reverse("admin:welfare_person_add"),
        {"name": "Dashed", "mykad": "630415-08-5521", "office": office.pk, "version": 1},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Person.objects.get(name="Dashed").mykad == "630415085521"
    found = client.get(reverse("admin:welfare_person_changelist"), {"q": "630415-08-5521"})
    assert "Dashed" in found.text


@pytest.mark.parametrize("path", ["case", "volunteer", "participant"])
def test_a_date_of_birth_or_sex_that_contradicts_the_mykad_is_an_error(
    client, officer, office, path
):
    urls = {
        "case": reverse("homehelp:case-create"),
        "volunteer": reverse("homehelp:volunteer-create"),
        "participant": reverse("programs:participant-add", args=[ProjectFactory(office=office).pk]),
    }
    client.force_login(officer)
    mykad = make_mykad(4242, born=date(1950, 6, 1))  # even: a woman
    response = client.post(
        urls[path],
        {"mykad": mykad, "name": "Contradicted", "date_of_birth": "1951-06-01", "sex": "M"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "01/06/1950" in errors["date_of_birth"][0]
    assert errors["sex"] == ["The MyKad number is of a woman."]
    assert not Person.objects.filter(name="Contradicted").exists()


# --- The access log -----------------------------------------------------------


def test_the_participant_csv_is_logged_before_its_first_byte(client, officer, office):
    project = ProjectFactory(office=office)
    participations = ParticipationFactory.create_batch(3, project=project)
    client.force_login(officer)
    response = client.get(reverse("programs:participants-csv", args=[project.pk]))
    # Nothing of the body has been read yet.
    assert set(logged(officer, action="export").values_list("person", flat=True)) == {
        p.person_id for p in participations
    }
    assert b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "url_name,kwargs,subject",
    [
        ("homehelp:visit-export", {"file_format": "csv"}, "visits"),
        ("homehelp:volunteer-export", {"file_format": "xlsx"}, "volunteers"),
        ("homehelp:case-export", {"file_format": "csv"}, "cases"),
        ("programs:project-export", {"file_format": "csv"}, "projects"),
    ],
)
def test_every_export_is_logged(client, officer, office, url_name, kwargs, subject):
    visit = VisitFactory(case=CaseFactory(office=office))
    ProjectFactory(office=office)
    client.force_login(officer)
    assert client.get(reverse(url_name, kwargs=kwargs)).status_code == 200
    entries = logged(officer, action="export", object_type=subject)
    assert entries.exists()
    if subject in ("visits", "cases"):
        assert list(entries.values_list("person", flat=True)) == [visit.case.client_id]


def test_the_home_help_report_file_is_logged(client, hq):
    client.force_login(hq)
    response = client.get(reverse("reports:home-help"), {"year": 2024, "format": "csv"})
    assert response.status_code == 200
    assert logged(hq, action="export", object_type="report: home help by state").exists()


@pytest.mark.parametrize("page", ["volunteer", "person-edit"])
def test_pages_with_a_full_mykad_are_logged(client, officer, office, page):
    volunteer = VolunteerFactory(office=office)
    url = {
        "volunteer": volunteer.get_absolute_url(),
        "person-edit": reverse("person-edit", args=[volunteer.person_id]),
    }[page]
    client.force_login(officer)
    assert client.get(url).status_code == 200
    assert logged(officer, person=volunteer.person, action="view").count() == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_of_other_offices_people_run_a_fixed_number_of_queries(
    client, officer, office, far_office, fmt
):
    """Each person's MyKad is decided in one query for the whole file, not per row."""
    client.force_login(officer)
    url = reverse("homehelp:case-export", args=[fmt])
    counts = []
    for rows in (1, 30):
        for _ in range(rows):
            case = CaseFactory(office=office, client=PersonFactory(office=far_office))
            Case.objects.filter(pk=case.pk).update(
                status=Case.Status.CLOSED, closed_on=date(2024, 6, 1), close_reason="moved"
            )
        with CaptureQueriesContext(connection) as queries:
            content = client.get(url).getvalue()
        counts.append(len(queries))
        for mykad in Person.objects.filter(office=far_office).values_list("mykad", flat=True):
            assert mykad.encode() not in content
    assert counts[0] == counts[1]


def test_only_administrators_search_the_admin_by_mykad(client, office, stranger):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_person"))
    client.force_login(staff)
    url = reverse("admin:welfare_person_changelist")
    assert client.get(url).status_code == 200
    assert "Wan Rosnah" not in client.get(url, {"q": stranger.mykad[-4:]}).text
    assert stranger.mykad not in client.get(url).text


def test_the_admin_does_not_delete_a_person_named_by_programme_records(
    client, administrator, stranger, past_case
):
    """Programme records protect their person (PROTECT): a deleted person never
    shows on another office's lists."""
    client.force_login(administrator)
    url = reverse("admin:welfare_person_delete", args=[stranger.pk])
    assert "Cannot delete person" in client.post(url, {"post": "yes"}).text
    response = client.post(
        reverse("admin:welfare_person_changelist"),
        {"action": "delete_selected", "_selected_action": [stranger.pk], "post": "yes"},
    )
    assert "Cannot delete person" in response.text
    stranger.refresh_from_db()
    assert stranger.deleted_at is None


# --- One search for a person, one page per person ---------------------------------


def test_the_header_search_finds_a_person_by_every_word_in_any_order(
    client, officer, office, django_assert_max_num_queries
):
    person = PersonFactory(office=office, name="Hajah Ramlah binti Yusof")
    project = ProjectFactory(office=office, name="Kedai Runcit")
    ParticipationFactory(project=project, person=person)
    CaseFactory(office=office, client=person)
    PersonFactory(office=office, name="Ramlah binti Ahmad")
    client.force_login(officer)
    for words in ["ramlah yusof", "YUSOF ramlah"]:
        response = client.get(reverse("search"), {"q": words})
        assert [p.pk for p in response.context["page_obj"]] == [person.pk]
        assert "Kedai Runcit" in response.text and "PKMD Petaling" in response.text
    # session, user; count, page; one per kind of record; access log
    # (+ savepoint and release)
    for extra in range(2):
        PersonFactory.create_batch(10, office=office, name=f"Ramlah {extra}")
        with django_assert_max_num_queries(10):
            client.get(reverse("search"), {"q": "ramlah"})
    assert logged(officer, object_type="search: people").exists()


def test_the_header_search_finds_by_name_only_the_people_of_records_in_scope(
    client, officer, office, far_office
):
    own = PersonFactory(office=office, name="Ramlah binti Yusof")
    PersonFactory(office=far_office, name="Ramlah binti Ahmad")
    client.force_login(officer)
    response = client.get(reverse("search"), {"q": "ramlah"})
    assert [p.pk for p in response.context["page_obj"]] == [own.pk]
    assert "Ramlah binti Ahmad" not in response.text


def test_the_header_search_follows_the_person_policy(client, state_officer, stranger, past_case):
    client.force_login(state_officer)
    response = client.get(reverse("search"), {"q": stranger.mykad[-4:]})
    assert list(response.context["page_obj"]) == []
    response = client.get(reverse("search"), {"q": stranger.formatted_mykad})
    assert [p.pk for p in response.context["page_obj"]] == [stranger.pk]
    results = response.text[response.text.index('id="search-results"') :]
    assert_masked(results, stranger)  # the page repeats what was typed, nothing more


def test_the_person_page_lists_the_records_the_user_may_see(
    client, officer, office, far_office, stranger
):
    ParticipationFactory(
        project=ProjectFactory(office=office, name="Projek Petaling"), person=stranger
    )
    CaseFactory(office=office, client=stranger)
    ParticipationFactory(
        project=ProjectFactory(office=far_office, name="Projek Kelantan"), person=stranger
    )
    client.force_login(officer)
    text = client.get(stranger.get_absolute_url()).text
    assert "Projek Petaling" in text and "PKMD Petaling" in text
    assert "Projek Kelantan" not in text


# --- the rules' edges, each found by a mutation that no test caught -----------


def test_only_the_recording_officer_and_administrators_may_change_a_person(
    officer, state_officer, administrator, office
):
    from welfare import people

    own = PersonFactory(office=office)
    assert people.may_change(officer, own) and people.may_change(officer, own, "delete")
    assert people.may_change(administrator, own)
    assert not people.may_change(state_officer, own)


def test_only_a_district_officer_takes_a_person_over(officer, office, stranger):
    """Not an administrator, even one whose account names the serving office."""
    from tests.factories import UserFactory
    from welfare import people

    assert not people.may_take_over(officer, stranger)  # Petaling does not serve them
    CaseFactory(office=office, client=stranger)  # Petaling serves the stranger now
    assert people.may_take_over(officer, stranger)
    assert not people.may_take_over(officer, PersonFactory(office=office))  # recorded here
    unrecorded = PersonFactory(office=None)  # no office records them: a serving one may
    assert not people.may_take_over(officer, unrecorded)
    CaseFactory(office=office, client=unrecorded)
    assert people.may_take_over(officer, unrecorded)
    administrator = UserFactory(username="adm", is_superuser=True, is_staff=True, office=office)
    assert not people.may_take_over(administrator, stranger)


def test_an_inactive_officer_is_shown_no_full_details(officer, office):
    from welfare.people import Disclosure

    own = PersonFactory(office=office)
    assert Disclosure(officer).full_details(own)
    officer.is_active = False
    assert not Disclosure(officer).full_details(own)
    from welfare.mykad import mask_mykad

    assert Disclosure(officer).mykad(own) == mask_mykad(own.mykad)


def test_a_volunteer_is_shown_no_mykad_at_all(volunteer_user, office):
    from welfare.people import Disclosure

    client = CaseFactory(office=office, volunteer=volunteer_user.volunteer).client
    assert Disclosure(volunteer_user).mykad(client) == ""


def test_people_of_a_name_are_told_apart_by_year_and_masked_mykad_only(
    officer, volunteer_user, office
):
    from welfare import people

    born = date(1975, 2, 3)
    person = PersonFactory(office=office, mykad=make_mykad(4411, born=born), date_of_birth=born)
    assert people.told_apart(officer, person) == "born 1975, MyKad …4411"
    assert people.told_apart(volunteer_user, person) == "born 1975"
    without = PersonFactory(office=office, mykad="", date_of_birth=date(1980, 1, 1))
    assert people.told_apart(officer, without) == "born 1980"


def test_the_full_details_of_many_people_are_decided_in_one_query(
    officer, state_officer, office, far_office, stranger, django_assert_num_queries
):
    """Once per page, not once per row: the office's own people need no query,
    the others one for all, and a role never shown full details none at all."""
    from welfare.people import Disclosure

    own, served = PersonFactory(office=office), PersonFactory(office=far_office)
    CaseFactory(office=office, client=served)
    for user in (officer, state_officer):
        user.has_perm("welfare.view_person")  # the roles, read once per process
    disclosure = Disclosure(officer)
    with django_assert_num_queries(1):
        disclosure.prime([own, served, stranger])
    with django_assert_num_queries(0):
        disclosure.prime([served.pk, stranger.pk])  # decided already
        decided = [disclosure.full_details(p) for p in (own, served, stranger)]
    assert decided == [True, True, False]
    exported = Disclosure(officer)
    with django_assert_num_queries(1):  # the ids read by the database, not by Python
        exported.prime(Person.objects.filter(pk__in=[served.pk, stranger.pk]).values("pk"))
        assert [exported.full_details(p) for p in (served, stranger)] == [True, False]
    later = Disclosure(officer)
    with django_assert_num_queries(2):  # what one prime() decided, the next keeps
        later.prime([stranger])
        later.prime([served])
        assert not later.full_details(stranger)
    assert not later.full_details(None)
    reader = Disclosure(state_officer)
    with django_assert_num_queries(0):
        reader.prime([own, served, stranger])
    assert reader.mykad(served) == served.masked_mykad
    assert reader.mykad(None) == ""


def test_a_request_shares_one_disclosure_between_its_view_and_templates(rf, officer):
    from welfare.people import disclosure_for

    request = rf.get("/")
    request.user = officer
    assert disclosure_for(request) is disclosure_for(request)
    assert disclosure_for(request).user == officer


def test_a_search_reads_the_first_100_characters(officer, office):
    from welfare import people

    long_name = PersonFactory(office=office, name="A" * 100)
    found = Person.objects.filter(people.search_q(officer, "a" * 100 + "z"))
    assert list(found) == [long_name]


def test_an_empty_search_finds_nobody(officer, office):
    from welfare import people

    PersonFactory(office=office, name="Aminah")
    for text in ["", "   "]:
        assert not Person.objects.filter(people.search_q(officer, text)).exists()


def test_the_access_log_names_the_record_the_address_and_each_person(client, officer, office):
    from welfare import people

    person = PersonFactory(office=office)
    client.force_login(officer)
    client.get(person.get_absolute_url(), REMOTE_ADDR="10.1.2.3")
    entry = logged(officer, person=person).get()
    assert (entry.object_type, entry.object_id, entry.ip_address, entry.reason) == (
        "person",
        person.pk,
        "10.1.2.3",
        "",  # a reason is given only for a reveal
    )
    others = [PersonFactory(office=office) for _ in range(2)]
    people.log_access(officer, [p.pk for p in others], "a list by ids")
    assert set(logged(officer, object_type="a list by ids").values_list("person", flat=True)) == {
        p.pk for p in others
    }


def test_the_people_of_an_export_are_logged_by_one_insert_select(
    officer, office, django_assert_num_queries
):
    """The database reads the ids (100,000 of them for a big export), not Python."""
    from welfare import people

    exported = [PersonFactory(office=office) for _ in range(3)]
    ids = Person.objects.filter(office=office).values_list("pk", flat=True)
    with django_assert_num_queries(1) as queries:
        people.log_access(officer, ids, "export", action=AccessLog.Action.EXPORT)
    assert queries.captured_queries[0]["sql"].startswith("INSERT INTO")
    assert set(
        logged(officer, action=AccessLog.Action.EXPORT).values_list("person", flat=True)
    ) == {p.pk for p in exported}


def test_look_ups_are_logged_by_kind_and_counted_per_user(
    officer, neighbour_officer, office, far_office, settings
):
    from welfare import people

    settings.PERSON_LOOKUPS_PER_DAY = 1
    own, far = PersonFactory(office=office), PersonFactory(office=far_office)
    held = PersonFactory(office=far_office)
    held.soft_delete(by=neighbour_officer)
    assert people.find_by_mykad(officer, own.mykad) == own
    assert logged(officer, person=own, action=AccessLog.Action.VIEW).get().object_type == (
        "MyKad look-up"
    )
    with pytest.raises(Exception, match="being deleted"):
        people.find_by_mykad(officer, held.mykad)
    assert logged(officer, person=held, action=AccessLog.Action.LOOKUP).get().object_type == (
        "MyKad look-up (deleted record)"
    )
    AccessLog.objects.filter(person=held).delete()
    # Another officer's look-ups never use up this officer's day.
    people.find_by_mykad(neighbour_officer, far.mykad)
    assert people.find_by_mykad(officer, far.mykad) == far


def test_a_person_page_lists_the_reveals_of_that_person_only(
    state_officer, stranger, office, django_assert_num_queries
):
    from welfare import people

    other = PersonFactory(office=office)
    for person, reason in [(stranger, "court order 12/2026"), (other, "audit")]:
        people.log_access(
            state_officer, [person], person, action=AccessLog.Action.REVEAL, reason=reason
        )
    people.log_access(state_officer, [stranger], stranger)  # a view is no reveal
    with django_assert_num_queries(1):  # with who revealed it
        shown = [(r.reason, r.user.username) for r in people.reveals_of(stranger)]
    assert shown == [("court order 12/2026", state_officer.username)]


def test_searching_full_mykads_outside_the_full_details_counts_as_look_ups(
    client, state_officer, stranger, past_case, settings
):
    """The masked number and the year of birth leave a few thousand candidates:
    trying them through a search box is a look-up each, hit or miss, up to the
    day's limit; the office that records the person searches them freely."""
    settings.PERSON_LOOKUPS_PER_DAY = 2
    client.force_login(state_officer)
    wrong = stranger.mykad[:6] + "99" + stranger.mykad[8:]
    for _ in range(2):
        client.get("/search/", {"q": wrong})
    response = client.get("/search/", {"q": stranger.mykad})
    assert stranger.name not in response.text  # the day's look-ups are spent
    lookups = logged(state_officer, action=AccessLog.Action.LOOKUP)
    assert list(lookups.values_list("object_type", flat=True)) == ["search by MyKad"] * 3
    logged(state_officer).delete()
    settings.PERSON_LOOKUPS_PER_DAY = 1  # the last look-up of the day still finds
    assert stranger.name in client.get("/search/", {"q": stranger.mykad}).text


def test_searching_a_full_mykad_within_the_full_details_is_no_look_up(
    client, officer, office, settings
):
    settings.PERSON_LOOKUPS_PER_DAY = 0
    own = PersonFactory(office=office, name="Aminah Yusof")
    client.force_login(officer)
    assert own.name in client.get("/search/", {"q": own.mykad}).text
    assert not logged(officer, action=AccessLog.Action.LOOKUP).exists()


def test_contact_details_go_with_the_full_details_and_to_a_volunteers_clients(
    officer, volunteer_user, office, stranger
):
    """The phone, address and postcode (the volunteer's case page shows them)."""
    from welfare.people import Disclosure

    assigned = CaseFactory(office=office, volunteer=volunteer_user.volunteer).client
    own = PersonFactory(office=office)
    assert Disclosure(officer).contact_details(own)
    assert not Disclosure(officer).contact_details(stranger)
    assert not Disclosure(officer).contact_details(None)
    volunteer = Disclosure(volunteer_user)
    assert volunteer.contact_details(assigned)
    assert not volunteer.contact_details(own)
    assert not volunteer.contact_details(None)


def test_a_volunteer_finds_nobody_by_mykad(volunteer_user, office):
    from django.core.exceptions import ValidationError

    from welfare import people

    client = CaseFactory(office=office, volunteer=volunteer_user.volunteer).client
    found, refused = people.find_many_by_mykad(volunteer_user, [client.mykad])
    assert (found, refused) == ({}, {client.mykad: people.NO_LOOKUP_FOR_VOLUNTEERS})
    with pytest.raises(ValidationError, match="Volunteers do not look people up"):
        people.find_by_mykad(volunteer_user, client.mykad)


def test_a_file_of_many_mykads_finds_every_person_in_a_fixed_number_of_queries(
    officer, office, django_assert_num_queries
):
    """Looked up a thousand MyKads at a time: the first and the last of 1,001."""
    from welfare import people

    numbers = [make_mykad(n) for n in range(1001)]
    first, last = (PersonFactory(office=office, mykad=m) for m in (min(numbers), max(numbers)))
    officer.has_perm("welfare.view_person")  # the roles, read once per process
    with django_assert_num_queries(3):  # two batches and the log
        found, refused = people.find_many_by_mykad(officer, numbers)
    assert set(found.values()) == {first, last} and not refused


def test_a_search_of_a_thousand_words_is_cut_not_an_error(signed_in):
    response = signed_in.get("/homehelp/cases/", {"q": " ".join(["a"] * 1200)})
    assert response.status_code == 200
