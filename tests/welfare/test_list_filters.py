"""The state and office filters of every list (welfare.filters.ListFilter): a
state for HQ, an office for state officers and HQ, among the offices they may
read; a state officer who types another state's office gets an error and no
rows, never that office's. The downloads are the list as filtered, and say so."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from tests.factories import (
    CaseFactory,
    OrganizationFactory,
    ProjectFactory,
    VisitFactory,
    VolunteerFactory,
)

# list -> (its page, its CSV download)
LISTS = {
    "projects": ("/projects/", "/projects/export.csv"),
    "cases": ("/homehelp/cases/", "/homehelp/cases/export.csv"),
    "visits": ("/homehelp/visits/", "/homehelp/visits/export.csv"),
    "volunteers": ("/homehelp/volunteers/", "/homehelp/volunteers/export.csv"),
    "organisations": ("/homehelp/organisations/", "/homehelp/organisations/export.csv"),
}


@pytest.fixture
def everywhere(office, neighbour_office, far_office):
    """One record of each kind in Petaling, Gombak (Selangor) and Kota Bharu
    (Kelantan), each named with a word of its office."""
    words = {}
    for place, word in [(office, "Petalingword"), (neighbour_office, "Gombakword"),
                        (far_office, "Kelantanword")]:  # fmt: skip
        organization = OrganizationFactory(office=place, name=f"Persatuan {word}")
        volunteer = VolunteerFactory(
            office=place, organization=organization, person__name=f"Sukarelawan {word}"
        )
        case = CaseFactory(office=place, volunteer=volunteer, client__name=f"Klien {word}")
        VisitFactory(case=case, volunteer=volunteer)
        ProjectFactory(office=place, name=f"Projek {word}")
        words[place.code] = word
    return words


def shown(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    table = "".join(re.findall(r"<tbody.*?</tbody>", response.text, re.S))
    return response, {word for word in WORDS if word in table}


WORDS = ["Petalingword", "Gombakword", "Kelantanword"]


@pytest.mark.parametrize("name", LISTS)
def test_hq_filters_every_list_by_state_and_by_office(client, hq, everywhere, name):
    url, _export = LISTS[name]
    client.force_login(hq)
    assert shown(client, url)[1] == set(WORDS)
    assert shown(client, url, state="MY-10")[1] == {"Petalingword", "Gombakword"}
    assert shown(client, url, state="MY-03")[1] == {"Kelantanword"}
    assert shown(client, url, office="PKMD-1001")[1] == {"Gombakword"}
    assert shown(client, url, office="PKMD Gombak")[1] == {"Gombakword"}
    # An office of another state than the one chosen: nothing.
    assert shown(client, url, state="MY-03", office="PKMD-1001")[1] == set()


@pytest.mark.parametrize("name", LISTS)
def test_a_state_officer_filters_by_their_offices_only(client, state_officer, everywhere, name):
    url, _export = LISTS[name]
    client.force_login(state_officer)
    response, words = shown(client, url)
    assert words == {"Petalingword", "Gombakword"}
    assert 'name="state"' not in response.text  # one state already
    assert 'name="office"' in response.text
    assert shown(client, url, office="PKMD-1005")[1] == {"Petalingword"}
    for foreign in ["PKMD-0302", "PKMD Kota Bharu", "Kota Bharu"]:
        response, words = shown(client, url, office=foreign)
        assert words == set(), foreign
        assert "office" in response.context["filter"].errors
        assert "Nothing you may choose matches" in response.text
    # A state given in the address is no filter of theirs: ignored, not obeyed.
    assert shown(client, url, state="MY-03")[1] == {"Petalingword", "Gombakword"}


@pytest.mark.parametrize("name", LISTS)
def test_a_district_officer_has_no_state_or_office_filter(client, officer, everywhere, name):
    url, _export = LISTS[name]
    client.force_login(officer)
    response, words = shown(client, url, office="PKMD-1001")
    assert words <= {"Petalingword"}
    assert 'name="office"' not in response.text and 'name="state"' not in response.text


def csv_of(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("name", LISTS)
def test_a_download_is_the_list_as_filtered_and_says_so(client, hq, everywhere, name):
    _url, export = LISTS[name]
    client.force_login(hq)
    response = client.get(export, {"state": "MY-10", "office": "PKMD Gombak"})
    text = "\n".join(",".join(row) for row in csv_of(response))
    assert "Gombakword" in text
    assert "Petalingword" not in text and "Kelantanword" not in text
    assert response["Content-Disposition"] == (f'attachment; filename="{name}-MY-10-PKMD-1001.csv"')
    workbook = client.get(export.replace(".csv", ".xlsx"), {"office": "PKMD-1001"})
    assert workbook["Content-Disposition"] == f'attachment; filename="{name}-PKMD-1001.xlsx"'
    sheets = load_workbook(io.BytesIO(workbook.getvalue()), read_only=True).worksheets
    notes = [row[0] for row in sheets[1].iter_rows(values_only=True)]
    assert notes[0] == "Office: PKMD Gombak"
    assert notes[-1].startswith("Exported by hafiz on ")


def test_a_download_with_a_wrong_filter_holds_no_rows(client, state_officer, everywhere):
    client.force_login(state_officer)
    rows = csv_of(client.get("/homehelp/cases/export.csv", {"office": "PKMD-0302"}))
    assert len(rows) == 1  # the header only


def test_the_file_name_keeps_to_safe_characters_and_leaves_the_search_out(
    client, officer, everywhere
):
    client.force_login(officer)
    response = client.get(
        "/homehelp/cases/export.csv", {"q": "Klien Petalingword", "status": "active"}
    )
    assert response["Content-Disposition"] == 'attachment; filename="cases-active.csv"'
    assert "Petalingword" in "".join(",".join(row) for row in csv_of(response))


def test_the_filters_fold_and_count_what_is_chosen(client, hq, everywhere):
    client.force_login(hq)
    text = client.get("/homehelp/cases/", {"state": "MY-10", "status": "active"}).text
    summary = re.search(r"<summary.*?</summary>", text, re.S)[0]
    assert "Filters" in summary and "2 chosen" in summary
    assert re.search(r"<details[^>]*data-fold-on-phone", text)


@pytest.mark.parametrize("name", LISTS)
def test_filtered_lists_run_the_same_queries_as_unfiltered_ones(
    client, hq, everywhere, name, django_assert_max_num_queries
):
    """The state and office cost one query each to find, whatever the rows."""
    url, _export = LISTS[name]
    client.force_login(hq)
    client.get(url)
    with django_assert_max_num_queries(14):
        client.get(url, {"state": "MY-10", "office": "PKMD-1001"})


def test_the_lists_search_boxes_find_a_district_and_an_organisation_by_name(
    client, hq, state_officer, office, everywhere
):
    from welfare.models import District

    petaling = District.objects.get(name="Petaling")
    ProjectFactory(office=office, name="Projek Daerah Petalingword", district=petaling)
    client.force_login(hq)
    found = client.get("/projects/", {"district": "petaling"}).context["page_obj"]
    assert [p.name for p in found] == ["Projek Daerah Petalingword"]
    found = client.get("/homehelp/volunteers/", {"organization": "Persatuan Gombakword"})
    assert [v.person.name for v in found.context["page_obj"]] == ["Sukarelawan Gombakword"]
    # A state officer's district box knows only their state's districts.
    client.force_login(state_officer)
    response = client.get("/projects/", {"district": "Kota Bharu"})
    assert list(response.context["page_obj"]) == []
    assert "district" in response.context["filter"].errors
