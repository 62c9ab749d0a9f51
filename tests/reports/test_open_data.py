"""The public outputs of the editions: /stats/, an edition's page, and the open
data (GET /stats/editions/ and each edition's CSV and JSON), exactly as the
contract says; read without signing in, from stored cells only, with cache
headers and ETags, no cookie; small counts of people withheld in all of them."""

import csv
import io
import json
from datetime import date

import pytest
from django.core.cache import cache

from reports.models import Edition
from tests.factories import (
    ParticipationFactory,
    PersonFactory,
    ProjectFactory,
    VisitFactory,
)

AS_OF = "2012-10-31"
CONTRACT = {"id", "table", "as_of", "version", "published_at", "csv", "json"}


def publish(client, hq, table="projects-by-state", **filters):
    client.force_login(hq)
    data = {"table": table, **({"as_of": AS_OF} if "year" not in filters else {}), **filters}
    client.post("/reports/editions/publish/", data)
    client.logout()
    cache.clear()
    return Edition.objects.order_by("-pk").first()


def rows(content):
    return list(csv.DictReader(io.StringIO(content.decode())))


@pytest.fixture
def small(office, neighbour_office, far_office, refresh):
    """Selangor 2 participants of 2 projects (Petaling), Kelantan 40 and 7 of a project
    in each of two offices."""
    ParticipationFactory.create_batch(
        2, project__office=office, project__start_date=date(2012, 1, 1), joined_on=date(2012, 2, 1)
    )
    kota_bharu = ProjectFactory(office=far_office, start_date=date(2012, 1, 1))
    ParticipationFactory.create_batch(40, project=kota_bharu, joined_on=date(2012, 2, 1))
    bachok = far_office.state.offices.exclude(pk=far_office.pk).first()
    project = ProjectFactory(office=bachok, start_date=date(2012, 1, 1))
    for _ in range(7):
        ParticipationFactory(
            project=project, person=PersonFactory(office=bachok), joined_on=date(2012, 2, 1)
        )
    refresh()


# --- The contract -----------------------------------------------------------------------


