"""The volunteer's phone page at 390×844, with the network switched off and on:
visits recorded without signal wait on the phone and are stored once each."""

from datetime import date, timedelta

import pytest
from django.db import connection
from playwright.sync_api import expect

from homehelp.models import Case, HeldVisit, Visit
from tests.factories import CaseFactory, PersonFactory, VolunteerFactory


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def client_case(volunteer, name, address, days_since_visit=None):
    case = CaseFactory(
        office=volunteer.office,
        volunteer=volunteer,
        client=PersonFactory(name=name, address=address, phone="012-300 4000"),
        opened_on=date.today() - timedelta(days=60),
    )
    return case


def kept_pages(page):
    return page.evaluate(
        """async () => {
            const cache = await caches.open("jkm-field-pages");
            return (await cache.keys()).map((request) => new URL(request.url).pathname);
        }"""
    )


def wait_until_kept(page, paths):
    """The service worker controls the page and keeps the case pages. (Polled:
    wait_for_function evaluates a string, which the Content-Security-Policy forbids.)"""
    for _ in range(100):
        controlled = page.evaluate("() => navigator.serviceWorker.controller !== null")
        if controlled and set(paths) <= set(kept_pages(page)):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"kept {kept_pages(page)}, not {paths}")


def record_visit(page, name, *, minutes, concern=""):
    page.get_by_role("link", name=name).click()
    expect(page.locator("h1")).to_have_text(name)
    form = page.locator("#visit-form")
    form.locator("#id_minutes").fill(str(minutes))
    form.get_by_label("Companionship").check()
    if concern:
        form.locator("#id_concern").check()
        form.locator("#id_notes").fill(concern)
    form.get_by_role("button", name="Save visit").click()
    expect(page.locator("h1")).to_have_text("My visits this week")


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the phone asks for its case pages at once, and the live server's threads share "
    "one connection to the in-memory SQLite database: requests in parallel break each other",
)
def test_volunteer_records_visits_with_and_without_signal(
    phone, context, browser, sign_in, volunteer_user, officer, office, live_server, screenshot
):
    me = volunteer_user.volunteer
    esah = client_case(me, "Mak Esah", "Lot 5, Kampung Jawa")
    hamid = client_case(me, "Pak Hamid", "Rumah Panjang Nanga Sumpa")
    som = client_case(me, "Mak Som", "Kampung Hulu")

    sign_in(volunteer_user)
    expect(phone.locator("h1")).to_have_text("My visits this week")
    wait_until_kept(phone, [f"/homehelp/my/cases/{case.pk}/" for case in (esah, hamid, som)])
    screenshot("field-my-visits")

    # With signal: stored at once, the concern on the officer's worklist.
    record_visit(phone, "Mak Esah", minutes=45, concern="Fell in the kitchen; knee swollen.")
    expect(phone.locator("#field-notices")).to_contain_text("Visit to Mak Esah recorded.")
    assert Visit.objects.get(case=esah).recorded_by_volunteer

    # Without signal: kept on the phone, and the page says so.
    context.set_offline(True)
    record_visit(phone, "Pak Hamid", minutes=30)
    queue = phone.locator("#field-queue")
    expect(queue).to_be_visible()
    expect(queue.locator("[data-count]")).to_have_text("1")
    expect(queue).to_contain_text("Visit to Pak Hamid on")
    # Mak Som's case goes to another volunteer while the phone is offline.
    record_visit(phone, "Mak Som", minutes=20)
    expect(queue.locator("[data-count]")).to_have_text("2")
    som.volunteer = VolunteerFactory(office=office, person__name="Other Volunteer")
    som.save()
    screenshot("field-waiting")
    assert not Visit.objects.filter(case__in=[hamid, som]).exists()
    waiting = phone.evaluate(
        """() => new Promise((ok) => {
            const open = indexedDB.open("jkm-field", 1);
            open.onsuccess = () => {
                const request = open.result.transaction("visits").objectStore("visits").getAll();
                request.onsuccess = () => ok(request.result);
            };
        })"""
    )
    waiting_by_name = {visit["caseName"]: visit for visit in waiting}
    assert set(waiting_by_name) == {"Pak Hamid", "Mak Som"}

    # Signal again: sent by itself, each once; Mak Som's is held for the office.
    context.set_offline(False)
    expect(queue).to_be_hidden(timeout=10_000)
    expect(phone.locator("#field-notices")).to_contain_text("Visit to Pak Hamid recorded.")
    expect(phone.locator("#field-notices")).to_contain_text("kept for your welfare office")
    # The list is the server's again: Mak Som's case is no longer there.
    cases = phone.locator(".field-cases a")
    expect(cases).to_have_count(2)
    expect(cases.filter(has_text="Mak Som")).to_have_count(0)
    screenshot("field-sent")
    assert Visit.objects.filter(case=hamid).count() == 1
    assert HeldVisit.objects.get().case == som and not Visit.objects.filter(case=som).exists()

    # The same queued visit sent again (a replay) is still one visit.
    phone.evaluate(
        """(visit) => new Promise((ok) => {
            const open = indexedDB.open("jkm-field", 1);
            open.onsuccess = () => {
                const transaction = open.result.transaction("visits", "readwrite");
                transaction.objectStore("visits").put(visit);
                transaction.oncomplete = ok;
            };
        })""",
        waiting_by_name["Pak Hamid"],
    )
    phone.reload()
    expect(phone.locator("#field-notices")).to_contain_text("sent twice")
    assert Visit.objects.filter(case=hamid).count() == 1
    assert HeldVisit.objects.count() == 1 and Visit.objects.count() == 2

    # The officer sees the concern at once, and the visit to confirm.
    officer_page = browser.new_context().new_page()
    officer_page.goto(f"{live_server.url}/accounts/login/")
    officer_page.get_by_label("Username").fill(officer.username)
    officer_page.get_by_label("Password").fill("password")
    officer_page.get_by_role("button", name="Sign in").click()
    main = officer_page.locator("main")
    expect(main).to_contain_text("Fell in the kitchen")
    expect(main.locator("#held-visits")).to_contain_text("Mak Som")
    assert Case.objects.get(pk=esah.pk).last_visited_on == date.today()
