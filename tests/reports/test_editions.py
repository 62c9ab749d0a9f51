"""Published editions: HQ publishes a table as at a date or for a year; it never
changes afterwards, whatever is entered later; the difference with today's data
is shown to HQ, who may publish a revision with its reason, and the earlier
version stays at its address. Nobody changes or deletes an edition: not the
admin, not any address, not the database."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction

from reports.models import Edition, Table, Unchangeable
from tests.factories import ParticipationFactory, ProjectFactory, VisitFactory
from welfare.models import Office

AS_OF = "2012-10-31"


@pytest.fixture
def seeded(office, far_office, refresh):
    """Two projects before the date: 3 participants at Petaling, 4 at Kota Bharu."""
    near = ProjectFactory(office=office, start_date=date(2012, 3, 1))
    ParticipationFactory.create_batch(3, project=near, joined_on=date(2012, 4, 1))
    far = ProjectFactory(office=far_office, start_date=date(2012, 5, 1))
    ParticipationFactory.create_batch(4, project=far, joined_on=date(2012, 6, 1))
    refresh()


def publish(client, table="projects-by-state", **fields):
    data = {"table": table, "as_of": AS_OF, **fields}
    if "year" in data:
        data.pop("as_of")
    return client.post("/reports/editions/publish/", data)


def public(client, url):
    """What a visitor reads at `url`, made again (not this process's kept copy)."""
    cache.clear()
    client.logout()
    return client.get(url).content


def total_row(content):
    return list(csv.DictReader(io.StringIO(content.decode())))[-1]


def test_hq_publishes_an_edition_of_the_cells_as_they_are(client, hq, seeded):
    client.force_login(hq)
    response = publish(client, note="As answered in Parliament.")
    edition = Edition.objects.get()
    assert response.status_code == 302 and response.url == f"/reports/editions/{edition.pk}/"
    assert edition.table == Table.PROJECTS_BY_STATE and edition.version == 1
    assert edition.as_of == date(2012, 10, 31) and edition.filters == {"as_of": AS_OF}
    assert edition.published_by == hq and edition.note == "As answered in Parliament."
    assert edition.cells["total"] == [2, 7, 7]
    assert edition.columns == ["state_code", "state", "projects", "participants", "persons"]
    assert edition.completeness == {"months": ["2012-10"], "confirmed": 0, "offices": 160}
    assert edition.figures_at is not None
    selangor = next(r for r in edition.cells["rows"] if r[0] == "MY-10")
    assert selangor[1:] == ["Selangor", "Selangor", 1, 3, 3]
    page = client.get(f"/reports/editions/{edition.pk}/").text
    assert "No cell differs from today's data." in page
    assert "0 of 160 offices confirmed their records for October 2012 complete." in page


def test_an_edition_never_moves_when_later_records_change_its_figures(
    client, hq, office, seeded, refresh
):
    client.force_login(hq)
    publish(client)
    first = Edition.objects.get()
    urls = [f"/stats/editions/{first.pk}/", f"/stats/editions/{first.pk}.csv",
            f"/stats/editions/{first.pk}.json", f"/stats/editions/{first.pk}/?lang=ms"]  # fmt: skip
    before = {url: public(client, url) for url in urls}
    assert total_row(before[urls[1]])["participants"] == "7"

    # An officer enters a project and a participant with dates before the edition's.
    late = ProjectFactory(office=office, start_date=date(2012, 9, 1))
    ParticipationFactory(project=late, joined_on=date(2012, 9, 2))
    refresh()
    assert {url: public(client, url) for url in urls} == before  # byte for byte
    assert Edition.objects.get().cells == first.cells

    # HQ sees the cells that differ, side by side.
    client.force_login(hq)
    page = client.get(f"/reports/editions/{first.pk}/").text
    assert "6 cells differ from today's data." in page  # Selangor's 3 and the TOTAL's
    differences = page.split('class="table table-sm table-numbers align-middle differences"')[1]
    assert "Selangor" in differences and "Kelantan" not in differences

    # A revision needs its reason.
    response = client.post(f"/reports/editions/{first.pk}/", {"reason": ""})
    assert response.status_code == 400
    assert Edition.objects.count() == 1
    response = client.post(
        f"/reports/editions/{first.pk}/", {"reason": "A project of Petaling entered late."}
    )
    second = Edition.objects.get(version=2)
    assert response.url == f"/reports/editions/{second.pk}/"
    assert second.series == first.series and second.reason == "A project of Petaling entered late."
    assert second.cells["total"] == [3, 8, 8]
    assert total_row(public(client, f"/stats/editions/{second.pk}.csv"))["participants"] == "8"

    # Version 1 stays at its address, its files unchanged, its page pointing to version 2.
    assert public(client, urls[1]) == before[urls[1]]
    assert public(client, urls[2]) == before[urls[2]]
    old_page = public(client, urls[0]).decode()
    assert "A later version of this edition, version 2" in old_page
    assert f'href="/stats/editions/{second.pk}/?lang=en"' in old_page
    new_page = public(client, f"/stats/editions/{second.pk}/").decode()
    assert "Revised:" in new_page and "A project of Petaling entered late." in new_page
    assert "Version 1, published" in new_page  # the history

    # /stats/ shows the latest version, with its revision note.
    stats = public(client, "/stats/").decode()
    assert "A project of Petaling entered late." in stats
    client.force_login(hq)
    history = client.get(f"/reports/editions/{second.pk}/").text
    assert "Revision history" in history and "A project of Petaling entered late." in history


def test_only_the_latest_version_is_revised_and_only_when_it_differs(
    client, hq, office, seeded, refresh
):
    client.force_login(hq)
    publish(client)
    first = Edition.objects.get()
    response = client.post(f"/reports/editions/{first.pk}/", {"reason": "Nothing new."})
    assert response.status_code == 302 and Edition.objects.count() == 1  # nothing differs
    ProjectFactory(office=office, start_date=date(2012, 9, 1))
    refresh()
    client.post(f"/reports/editions/{first.pk}/", {"reason": "One more project."})
    assert Edition.objects.count() == 2
    ProjectFactory(office=office, start_date=date(2012, 9, 3))
    refresh()
    response = client.post(f"/reports/editions/{first.pk}/", {"reason": "Again, on version 1."})
    assert response.status_code == 403 and Edition.objects.count() == 2
    assert "Publish version" not in client.get(f"/reports/editions/{first.pk}/").text


def test_the_same_table_and_filters_are_published_once(client, hq, seeded):
    client.force_login(hq)
    publish(client)
    response = publish(client, note="again")
    assert Edition.objects.count() == 1
    assert response.url == f"/reports/editions/{Edition.objects.get().pk}/"
    publish(client, type="economic")  # other filters: another edition
    assert Edition.objects.count() == 2


def test_a_date_or_year_to_come_is_not_published(client, hq, seeded):
    client.force_login(hq)
    publish(client, as_of=(date.today() + timedelta(days=1)).isoformat())
    publish(client, table="home-help-by-state", year=date.today().year + 1)
    assert not Edition.objects.exists()


def test_home_help_and_the_office_drill_downs_are_published(client, hq, office, refresh):
    VisitFactory.create_batch(4, case__office=office, visited_on=date(2011, 5, 1))
    refresh()
    client.force_login(hq)
    publish(client, table="home-help-by-state", year=2011)
    publish(client, table="projects-by-office", state="MY-10")
    publish(client, table="home-help-by-office", year=2011, state="MY-10")
    home_help, by_office, home_help_by_office = Edition.objects.order_by("pk")
    assert home_help.as_of == date(2011, 12, 31) and home_help.year == 2011
    assert home_help.cells["total"][2] == 4  # visits
    assert len(home_help.completeness["months"]) == 12
    assert by_office.columns[:2] == ["office_code", "office_name"]
    selangor = Office.objects.filter(state__code="MY-10").count()
    assert len(by_office.cells["rows"]) == selangor
    assert by_office.completeness["offices"] == selangor
    assert home_help_by_office.columns[-1] == "minutes"
    page = client.get(f"/stats/editions/{by_office.pk}/").text
    assert "Projects and participants by office: Selangor" in page


def test_the_report_pages_offer_hq_to_publish_them(client, hq, state_officer, seeded):
    client.force_login(hq)
    page = client.get("/reports/projects-by-state/", {"as_of": AS_OF}).text
    assert "Publish this table" in page and 'name="as_of" value="2012-10-31"' in page
    publish(client)
    page = client.get("/reports/projects-by-state/", {"as_of": AS_OF}).text
    assert "This table is published: version 1" in page
    for url in ["/reports/home-help/", "/reports/projects-by-office/",
                "/reports/home-help-by-office/"]:  # fmt: skip
        assert "Publish this table" in client.get(url).text, url
    client.force_login(state_officer)
    assert "Publish this table" not in client.get("/reports/projects-by-state/").text


# --- Nobody changes an edition ---------------------------------------------------------


@pytest.fixture
def edition(client, hq, seeded):
    client.force_login(hq)
    publish(client)
    client.logout()
    return Edition.objects.get()


def test_the_model_refuses_to_change_or_delete_an_edition(edition):
    edition.note = "rewritten"
    with pytest.raises(Unchangeable):
        edition.save()
    with pytest.raises(Unchangeable):
        Edition.objects.filter(pk=edition.pk).update(note="rewritten")
    with pytest.raises(Unchangeable):
        edition.delete()
    with pytest.raises(Unchangeable):
        Edition.objects.all().delete()
    assert Edition.objects.get().note == ""


def test_the_database_refuses_to_change_an_edition(edition):
    table = Edition._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET note = 'rewritten'")
    if connection.vendor == "postgresql":  # SQLite's flush deletes rows: there, the model refuses
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")
    assert Edition.objects.get().note == ""


def test_the_admin_shows_editions_and_changes_none(client, administrator, edition):
    client.force_login(administrator)
    base = "/admin/reports/edition/"
    assert edition.table in client.get(base).text
    page = client.get(f"{base}{edition.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.text and "Delete" not in page.text
    assert client.post(f"{base}{edition.pk}/change/", {"note": "x"}).status_code == 403
    assert client.get(f"{base}{edition.pk}/delete/").status_code == 403
    assert client.post(f"{base}{edition.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    response = client.post(
        base, {"action": "delete_selected", "_selected_action": [edition.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    assert Edition.objects.get().note == ""
    assert Edition.objects.count() == 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_address_changes_an_edition(client, hq, edition, method):
    for user in (None, hq):
        if user:
            client.force_login(user)
        for url in [f"/stats/editions/{edition.pk}/", f"/stats/editions/{edition.pk}.csv",
                    f"/stats/editions/{edition.pk}.json", "/stats/editions/", "/stats/"]:  # fmt: skip
            response = getattr(client, method)(url, {"note": "x"})
            assert response.status_code in (403, 405), (url, method)
    client.force_login(hq)
    # HQ's page revises (a new version) on POST; it never changes this one.
    assert getattr(client, method)(f"/reports/editions/{edition.pk}/").status_code in (
        200,
        302,
        400,
        405,
    )
    assert Edition.objects.filter(pk=edition.pk).values_list("note", "version")[0] == ("", 1)


# --- Who publishes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "cast", ["officer", "state_officer", "administrator", "no_role_user", "volunteer_user"]
)
def test_only_hq_publishes_and_revises(client, request, cast, edition, office, refresh):
    ProjectFactory(office=office, start_date=date(2012, 9, 1))
    refresh()
    client.force_login(request.getfixturevalue(cast))
    assert publish(client, type="economic").status_code == 403
    response = client.post(f"/reports/editions/{edition.pk}/", {"reason": "mine"})
    assert response.status_code == 403
    assert Edition.objects.count() == 1


def test_signed_out_users_are_sent_to_sign_in_to_publish(client, edition):
    response = publish(client, type="economic")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.get(f"/reports/editions/{edition.pk}/").status_code == 302


@pytest.mark.parametrize("cast", ["officer", "state_officer", "no_role_user"])
def test_hqs_edition_pages_are_hqs(client, request, cast, edition):
    client.force_login(request.getfixturevalue(cast))
    assert client.get("/reports/editions/").status_code == 403
    assert client.get(f"/reports/editions/{edition.pk}/").status_code == 403
    assert client.get(f"/stats/editions/{edition.pk}/").status_code == 200  # the public page


def test_administrators_read_hqs_edition_pages_without_publishing(client, administrator, edition):
    client.force_login(administrator)
    assert client.get("/reports/editions/").status_code == 200
    page = client.get(f"/reports/editions/{edition.pk}/").text
    assert "Publish version" not in page


def test_the_open_data_json_says_what_the_edition_is(client, edition):
    document = json.loads(client.get(f"/stats/editions/{edition.pk}.json").content)
    assert document["title"] == "Projects and participants by state"
    assert document["filters"] == {"as_of": AS_OF}
    assert document["completeness"]["offices"] == 160
    assert document["revision_reason"] == "" and document["version"] == 1


def test_nothing_is_published_before_the_figures_are_computed(client, hq, office):
    ProjectFactory(office=office, start_date=date(2012, 3, 1))  # never refreshed
    client.force_login(hq)
    response = publish(client)
    assert not Edition.objects.exists()
    assert response.status_code == 302
    assert "have not been computed yet" in client.get(response.url).text
