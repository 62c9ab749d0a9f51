from playwright.sync_api import expect


def test_officer_signs_in_and_lands_on_the_worklist(sign_in, officer, live_server, screenshot):
    page = sign_in(officer)
    expect(page).to_have_url(f"{live_server.url}/homehelp/")
    expect(page.locator("h1")).to_contain_text("rahim")
    screenshot("home-en")


def test_hq_home_links_programmes_and_reports(sign_in, hq):
    page = sign_in(hq)
    expect(page.locator("main")).to_contain_text("HQ")
    page.get_by_role("link", name="Reports").last.click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()


def test_switching_to_bm_changes_text_and_survives_signing_in_again(sign_in, officer, screenshot):
    page = sign_in(officer)
    page.get_by_role("button", name="BM").click()
    expect(page.locator("html")).to_have_attribute("lang", "ms")
    expect(page.get_by_role("link", name="Laman utama")).to_be_visible()
    screenshot("home-ms")
    page.get_by_role("button", name=officer.username).click()
    page.get_by_role("button", name="Log keluar").click()
    page.context.clear_cookies()
    page = sign_in(officer)
    expect(page.locator("html")).to_have_attribute("lang", "ms")


def test_visitor_is_sent_to_sign_in(page, live_server, db):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_home_fits_a_phone_screen(sign_in, officer, page):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(officer)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
