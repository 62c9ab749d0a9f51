from playwright.sync_api import expect

from tests.factories import PersonFactory


def test_officer_runs_a_project_from_creation_to_counts(
    sign_in, officer, far_office, live_server, screenshot, menu
):
    known = PersonFactory(office=far_office, name="Chong Wei Ming", mykad="520314031234")
    page = sign_in(officer)
    menu("Programmes", "Projects")
    page.get_by_role("link", name="New project").first.click()
    page.fill("#id_name", "Kebun komuniti Taman Medan")
    page.select_option("#id_project_type", "economic")
    page.select_option("#id_status", "active")
    page.fill("#id_start_date", "2026-03-01")
    page.fill("#id_budget", "1500")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Kebun komuniti Taman Medan")

    def add_participant(mykad, name="", born="", group="community"):
        page.get_by_role("link", name="Add participant").click()
        page.fill("#id_mykad", mykad)
        if name:
            page.fill("#id_name", name)
        if born:
            page.fill("#id_date_of_birth", born)
        page.select_option("#id_target_group", group)
        page.fill("#id_joined_on", "2026-03-02")
        page.get_by_role("button", name="Add participant", exact=True).click()

    add_participant("650812-10-5678", name="Siti Aminah", group="client")
    add_participant(known.mykad)  # already recorded by another office: reused
    add_participant("", name="Aina binti Ali", born="2015-06-01")
    add_participant("651312-10-5678", name="Wrong Date")
    expect(page.locator(".invalid-feedback, .text-danger").first).to_contain_text(
        "651312 is not a possible date"
    )
    screenshot("participant-invalid-mykad")
    page.go_back()
    page.go_back()

    page.goto(f"{live_server.url}/projects/")
    page.get_by_role("link", name="Kebun komuniti Taman Medan").click()
    page.get_by_role("link", name="Record activity").click()
    page.fill("#id_date", "2026-03-08")
    page.fill("#id_summary", "Planting day with the families")
    page.fill("#id_attendance", "3")
    page.get_by_role("button", name="Save").click()

    main = page.locator("main")
    expect(main).to_contain_text("Siti Aminah")
    expect(main).to_contain_text("Chong Wei Ming")
    expect(main).to_contain_text("Aina binti Ali")
    expect(main).to_contain_text("Planting day with the families")
    expect(main).not_to_contain_text("520314031234")
    screenshot("project-detail")
    assert known.__class__.objects.filter(mykad=known.mykad).count() == 1
