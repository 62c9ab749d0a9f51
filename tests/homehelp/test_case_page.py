"""The case page: the case, and its visits newest first, a page at a time."""

from datetime import date, timedelta

from tests.factories import CaseFactory, VisitFactory, VolunteerFactory

TODAY = date.today()


def visited_case(office, visits):
    volunteer = VolunteerFactory(office=office)
    case = CaseFactory(office=office, volunteer=volunteer, opened_on=TODAY - timedelta(days=400))
    for days_ago in range(visits):
        VisitFactory(
            case=case,
            volunteer=volunteer,
            visited_on=TODAY - timedelta(days=days_ago),
            notes=f"visit {days_ago} days ago",
        )
    return case


def test_the_case_page_shows_the_newest_visits_and_pages_to_the_others(signed_in, office):
    case = visited_case(office, 30)
    first = signed_in.get(case.get_absolute_url()).text
    assert "visit 0 days ago" in first and "visit 24 days ago" in first
    assert "visit 25 days ago" not in first
    assert first.index("visit 0 days ago") < first.index("visit 24 days ago")
    assert "Page 1 of 2" in first
    assert 'href="?page=2#visits"' in first
    assert '<span class="badge text-bg-secondary">30</span>' in first
    second = signed_in.get(case.get_absolute_url(), {"page": 2}).text
    assert "visit 25 days ago" in second and "visit 29 days ago" in second
    assert "visit 24 days ago" not in second
    # The case itself and the visit form stay on every page of visits.
    assert "Record a visit" in second


def test_a_case_with_few_visits_has_no_pager(signed_in, office):
    case = visited_case(office, 3)
    page = signed_in.get(case.get_absolute_url()).text
    assert "visit 2 days ago" in page
    assert "Page 1 of" not in page
    empty = signed_in.get(visited_case(office, 0).get_absolute_url()).text
    assert "No visits yet." in empty
