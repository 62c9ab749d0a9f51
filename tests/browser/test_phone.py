from datetime import date

import pytest
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import ParticipationFactory, ProjectFactory, VisitFactory

PAGES = [
    "/", "/projects/", "/projects/new/", "/projects/{project}/", "/projects/{project}/participants/add/",
    "/homehelp/", "/homehelp/cases/", "/homehelp/cases/{case}/", "/homehelp/visits/",
    "/reports/projects-by-state/", "/reports/home-help/", "/stats/",
]  # fmt: skip


FITS = "document.documentElement.scrollWidth <= window.innerWidth"


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


@pytest.mark.parametrize("language", ["en", "ms"])
def test_volunteer_pages_fit_a_phone_screen(
    phone, context, volunteer_user, live_server, screenshot, language
):
    from homehelp.models import Service
    from tests.factories import CaseFactory, PersonFactory

    me = volunteer_user.volunteer
    long_address = "Lot 1234, Jalan Kampung Baru Sungai Buloh Dalam, Batu 18, Jalan Kuala Selangor"
    client = PersonFactory(name="Siti Khadijah binti Abdul Rahman", address=long_address, phone="012-345 6789")  # fmt: skip
    case = CaseFactory(office=me.office, volunteer=me, client=client, opened_on=date(2024, 1, 1))
    case.needs.set(Service.objects.all())
    VisitFactory(case=case, volunteer=me, visited_on=date.today(), concern=True, notes="Lutut bengkak")  # fmt: skip
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    token = me.invite()
    phone.goto(
        f"{live_server.url}/homehelp/join/{urlsafe_base64_encode(force_bytes(me.user_id))}/{token}/"
    )
    screenshot(f"volunteer-join-{language}")
    too_wide = [] if phone.evaluate(FITS) else ["join"]
    phone.fill("#id_new_password1", "kampung-baru-2026")
    phone.fill("#id_new_password2", "kampung-baru-2026")
    phone.locator("button[type=submit]").last.click()
    phone.wait_for_url("**/homehelp/my/")
    for name, path in [("my", "/homehelp/my/"), ("case", f"/homehelp/my/cases/{case.pk}/")]:
        phone.goto(live_server.url + path)
        screenshot(f"volunteer-{name}-{language}")
        if not phone.evaluate(FITS):
            too_wide.append(path)
    assert too_wide == []
