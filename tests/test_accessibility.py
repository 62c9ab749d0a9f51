"""Accessibility basics on every main page: one h1, a lang attribute, a label for
every form field, alt text on images, charts that carry their numbers as text,
and tables that name each cell's column when a phone shows rows as cards."""

from datetime import date
from html.parser import HTMLParser

import pytest

from tests.factories import ParticipationFactory, ProjectFactory, VisitFactory

PAGES = [
    "/", "/about/", "/stats/", "/accounts/login/", "/accounts/password_change/",
    "/projects/", "/projects/new/", "/projects/{project}/", "/projects/{project}/edit/",
    "/projects/{project}/participants/add/", "/projects/{project}/activities/add/",
    "/homehelp/", "/homehelp/cases/", "/homehelp/cases/new/", "/homehelp/cases/{case}/",
    "/homehelp/cases/{case}/edit/", "/homehelp/visits/{visit}/edit/",
    "/homehelp/volunteers/{volunteer}/edit/", "/homehelp/cases/{case}/close/", "/homehelp/volunteers/", "/homehelp/volunteers/new/",
    "/homehelp/visits/", "/homehelp/organisations/", "/homehelp/organisations/new/",
    "/reports/", "/reports/projects-by-state/", "/reports/home-help/",
    "/reports/completeness/", "/reports/editions/",
]  # fmt: skip


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.lang = None
        self.fields = []  # (id, has aria-label)
        self.labels = set()
        self.images_without_alt = 0
        self.svgs = self.svg_titles = 0
        self.search_boxes = []  # (id, the list it names)
        self.datalists = set()
        # Tables shown as cards on a phone (.table-cards): each cell's data-label
        # (the card's caption of it) against its column's heading.
        self.cards = self.in_th = False
        self.headings, self.cell_labels, self.cell = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if attrs.get("type") not in ("hidden", "submit", "button"):
                self.fields.append((attrs.get("id"), "aria-label" in attrs, attrs.get("name")))
            if attrs.get("list"):
                self.search_boxes.append((attrs.get("id"), attrs["list"], attrs))
        elif tag == "datalist":
            self.datalists.add(attrs.get("id"))
        elif tag == "img" and not attrs.get("alt"):
            self.images_without_alt += 1
        elif tag == "svg":
            self.svgs += 1
        elif tag == "title" and self.svgs:
            self.svg_titles += 1
        elif tag == "table":
            self.cards = "table-cards" in attrs.get("class", "")
            self.headings = []
        elif tag == "th" and self.cards:
            self.in_th = True
            self.headings.append("")
        elif tag == "tr":
            self.cell = 0
        elif tag == "td" and self.cards:
            if "data-label" in attrs and "colspan" not in attrs:
                heading = self.headings[self.cell] if self.cell < len(self.headings) else None
                self.cell_labels.append((attrs["data-label"], heading))
            self.cell += 1

    def handle_endtag(self, tag):
        if tag == "th":
            self.in_th = False

    def handle_data(self, data):
        if self.in_th:
            self.headings[-1] += data.strip()


@pytest.mark.parametrize("cast", ["officer", "state_officer", "hq"])
def test_main_pages_meet_the_basics(client, db, request, cast):
    user = request.getfixturevalue(cast)
    office = request.getfixturevalue("office")
    project = ProjectFactory(office=office, start_date=date(2012, 1, 1))
    ParticipationFactory(project=project, joined_on=date(2012, 2, 1))
    visit = VisitFactory(case__office=office, visited_on=date.today())
    case = visit.case
    client.force_login(user)
    checked = boxes = captioned = 0
    for path in PAGES:
        url = path.format(project=project.pk, case=case.pk, visit=visit.pk,
                          volunteer=visit.volunteer_id)  # fmt: skip
        response = client.get(url, follow=True)
        if response.status_code == 403:  # read-only roles have no forms
            continue
        assert response.status_code == 200, path
        page = Page()
        page.feed(response.content.decode())
        assert page.lang in ("en", "ms"), path
        assert page.h1 == 1, f"{path} has {page.h1} h1"
        unlabelled = [
            name for id_, aria, name in page.fields if not aria and id_ not in page.labels
        ]
        assert unlabelled == [], f"{path}: fields without a label: {unlabelled}"
        assert page.images_without_alt == 0, path
        assert page.svg_titles >= page.svgs, f"{path}: a chart without a title"
        wrong = [(label, heading) for label, heading in page.cell_labels if label != heading]
        assert wrong == [], f"{path}: cells captioned other than their column: {wrong}"
        captioned += len(page.cell_labels)
        # A search box (welfare.forms.SearchInput) is labelled like any field
        # above, names a list of suggestions that is on the page, says where its
        # suggestions come from, and keeps the browser's own autofill out of them.
        for id_, list_id, attrs in page.search_boxes:
            assert list_id in page.datalists, f"{path}: #{id_} names no datalist"
            assert attrs.get("data-suggest", "").startswith("/"), f"{path}: #{id_}"
            assert attrs.get("autocomplete") == "off", f"{path}: #{id_}"
            assert attrs.get("data-suggest-count"), f"{path}: #{id_} says nothing to readers"
        boxes += len(page.search_boxes)
        checked += 1
    assert checked >= 15
    assert captioned >= 20  # the rows of the lists and the worklist
    assert boxes >= (12 if cast == "officer" else 6)  # the lists' filters, the forms
