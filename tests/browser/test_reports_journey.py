import csv
import io
from datetime import date

from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.factories import (
    CaseFactory,
    ParticipationFactory,
    ProjectFactory,
    VisitFactory,
)


def test_hq_filters_the_projects_report_and_reads_back_the_downloads(
    sign_in, hq, office, far_office
):
    economic = ProjectFactory(office=office, project_type="economic", start_date=date(2012, 5, 1))
    ParticipationFactory.create_batch(3, project=economic, joined_on=date(2012, 6, 1))
    skills = ProjectFactory(
        office=far_office, project_type="skills_training", start_date=date(2012, 5, 1)
    )
    ParticipationFactory.create_batch(2, project=skills, joined_on=date(2012, 6, 1))
    ProjectFactory(office=far_office, project_type="economic", start_date=date(2013, 1, 1))
    call_command("refresh_reports", stdout=io.StringIO())

    page = sign_in(hq)
    page.get_by_role("link", name="Reports").first.click()
    page.get_by_role("link", name="Projects and participants by state").click()
    page.fill("#id_as_of", "2012-10-31")
    page.select_option("#id_type", "economic")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Until 31 October 2012")).to_be_visible()
    expect(page.locator("tfoot")).to_contain_text("1")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert rows[-1] == {
        "state_code": "TOTAL",
        "state": "TOTAL",
        "projects": "1",
        "participants": "3",
        "persons": "3",
    }

    with page.expect_download() as download:
        page.get_by_role("link", name="Excel").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert list(sheet.iter_rows(values_only=True))[-1] == ("TOTAL", "TOTAL", 1, 3, 3)


def test_visitor_sees_public_statistics_and_is_sent_to_sign_in_for_the_rest(page, live_server, db):
    page.goto(f"{live_server.url}/stats/")
    expect(page.get_by_role("heading", name="Programme statistics")).to_be_visible()
    expect(page.get_by_text("No table has been published yet.")).to_be_visible()
    page.goto(f"{live_server.url}/reports/projects-by-state/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_server.url}/projects/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_state_officer_reads_every_office_of_the_state_but_not_another_state(
    sign_in, state_officer, office, neighbour_office, far_office, live_server
):
    own = ProjectFactory(office=office, name="Kelas jahitan Petaling")
    neighbour = ProjectFactory(office=neighbour_office, name="Kebun komuniti Gombak")
    far = ProjectFactory(office=far_office, name="Kelas mengaji Kota Bharu")
    page = sign_in(state_officer)
    page.goto(f"{live_server.url}/projects/")
    expect(page.locator("main")).to_contain_text(own.name)
    expect(page.locator("main")).to_contain_text(neighbour.name)
    expect(page.locator("main")).not_to_contain_text(far.name)
    page.get_by_role("link", name=neighbour.name).click()
    expect(page.get_by_role("link", name="Edit project")).to_have_count(0)
    page.goto(f"{live_server.url}{far.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(far.name)


def test_hq_drills_from_the_national_table_to_an_office_month_by_month(
    sign_in, hq, far_office, screenshot
):
    """National table, Kelantan's offices, Kota Bharu's months, its CSV read back."""
    today = date.today()
    project = ProjectFactory(office=far_office, start_date=today.replace(day=1))
    ParticipationFactory.create_batch(4, project=project, joined_on=today.replace(day=1))
    case = CaseFactory(office=far_office, opened_on=date(today.year - 1, 1, 1))
    for minutes in (30, 45):
        VisitFactory(case=case, visited_on=today.replace(day=1), minutes=minutes)
    call_command("refresh_reports", stdout=io.StringIO())

    page = sign_in(hq)
    page.get_by_role("link", name="Reports").first.click()
    page.get_by_role("link", name="Projects and participants by state").click()
    page.get_by_role("link", name="Kelantan").click()
    expect(page.get_by_role("heading", name="Projects and participants by office")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="PKMD Kota Bharu")
    expect(row).to_contain_text("4")
    expect(page.locator("tfoot")).to_contain_text("4")
    screenshot("reports-offices-of-kelantan")
    row.get_by_role("link", name="Month by month").click()
    expect(page.get_by_role("heading", name="Month by month: PKMD Kota Bharu")).to_be_visible()
    expect(page.locator("svg.line-chart")).to_have_count(3)
    screenshot("reports-office-month-by-month")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert "PKMD-0302" in download.value.suggested_filename
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert len(rows) == 12
    assert rows[-1] == {
        "month": f"{today:%Y-%m}",
        "projects_started": "1",
        "participants_joined": "4",
        "visits": "2",
        "minutes": "75",
        "clients_visited": "1",
        "volunteers_active": "2",
    }