def test_the_list_of_editions_is_the_contract(client, hq, small):
    first = publish(client, hq)
    second = publish(client, hq, table="home-help-by-state", year=2011)
    response = client.get("/stats/editions/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    listed = response.json()
    assert [e["id"] for e in listed] == [second.pk, first.pk]  # newest first
    for entry in listed:
        assert set(entry) == CONTRACT
    entry = listed[1]
    assert entry["table"] == "projects-by-state" and entry["as_of"] == AS_OF
    assert entry["version"] == 1 and entry["published_at"].endswith("+08:00")
    assert entry["csv"] == f"http://testserver/stats/editions/{first.pk}.csv"
    assert entry["json"] == f"http://testserver/stats/editions/{first.pk}.json"
    assert listed[0]["table"] == "home-help-by-state" and listed[0]["as_of"] == "2011-12-31"


@pytest.mark.parametrize(
    "table,filters,report",
    [
        ("projects-by-state", {}, "/reports/projects-by-state/"),
        ("home-help-by-state", {"year": 2011}, "/reports/home-help/"),
        ("projects-by-office", {"state": "MY-03"}, "/reports/projects-by-office/"),
        ("home-help-by-office", {"year": 2011, "state": "MY-03"}, "/reports/home-help-by-office/"),
    ],
)
def test_the_files_have_the_signed_in_reports_columns(client, hq, small, table, filters, report):
    edition = publish(client, hq, table, **filters)
    client.force_login(hq)
    params = {**filters, **({"as_of": AS_OF} if "year" not in filters else {}), "format": "csv"}
    signed_in = b"".join(client.get(report, params).streaming_content).decode()
    client.logout()
    header = signed_in.splitlines()[0].split(",")
    content = client.get(f"/stats/editions/{edition.pk}.csv").content
    assert content.decode().splitlines()[0].split(",") == header
    document = json.loads(client.get(f"/stats/editions/{edition.pk}.json").content)
    assert document["columns"] == header
    assert all(list(row) == header for row in document["rows"])
    assert len(document["rows"]) == len(rows(content)) == len(signed_in.splitlines()) - 1
    assert [list(r.values()) for r in rows(content)] == [
        [str(v) for v in r.values()] for r in document["rows"]
    ]


def test_the_files_answer_conditional_requests(client, hq, small):
    edition = publish(client, hq)
    for url in [f"/stats/editions/{edition.pk}.csv", f"/stats/editions/{edition.pk}.json",
                "/stats/editions/", f"/stats/editions/{edition.pk}/", "/stats/"]:  # fmt: skip
        first = client.get(url)
        assert first.status_code == 200, url
        assert first["ETag"].startswith('"'), url
        assert "public" in first["Cache-Control"] and "max-age=" in first["Cache-Control"]
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304, url
        assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
        assert client.head(url).status_code == 200
    csv_file = client.get(f"/stats/editions/{edition.pk}.csv")
    assert "max-age=3600" in csv_file["Cache-Control"]
    assert csv_file["Content-Type"] == "text/csv; charset=utf-8"


def test_public_outputs_set_no_cookie_and_carry_no_form(client, hq, small):
    edition = publish(client, hq)
    for url in ["/stats/", "/stats/editions/", f"/stats/editions/{edition.pk}/",
                f"/stats/editions/{edition.pk}/?lang=ms", f"/stats/editions/{edition.pk}.csv",
                f"/stats/editions/{edition.pk}.json"]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        assert not response.cookies, url  # no CSRF cookie, no session
        assert b"csrfmiddlewaretoken" not in response.content, url
    assert not client.cookies


def test_missing_editions_are_not_found(client, db):
    for url in ["/stats/editions/999/", "/stats/editions/999.csv", "/stats/editions/999.json",
                "/stats/editions/999.xml"]:  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.get("/stats/editions/").json() == []


def test_an_edition_published_after_a_miss_is_found_at_once(client, hq, small):
    assert client.get("/stats/editions/1.csv").status_code == 404  # nothing kept of a miss
    edition = publish(client, hq)
    assert client.get(f"/stats/editions/{edition.pk}.csv").status_code == 200


def test_an_edition_page_in_either_language(client, hq, small):
    edition = publish(client, hq)
    english = client.get(f"/stats/editions/{edition.pk}/").text
    assert "Until 31 October 2012" in english and "Kelantan" in english
    malay = client.get(f"/stats/editions/{edition.pk}/", {"lang": "ms"}).text
    assert 'lang="ms"' in malay and "Sehingga 31 Oktober 2012" in malay
    assert 'href="?lang=en"' in malay
    browser = client.get(f"/stats/editions/{edition.pk}/", HTTP_ACCEPT_LANGUAGE="ms").text
    assert "Sehingga 31 Oktober 2012" in browser


# --- Small counts of people --------------------------------------------------------------


def test_small_counts_are_withheld_in_every_public_output_and_exact_when_signed_in(
    client, hq, small
):
    edition = publish(client, hq)
    assert edition.withheld == 4  # Selangor's 2 and 2, and the covers hiding them
    lines = {
        r["state_code"]: r for r in rows(client.get(f"/stats/editions/{edition.pk}.csv").content)
    }
    assert (lines["MY-10"]["participants"], lines["MY-10"]["persons"]) == ("<3", "<3")
    assert (lines["MY-03"]["participants"], lines["MY-03"]["persons"]) == ("x", "x")
    assert lines["MY-10"]["projects"] == "2"  # projects are not people
    assert lines["TOTAL"]["participants"] == "49"
    # No subtraction gives the 2 back: the TOTAL less every figure shown leaves two cells.
    shown = [int(r["participants"]) for code, r in lines.items()
             if code != "TOTAL" and r["participants"].isdigit()]  # fmt: skip
    assert 49 - sum(shown) == 2 + 47
    document = json.loads(client.get(f"/stats/editions/{edition.pk}.json").content)
    selangor = next(r for r in document["rows"] if r["state_code"] == "MY-10")
    assert selangor["participants"] == "<3"
    assert any("fewer than 3 people" in note for note in document["footnotes"])
    assert any("subtraction" in note for note in document["footnotes"])
    for url in [f"/stats/editions/{edition.pk}/", "/stats/"]:
        page = client.get(url).text
        assert "&lt;3" in page and "fewer than 3 people" in page and "subtraction" in page
    # Signed in, the report is exact, and HQ's page of the edition too.
    client.force_login(hq)
    report = b"".join(
        client.get(
            "/reports/projects-by-state/", {"as_of": AS_OF, "format": "csv"}
        ).streaming_content
    )
    exact = {r["state_code"]: r for r in rows(report)}
    assert exact["MY-10"]["participants"] == "2" and exact["MY-03"]["participants"] == "47"
    page = client.get(f"/reports/editions/{edition.pk}/").text
    assert '2 <span class="badge text-bg-warning">&lt;3</span>' in page


def test_the_office_drill_down_hides_a_small_office_from_the_state_total(client, hq, small):
    edition = publish(client, hq, table="projects-by-office", state="MY-03")
    lines = {
        r["office_code"]: r for r in rows(client.get(f"/stats/editions/{edition.pk}.csv").content)
    }
    assert lines["TOTAL"]["participants"] == "47"
    assert (
        sorted(r["participants"] for r in lines.values() if not r["participants"].isdigit()) == []
    )
    assert edition.withheld == 0  # 40 and 7: nothing small


def test_the_threshold_is_a_setting(client, hq, small, settings):
    settings.PUBLIC_MIN_CELL = 8
    edition = publish(client, hq)
    assert edition.min_cell == 8
    lines = {
        r["state_code"]: r for r in rows(client.get(f"/stats/editions/{edition.pk}.csv").content)
    }
    assert lines["MY-10"]["participants"] == "<8"


# --- /stats/ ------------------------------------------------------------------------------


def test_stats_shows_the_latest_editions_not_todays_figures(client, hq, office, small, refresh):
    assert "No table has been published yet." in client.get("/stats/").text
    publish(client, hq)
    ProjectFactory.create_batch(5, office=office, start_date=date(2012, 5, 1))
    refresh()
    publish(client, hq, table="home-help-by-state", year=2011)
    later = publish(client, hq, as_of="2012-12-31")  # the latest date of the table
    publish(client, hq, type="economic")  # a filtered table is listed, not shown first
    page = client.get("/stats/").text
    headline = page.split("headline-edition")[1]
    assert "Until 31 December 2012" in headline
    assert f"/stats/editions/{later.pk}/" in headline
    listed = page.split("editions-list")[1]
    assert listed.count("/stats/editions/") >= 4 * 3  # page, CSV and JSON of each edition
    assert "Until 31 October 2012" in listed


def test_stats_are_kept_by_this_process_and_forgotten_on_publication(
    client, hq, small, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client.get("/stats/")
    with django_assert_num_queries(0):
        assert client.get("/stats/").status_code == 200
    assert "No table has been published yet." in client.get("/stats/").text
    client.force_login(hq)
    with django_capture_on_commit_callbacks(execute=True):  # once the publication commits
        client.post("/reports/editions/publish/", {"table": "projects-by-state", "as_of": AS_OF})
    client.logout()
    assert "No table has been published yet." not in client.get("/stats/").text


def test_a_signed_in_user_gets_stats_with_their_header_kept_by_nobody(client, officer, hq, small):
    publish(client, hq)
    client.force_login(officer)
    response = client.get("/stats/")
    assert officer.username in response.text and "public" not in response.get("Cache-Control", "")
    assert "ETag" not in response
    client.logout()
    assert officer.username not in client.get("/stats/").text


# --- Queries ------------------------------------------------------------------------------


def _queries(client, url, django_assert_max_num_queries, most):
    cache.clear()
    with django_assert_max_num_queries(most) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def test_public_pages_run_a_fixed_number_of_queries(
    client, hq, office, small, refresh, django_assert_max_num_queries
):
    first = publish(client, hq)
    publish(client, hq, table="home-help-by-state", year=2011)
    pins = {  # read cold, not from this process's copy
        "/stats/": 4,  # the states, the editions listed, the two shown
        "/stats/editions/": 1,
        f"/stats/editions/{first.pk}/": 3,  # the edition, the states, its versions
        f"/stats/editions/{first.pk}.csv": 1,
        f"/stats/editions/{first.pk}.json": 2,  # and the state of a drill-down's title
    }
    few = {url: _queries(client, url, django_assert_max_num_queries, n) for url, n in pins.items()}
    for day in range(1, 9):
        ProjectFactory(office=office, start_date=date(2012, 11, day))
    refresh()
    for day in range(1, 9):  # each edition as of a day counts the projects until then
        publish(client, hq, as_of=f"2012-11-{day:02d}")
        publish(client, hq, table="projects-by-office", as_of=f"2012-11-{day:02d}", state="MY-10")
    many = {url: _queries(client, url, django_assert_max_num_queries, n) for url, n in pins.items()}
    assert many == few


def test_hqs_edition_page_runs_a_fixed_number_of_queries(
    client, hq, office, small, refresh, django_assert_max_num_queries
):
    edition = publish(client, hq, table="projects-by-office", state="MY-10")
    client.force_login(hq)
    url = f"/reports/editions/{edition.pk}/"
    client.get(url)
    with django_assert_max_num_queries(20) as before:
        client.get(url)
    VisitFactory.create_batch(3, case__office=office)
    ProjectFactory.create_batch(10, office=office, start_date=date(2012, 6, 1))
    refresh()
    with django_assert_max_num_queries(20) as after:
        assert "cells differ" in client.get(url).text
    assert len(after) == len(before)
