"""The search boxes that replace long drop-downs, as a person uses them: type a
few letters, see the suggestions the server sends, pick one, and the record is
saved with it; in English and in Malay, by keyboard alone."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from homehelp.models import Visit
from tests.factories import CaseFactory, PersonFactory, VolunteerFactory, make_mykad


@pytest.mark.parametrize("language", ["en", "ms"])
def test_an_officer_types_a_volunteer_and_picks_one_of_two_of_the_same_name(
    sign_in, officer, live_server, language
):
    office = officer.office
    case = CaseFactory(office=office, volunteer=None)
    twins = [
        VolunteerFactory(
            office=office,
            person=PersonFactory(name="Siti Aminah", mykad=make_mykad(n, born=date(1975, 3, 3)),
                                 date_of_birth=date(1975, 3, 3)),
        )
        for n in (4411, 4422)
    ]  # fmt: skip
    VolunteerFactory(office=office, person__name="Tan Ah Kow")
    page = sign_in(officer)
    if language == "ms":
        page.locator("button[value=ms]").click()
        page.wait_for_load_state()
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    box = page.locator("#id_volunteer")
    # Labelled, and tied to its list of suggestions.
    expect(page.locator("label[for=id_volunteer]")).to_have_text(
        "Sukarelawan*" if language == "ms" else "Volunteer*"
    )
    expect(box).to_have_attribute("list", "id_volunteer-suggestions")
    box.focus()
    page.keyboard.type("siti am", delay=40)
    options = page.locator("#id_volunteer-suggestions option")
    expect(options).to_have_count(2)
    born = "lahir" if language == "ms" else "born"
    values = [option.get_attribute("value") for option in options.all()]
    assert values == [
        f"Siti Aminah ({born} 1975, MyKad …4411)",
        f"Siti Aminah ({born} 1975, MyKad …4422)",
    ]
    expect(page.locator("#id_volunteer ~ [role=status]")).to_contain_text("2")
    # Picking a suggestion puts its whole text in the box (what the browser's
    # list does on Enter); the rest of the form by keyboard too.
    box.fill(values[1])
    page.locator("#id_visited_on").fill(date.today().isoformat())
    page.locator("#id_minutes").fill("45")
    page.locator("#record-visit input[type=checkbox]").first.check()
    page.locator("#id_notes").press("Tab")
    page.locator("#record-visit button[type=submit]").press("Enter")
    expect(page.locator("#record-visit")).to_be_visible()
    visit = Visit.objects.get(case=case)
    assert visit.volunteer == twins[1]


def test_a_name_that_two_share_is_refused_with_both_to_choose_from(sign_in, officer, live_server):
    """Without picking a suggestion (or without script), the name alone of two
    volunteers is an error that lists both as they are typed."""
    office = officer.office
    case = CaseFactory(office=office, volunteer=None)
    for n in (4411, 4422):
        VolunteerFactory(office=office, person=PersonFactory(
            name="Siti Aminah", mykad=make_mykad(n), date_of_birth=date(1975, 3, 3)))  # fmt: skip
    page = sign_in(officer)
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    page.fill("#id_volunteer", "Siti Aminah")
    page.locator("#id_visited_on").fill(date.today().isoformat())
    page.locator("#id_minutes").fill("45")
    page.locator("#record-visit input[type=checkbox]").first.check()
    page.locator("#record-visit button[type=submit]").click()
    error = page.locator("#error_1_id_volunteer")
    expect(error).to_contain_text("Several match")
    expect(error).to_contain_text("Siti Aminah (born 1975, MyKad …4411)")
    expect(error).to_contain_text("Siti Aminah (born 1975, MyKad …4422)")
    assert not Visit.objects.filter(case=case).exists()


def test_hq_narrows_the_office_box_to_the_state_chosen(sign_in, hq, live_server):
    page = sign_in(hq)
    page.goto(f"{live_server.url}/homehelp/cases/")
    page.select_option("#id_state", "MY-03")
    page.locator("#id_office").focus()
    page.keyboard.type("PKMD", delay=30)
    options = page.locator("#id_office-suggestions option")
    expect(options.first).to_be_attached()
    labels = [option.get_attribute("label") for option in options.all()]
    assert labels and all(label.endswith("Kelantan") for label in labels), labels
    page.fill("#id_office", "PKMD Kota Bharu")
    page.locator("#id_office").press("Enter")
    expect(page).to_have_url(re.compile(r"\?state=MY-03&office=PKMD\+Kota\+Bharu&"))
    expect(page.locator("details.list-filters summary")).to_contain_text("2 chosen")
