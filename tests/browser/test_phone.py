from datetime import date

import pytest

from tests.factories import ParticipationFactory, ProjectFactory, VisitFactory

PAGES = [
    "/", "/projects/", "/projects/new/", "/projects/{project}/", "/projects/{project}/participants/add/",
    "/homehelp/", "/homehelp/cases/", "/homehelp/cases/{case}/", "/homehelp/visits/",
    "/reports/projects-by-state/", "/reports/home-help/", "/stats/",
]  # fmt: skip


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def test_key_pages_fit_a_phone_screen(phone, sign_in, officer, live_server, screenshot):
    project = ProjectFactory(
        office=officer.office, name="Kelas jahitan dan kraftangan wanita Petaling"
    )
    ParticipationFactory.create_batch(3, project=project)
    visit = VisitFactory(case__office=officer.office, visited_on=date.today())
    sign_in(officer)
    too_wide = []
    for path in PAGES:
        phone.goto(live_server.url + path.format(project=project.pk, case=visit.case.pk))
        if not phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            too_wide.append(path)
            screenshot("phone" + path.replace("/", "-"))
    assert too_wide == []


def test_sign_in_page_fits_a_phone_screen(phone, live_server, db):
    phone.goto(f"{live_server.url}/accounts/login/")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone.locator("input[name=username]").bounding_box()["width"] > 300
