"""An officer's day through the menu only, the header's search, and the person
page; every page of the journeys fits a 360 px phone in Bahasa Melayu."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import (
    CaseFactory,
    OrganizationFactory,
    ParticipationFactory,
    PersonFactory,
    ProjectFactory,
    VisitFactory,
    VolunteerFactory,
)

# (section, entry) -> the page it opens, and its heading.
BY_MENU = [
    ("Home help", "Worklist", "/homehelp/", "Welcome"),
    ("Home help", "Cases", "/homehelp/cases/", "Home help cases"),
    ("Home help", "Visits", "/homehelp/visits/", "Visits"),
    ("Home help", "Volunteers", "/homehelp/volunteers/", "Volunteers"),
    ("Home help", "Organisations", "/homehelp/organisations/", "Voluntary welfare organisations"),
    ("Home help", "Open a case", "/homehelp/cases/new/", "Open a case"),
    ("Home help", "Add volunteer", "/homehelp/volunteers/new/", "Add volunteer"),
    ("Home help", "Add organisation", "/homehelp/organisations/new/", "Add organisation"),
    ("Programmes", "Projects", "/projects/", "Community Organization Programme projects"),
    ("Programmes", "New project", "/projects/new/", "New project"),
]


def test_from_the_officers_home_every_list_and_create_page_is_one_menu_away(
    sign_in, officer, live_server, menu
):
    page = sign_in(officer)
    home = page.url
    for section, entry, path, heading in BY_MENU:
        page.goto(home)
        menu(section, entry)
        expect(page).to_have_url(live_server.url + path)
        expect(page.locator("h1")).to_contain_text(heading)
        # The section is marked as the current one.
        expect(page.locator("nav.navbar .dropdown-toggle.active")).to_have_text(section)
    for action, path in [("Open a case", "/homehelp/cases/new/"), ("New project", "/projects/new/")]:  # fmt: skip
        page.goto(home)
        page.locator(".actions-bar").get_by_role("link", name=action).click()
        expect(page).to_have_url(live_server.url + path)
    page.locator(".actions-bar").get_by_role("link", name="Record a visit").click()
    expect(page.locator("h1")).to_have_text("Home help cases")
    page.get_by_role("link", name="Reports").first.click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()


def test_the_header_search_finds_a_person_and_the_person_page_shows_their_records(
    sign_in, officer, live_server
):
    ramlah = PersonFactory(office=officer.office, name="Hajah Ramlah binti Yusof")
    PersonFactory(office=officer.office, name="Ramlah binti Ahmad")
    project = ProjectFactory(office=officer.office, name="Kelas Jahitan Petaling")
    ParticipationFactory(project=project, person=ramlah)
    case = CaseFactory(office=officer.office, client=ramlah)
    page = sign_in(officer)
    for words in ["ramlah yusof", "yusof ramlah"]:
        page.fill("#header-search", words)
        page.press("#header-search", "Enter")
        results = page.locator("#search-results")
        expect(results).to_contain_text("Hajah Ramlah binti Yusof")
        expect(results).not_to_contain_text("Ramlah binti Ahmad")
    page.get_by_role("link", name="Hajah Ramlah binti Yusof").click()
    expect(page.locator("h1")).to_have_text("Hajah Ramlah binti Yusof")
    main = page.locator("main")
    expect(main.get_by_role("link", name="Kelas Jahitan Petaling")).to_be_visible()
    expect(main.locator(f'a[href="{case.get_absolute_url()}"]')).to_be_visible()


@pytest.fixture
def journeys(officer):
    office = officer.office
    volunteer = VolunteerFactory(office=office, person__name="Siti Nurhaliza binti Tarudin")
    organization = OrganizationFactory(office=office, name="Persatuan Kebajikan Warga Emas Petaling Jaya")  # fmt: skip
    person = PersonFactory(office=office, name="Hajah Ramlah binti Yusof")
    project = ProjectFactory(office=office, name="Kelas jahitan dan kraftangan wanita Petaling")
    participation = ParticipationFactory(project=project, person=person)
    ParticipationFactory.create_batch(3, project=project)
    case = CaseFactory(office=office, client=person, volunteer=volunteer, opened_on=date.today() - timedelta(days=400))  # fmt: skip
    overdue = CaseFactory(office=office, volunteer=volunteer, status="active", opened_on=date.today() - timedelta(days=200))  # fmt: skip
    visit = VisitFactory(case=case, volunteer=volunteer, visited_on=date.today(), concern=True, notes="Lutut bengkak")  # fmt: skip
    CaseFactory.create_batch(55, office=office, opened_on=date(2026, 1, 1))  # three pages
    return [
        "/homehelp/", "/homehelp/cases/", "/homehelp/cases/?page=2", f"/homehelp/cases/{case.pk}/",
        f"/homehelp/cases/{overdue.pk}/", "/homehelp/cases/new/", "/homehelp/cases/import/",
        f"/homehelp/cases/{case.pk}/close/", "/homehelp/visits/", f"/homehelp/visits/{visit.pk}/edit/",
        f"/homehelp/visits/{visit.pk}/delete/", "/homehelp/volunteers/", f"/homehelp/volunteers/{volunteer.pk}/",
        "/homehelp/volunteers/new/", "/homehelp/organisations/", f"/homehelp/organisations/{organization.pk}/",
        "/homehelp/organisations/new/", "/projects/", "/projects/new/", f"/projects/{project.pk}/",
        f"/projects/{project.pk}/participants/add/", f"/projects/{project.pk}/participants/import/",
        f"/projects/{project.pk}/activities/add/", f"/projects/participants/{participation.pk}/edit/",
        f"/people/{person.pk}/", "/search/?q=ramlah", "/reports/",
    ]  # fmt: skip


def test_no_page_of_the_journeys_scrolls_sideways_at_360_px_in_bm(
    page, context, sign_in, officer, live_server, journeys, screenshot
):
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in(officer)
    context.add_cookies([{"name": "django_language", "value": "ms", "url": live_server.url}])
    too_wide = {}
    for path in journeys:
        page.goto(live_server.url + path)
        expect(page.locator("html")).to_have_attribute("lang", "ms")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.evaluate("window.innerWidth"):
            too_wide[path] = width
            screenshot("360-ms" + path.replace("/", "-").replace("?", "-"))
    assert too_wide == {}


def test_the_columns_that_matter_are_on_a_390_px_screen(
    page, sign_in, officer, live_server, journeys
):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(officer)

    def on_screen(locator):
        box = locator.first.bounding_box()
        return box is not None and box["width"] > 0 and box["x"] + box["width"] <= 390

    page.goto(f"{live_server.url}/homehelp/")
    assert on_screen(page.locator("td[data-label='Days overdue']"))
    page.goto(f"{live_server.url}/homehelp/cases/")
    assert on_screen(page.locator("td[data-label='Days overdue']"))
    page.goto(live_server.url + journeys[3])  # the case with an open concern
    assert on_screen(page.get_by_text("open concern"))
    assert on_screen(page.get_by_role("button", name="Mark resolved"))
    page.goto(f"{live_server.url}/projects/")
    for column in ["Status", "Start", "Participants"]:
        assert on_screen(page.locator(f"td[data-label='{column}']"))
    # The pager, in Bahasa Melayu (its longest words), on one row.
    page.context.add_cookies([{"name": "django_language", "value": "ms", "url": live_server.url}])
    page.goto(f"{live_server.url}/homehelp/cases/?page=2")
    items = page.locator(".pagination .page-item:visible")
    assert items.count() == 3  # previous, "Halaman 2 daripada 3", next
    assert "Halaman 2 daripada 3" in page.locator(".pagination").inner_text()
    tops = {round(items.nth(i).bounding_box()["y"]) for i in range(items.count())}
    assert len(tops) == 1 and on_screen(items.last)


def test_the_import_page_says_how_many_rows_it_is_checking(page, sign_in, officer, live_server, tmp_path):  # fmt: skip
    from tests.imports.conftest import PARTICIPANT_HEADINGS, participant_rows

    project = ProjectFactory(office=officer.office)
    csv_path = tmp_path / "peserta.csv"
    lines = [PARTICIPANT_HEADINGS, *participant_rows(3000)]
    csv_path.write_text("\n".join(",".join(line) for line in lines) + "\n", encoding="utf-8")
    sign_in(officer)
    page.goto(f"{live_server.url}/projects/{project.pk}/participants/import/")
    # The page as it stays while a slow server checks the file: the form is not
    # sent, the page's own script still runs.
    page.evaluate("document.querySelector('form[data-import-check]').addEventListener('submit', e => e.preventDefault())")  # fmt: skip
    page.set_input_files("#id_file", str(csv_path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("[data-import-progress]")).to_contain_text("Checking 3,000 rows…")
    expect(page.get_by_role("button", name="Check the file")).to_be_disabled()
