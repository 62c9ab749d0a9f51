"""A published edition from end to end: an office confirms its month, HQ
publishes the table, a visitor with no sign-in downloads its CSV from /stats/;
a record entered later for that month is flagged and makes cells differ; HQ
publishes a revision with its reason, and the first version stays readable at
its address."""

import csv
import io
from datetime import date

from django.core.management import call_command
from playwright.sync_api import expect

from reports.models import Edition
from tests.browser.conftest import SCREENSHOTS
from tests.factories import ParticipationFactory, ProjectFactory


def signed_in(browser, live_server, user):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def downloaded_rows(page, link):
    with page.expect_download() as download:
        link.click()
    text = open(download.value.path(), encoding="utf-8").read()
    return {row["state_code"]: row for row in csv.DictReader(io.StringIO(text))}


def test_hq_publishes_a_visitor_downloads_it_and_a_revision_keeps_the_first(
    browser, page, live_server, hq, officer, office, far_office, screenshot
):
    petaling = ProjectFactory(office=office, start_date=date(2012, 3, 1))
    ParticipationFactory.create_batch(5, project=petaling, joined_on=date(2012, 4, 1))
    kota_bharu = ProjectFactory(office=far_office, start_date=date(2012, 5, 1))
    ParticipationFactory.create_batch(6, project=kota_bharu, joined_on=date(2012, 6, 1))
    call_command("refresh_reports", stdout=io.StringIO())

    # Petaling's officer says October 2012 is complete.
    officer_page = signed_in(browser, live_server, officer)
    officer_page.get_by_role("link", name="Reports").first.click()
    officer_page.get_by_role("link", name="Records complete, month by month").click()
    officer_page.fill("#id_month", "2012-10")
    officer_page.get_by_role("button", name="Show").click()
    officer_page.get_by_role("button", name="Our records for October 2012 are complete").click()
    expect(officer_page.get_by_text("Confirmed: the records of PKMD Petaling")).to_be_visible()

    # HQ publishes the table as at 31 October 2012.
    hq_page = signed_in(browser, live_server, hq)
    hq_page.get_by_role("link", name="Reports").first.click()
    hq_page.get_by_role("link", name="Projects and participants by state").click()
    hq_page.fill("#id_as_of", "2012-10-31")
    hq_page.get_by_role("button", name="Show").click()
    hq_page.fill("#id_note", "As answered in Parliament.")
    hq_page.get_by_role("button", name="Publish", exact=True).click()
    expect(hq_page.get_by_text("Published. The public page shows it now.")).to_be_visible()
    expect(hq_page.get_by_text("No cell differs from today's data.")).to_be_visible()
    expect(hq_page.locator(".edition-status")).to_contain_text("1 of 160 offices confirmed")
    first = Edition.objects.get()

    # A visitor, signed in nowhere, reads it on /stats/ and downloads its CSV.
    page.goto(f"{live_server.url}/stats/")
    headline = page.locator(".headline-edition").first
    expect(headline).to_contain_text("Until 31 October 2012")
    expect(headline).to_contain_text("As answered in Parliament.")
    rows = downloaded_rows(page, headline.get_by_role("link", name="CSV"))
    assert (rows["MY-10"]["projects"], rows["MY-10"]["participants"]) == ("1", "5")
    assert (rows["TOTAL"]["projects"], rows["TOTAL"]["participants"]) == ("2", "11")
    screenshot("stats-first-edition")

    # Petaling's officer enters a project that started in October 2012, later.
    officer_page.get_by_role("link", name="New project").first.click()  # the quick links
    officer_page.fill("#id_name", "Kelas jahitan lewat")
    officer_page.select_option("#id_project_type", "economic")
    officer_page.select_option("#id_status", "completed")
    officer_page.fill("#id_start_date", "2012-10-15")
    officer_page.fill("#id_end_date", "2013-03-01")
    officer_page.get_by_role("button", name="Save").click()
    expect(officer_page.locator("h1")).to_have_text("Kelas jahitan lewat")
    call_command("refresh_reports", stdout=io.StringIO())

    # HQ sees it flagged on the completeness of October 2012 ...
    hq_page.goto(f"{live_server.url}/reports/completeness/?month=2012-10")
    expect(hq_page.get_by_text("1 record entered after confirmation")).to_be_visible()
    hq_page.locator("details.late-records summary").click()
    expect(hq_page.locator("details.late-records")).to_contain_text("Kelas jahitan lewat")
    # ... and on the edition, the cells that differ; HQ publishes a revision.
    hq_page.goto(f"{live_server.url}/reports/editions/{first.pk}/")
    expect(hq_page.locator(".cells-differ")).to_have_text("2 cells differ from today's data.")
    expect(hq_page.locator("table.differences")).to_contain_text("Selangor")
    hq_page.get_by_label("Reason for the revision").fill(
        "A project of PKMD Petaling entered after publication."
    )
    hq_page.get_by_role("button", name="Publish version 2").click()
    expect(
        hq_page.get_by_text("Version 2 published. Version 1 stays at its address.")
    ).to_be_visible()
    second = Edition.objects.get(version=2)

    # The public page shows version 2 and its reason to the next visitor (the
    # first one's browser may keep the page it read for a minute, as told);
    # version 1 stays readable.
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/stats/")
    headline = page.locator(".headline-edition").first
    expect(headline).to_contain_text("Version 2")
    expect(headline).to_contain_text("A project of PKMD Petaling entered after publication.")
    rows = downloaded_rows(page, headline.get_by_role("link", name="CSV"))
    assert rows["TOTAL"]["projects"] == "3"
    page.goto(f"{live_server.url}/stats/editions/{first.pk}/")
    expect(page.locator(".superseded")).to_contain_text("version 2")
    expect(page.locator("tfoot")).to_contain_text("2")
    rows = downloaded_rows(page, page.get_by_role("link", name="Download CSV"))
    assert (rows["TOTAL"]["projects"], rows["TOTAL"]["participants"]) == ("2", "11")
    page.get_by_role("link", name="Read the latest version").click()
    expect(page).to_have_url(f"{live_server.url}/stats/editions/{second.pk}/?lang=en")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "edition-revised.png", full_page=True)
