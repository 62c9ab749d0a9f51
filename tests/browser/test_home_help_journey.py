from datetime import date, timedelta

from playwright.sync_api import expect

from tests.factories import VolunteerFactory


def test_officer_opens_a_case_records_a_visit_with_a_concern_and_resolves_it(
    sign_in, officer, live_server, screenshot, menu
):
    volunteer = VolunteerFactory(office=officer.office, person__name="Lim Mei Ling")
    VolunteerFactory(office=officer.office, person__name="Untrained Umar", trained_on=None)
    page = sign_in(officer)
    menu("Home help", "Cases")
    page.locator("main").get_by_role("link", name="Open a case").click()
    page.fill("#id_mykad", "480315-10-5557")
    page.fill("#id_name", "Tan Ah Kow")
    page.fill("#id_constituency", "P.104 Subang")
    page.select_option("#id_living_arrangement", "alone")
    # The volunteer box suggests the office's trained volunteers as they are typed.
    page.locator("#id_volunteer").press_sequentially("Lim", delay=30)
    suggested = page.locator("#id_volunteer-suggestions option")
    expect(suggested).to_have_count(1)
    page.fill("#id_volunteer", suggested.first.get_attribute("value"))
    page.locator("#id_volunteer").press_sequentially("", delay=0)
    expect(
        page.locator("#id_volunteer-suggestions option", has_text="Untrained Umar")
    ).to_have_count(0)
    page.select_option("#id_status", "active")
    page.fill("#id_opened_on", (date.today() - timedelta(days=20)).isoformat())
    page.locator("button[type=submit]", has_text="Save").click()
    expect(page.locator("h1")).to_contain_text("Tan Ah Kow")

    form = page.locator("#record-visit")
    form.locator("#id_visited_on").fill(date.today().isoformat())
    form.locator("#id_minutes").fill("90")
    form.get_by_label("Personal care").check()
    form.get_by_label("Companionship").check()
    form.locator("#id_concern").check()
    form.locator("#id_notes").fill("Fell in the kitchen last week; knee swollen.")
    form.get_by_role("button", name="Record visit").click()
    expect(page.locator("main")).to_contain_text("Fell in the kitchen")
    screenshot("case-detail")

    menu("Home help", "Worklist")
    concerns = page.locator("#concern-count")
    expect(concerns).to_contain_text("1")
    expect(page.locator("main")).to_contain_text("Tan Ah Kow")
    screenshot("worklist")
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.locator(".alert")).to_be_visible()
    menu("Home help", "Worklist")
    expect(page.locator("#concern-count")).to_contain_text("0")
    assert volunteer.visits.get().concern_resolved_on == date.today()
