"""Bahasa Melayu throughout: a complete, compiled catalogue; no template text outside
translation tags; every main page, the CSV exports, dates and RM amounts in BM."""

import csv
import io
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import formats, translation
from openpyxl import load_workbook

from programs.forms import ProjectForm
from programs.models import Project
from tests.factories import ParticipationFactory, ProjectFactory, VisitFactory

LOCALE = Path(settings.BASE_DIR) / "locale" / "ms" / "LC_MESSAGES"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


# --- The catalogue ------------------------------------------------------------


def test_every_message_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert catalogue.metadata["Plural-Forms"].startswith("nplurals=1;")


def test_translations_keep_their_placeholders():
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\{.*?\}\}|<[^>]+>")
    for entry in polib.pofile(str(LOCALE / "django.po")):
        translations = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        for translated in translations:
            expected = sorted(placeholder.findall(entry.msgid_plural or entry.msgid))
            assert sorted(placeholder.findall(translated)) == expected, entry.msgid


def _messages(catalogue):
    return {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in catalogue
        if e.msgid
    }


def test_committed_mo_is_compiled_from_the_current_po(tmp_path):
    """The .mo is committed so a machine without gettext still speaks BM; it must be current."""
    source = polib.pofile(str(LOCALE / "django.po"))
    source.save_as_mofile(str(tmp_path / "fresh.mo"))
    fresh = polib.mofile(str(tmp_path / "fresh.mo"))
    committed = polib.mofile(str(LOCALE / "django.mo"))
    assert _messages(committed) == _messages(fresh), (
        "Run `make messages` (compilemessages) and commit locale/ms/LC_MESSAGES/django.mo"
    )


# --- Templates ----------------------------------------------------------------

# Words that read the same in both languages.
SAME_IN_BOTH = {"JKM", "EN", "BM", "PKMD", "CSV", "MyKad", "RM", "OKU", "PSK", "Excel", "×"}
# 500.html and 503.html are drawn when anything may be broken (the database, translations):
# they are static and bilingual on purpose.
STATIC_TEMPLATES = {"500.html", "503.html"}

TEMPLATE_NOISE = [
    re.compile(r"<script\b.*?</script>", re.S | re.I),
    re.compile(r"<style\b.*?</style>", re.S | re.I),
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{%\s*(?:blocktranslate|blocktrans)\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S),
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\{.*?\}\}", re.S),
    re.compile(r"<!--.*?-->", re.S),
    re.compile(r"<[^>]*>", re.S),
    re.compile(r"&[#\w]+;"),
]
ATTRIBUTE_TEXT = re.compile(r"""\b(title|aria-label|placeholder|alt)\s*=\s*(["'])(.*?)\2""", re.S)


def _templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.relative_to(TEMPLATES).as_posix() not in STATIC_TEMPLATES:
            yield path


def _words(text):
    return [w for w in re.findall(r"[^\W\d_]+", text) if w not in SAME_IN_BOTH]


def _stray_text(source):
    for noise in TEMPLATE_NOISE:
        source = noise.sub(" ", source)
    return _words(source)


def _untranslated_attributes(source):
    source = re.sub(
        r"\{%\s*(?:blocktranslate|blocktrans)\b.*?\{%\s*endblocktrans\w*\s*%\}",
        "",
        source,
        flags=re.S,
    )
    stray = []
    for name, _quote, value in ATTRIBUTE_TEXT.findall(source):
        value = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", value, flags=re.S)
        if _words(value):
            stray.append(f'{name}="{value.strip()}"')
    return stray


def test_the_template_scan_finds_stray_text():
    assert _stray_text('<p class="x">{% translate "Hello" %} Goodbye</p>') == ["Goodbye"]
    assert _stray_text("<h1>{{ title }} · JKM</h1>{# note #}<script>var a = 1;</script>") == []
    assert _untranslated_attributes('<a title="Open it" aria-label="{% translate \'x\' %}">') == [
        'title="Open it"'
    ]


@pytest.mark.parametrize(
    "path", list(_templates()), ids=lambda p: p.relative_to(TEMPLATES).as_posix()
)
def test_template_has_no_text_outside_translation_tags(path):
    source = path.read_text(encoding="utf-8")
    assert _stray_text(source) == []
    assert _untranslated_attributes(source) == []


# --- Pages in BM ---------------------------------------------------------------


def _bm(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ms"
    return client


@pytest.fixture
def records(office):
    project = ProjectFactory(
        office=office, start_date=date(2024, 10, 25), budget=Decimal("12345.5")
    )
    ParticipationFactory(project=project, joined_on=date(2024, 11, 1))
    case = VisitFactory(case__office=office, visited_on=date(2024, 11, 5)).case
    return {"project": project.pk, "case": case.pk}


# (page, who looks, text in BM, its English that must not be left on the page)
MAIN_PAGES = [
    ("/homehelp/", "officer", "Lawatan tertunggak", "Overdue for a visit"),
    ("/", "hq", "Selamat datang", "Welcome"),
    ("/projects/", "officer", "Projek Program Organisasi Komuniti", "Community Organization"),
    ("/projects/{project}/", "officer", "Peserta mengikut kumpulan sasaran", "Participants by"),
    ("/projects/new/", "officer", "Projek baharu", "New project"),
    ("/projects/{project}/edit/", "officer", "Pegawai bertanggungjawab", "Officer in charge"),
    ("/projects/{project}/participants/add/", "officer", "Tambah peserta ke", "Add a participant"),
    ("/homehelp/cases/", "officer", "Kes Bantu di Rumah", "Home help cases"),
    ("/homehelp/cases/{case}/", "officer", "Keadaan tempat tinggal", "Living arrangement"),
    ("/homehelp/cases/new/", "officer", "Buka kes", "Open a case"),
    ("/homehelp/visits/", "officer", "<h1>Lawatan</h1>", "Visits"),
    ("/homehelp/volunteers/", "officer", "<h1>Sukarelawan</h1>", "Volunteers"),
    ("/homehelp/organisations/", "officer", "Pertubuhan Sukarela Kebajikan (PSK)", "Voluntary"),
    ("/reports/", "hq", "Laporan", "Reports"),
    ("/reports/projects-by-state/", "hq", "projek dan peserta mengikut negeri", "by state"),
    ("/reports/home-help/", "hq", "Perkhidmatan Bantu di Rumah mengikut negeri", "by state"),
    ("/stats/", None, "Statistik program", "Programme statistics"),
    ("/reports/completeness/", "officer", "Rekod lengkap, bulan demi bulan", "Records complete"),
    ("/reports/completeness/", "hq", "Dua belas bulan hingga bulan ini", "The twelve months"),
    ("/reports/editions/", "hq", "Edisi yang diterbitkan", "Published editions"),
    ("/accounts/login/", None, "Log masuk", "Sign in"),
]


@pytest.mark.parametrize(("path", "cast", "malay", "english"), MAIN_PAGES)
def test_main_page_reads_in_bm(client, request, records, path, cast, malay, english):
    if cast:
        client.force_login(request.getfixturevalue(cast))
    response = _bm(client).get(path.format(**records))
    assert response.status_code == 200
    assert 'lang="ms"' in response.text
    assert malay in response.text
    assert english not in response.text
    assert "Sign out" not in response.text and "Change password" not in response.text


def test_the_browser_language_chooses_bm_before_anyone_signs_in(client, db):
    assert "Log masuk" in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ms").text
    assert "Sign in" in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-GB").text
    assert "Sign in" in client.get("/accounts/login/").text


def test_signing_in_brings_back_the_language_chosen_before(client, officer):
    officer.language = "ms"
    officer.save()
    client.post("/accounts/login/", {"username": officer.username, "password": "password"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ms"
    assert "Lawatan tertunggak" in client.get("/", follow=True).text


def test_form_errors_read_in_bm(client, officer):
    client.force_login(officer)
    response = _bm(client).post("/projects/new/", {"name": ""})
    assert response.status_code == 200
    assert "Medan ini diperlukan." in response.text  # Django's own ms catalogue
    assert "This field is required." not in response.text


# --- Exports --------------------------------------------------------------------


def _csv(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.getvalue().decode())))


CSV_REPORTS = [
    (
        "/reports/projects-by-state/",
        ["state_code", "state", "projects", "participants", "persons"],
        ["Kod negeri", "Negeri", "Bilangan projek", "Bilangan peserta", "Individu berlainan"],
    ),
    (
        "/reports/home-help/",
        ["state_code", "state", "clients_served", "volunteers", "visits"],
        ["Kod negeri", "Negeri", "Klien dibantu", "Sukarelawan", "Lawatan"],
    ),
]


@pytest.mark.parametrize(("path", "contract", "malay"), CSV_REPORTS)
def test_csv_keeps_its_contract_columns_when_no_language_is_asked_for(
    client, hq, path, contract, malay
):
    client.force_login(hq)
    rows = _csv(client.get(path, {"format": "csv"}))
    assert rows[0] == contract
    assert rows[-1][:2] == ["TOTAL", "TOTAL"]
    english = _csv(client.get(path, {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert english[0] == contract


@pytest.mark.parametrize(("path", "contract", "malay"), CSV_REPORTS)
def test_csv_in_bm_has_bm_headings(client, hq, path, contract, malay):
    client.force_login(hq)
    rows = _csv(_bm(client).get(path, {"format": "csv", "year": 2024}))
    assert rows[0] == malay
    assert rows[-1][:2] == ["TOTAL", "JUMLAH"]
    assert ["MY-07", "Pulau Pinang"] in [row[:2] for row in rows]


def test_excel_in_bm_has_bm_headings(client, hq):
    client.force_login(hq)
    response = _bm(client).get("/reports/projects-by-state/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    assert [cell.value for cell in sheet[1]][:3] == ["Kod negeri", "Negeri", "Bilangan projek"]


# --- Dates, numbers and RM --------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ms"])
def test_dates_and_ringgit_the_malaysian_way(client, officer, records, language):
    """One date style on every page, in both languages: day/month/year."""
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    detail = client.get(f"/projects/{records['project']}/").text
    assert "25/10/2024" in detail
    assert "12,345.50" in detail
    assert "25/10/2024" in client.get("/projects/").text
    assert "05/11/2024" in client.get("/homehelp/visits/").text


def test_formats_follow_the_language():
    with translation.override("ms"):
        assert formats.date_format(date(2026, 3, 9)) == "09/03/2026"
        assert formats.date_format(date(2026, 3, 9), "YEAR_MONTH_FORMAT") == "Mac 2026"
        assert formats.date_format(date(2026, 3, 9), "SHORT_DATE_FORMAT") == "09/03/2026"
        assert formats.number_format(Decimal("1234567.5"), 2, force_grouping=True) == "1,234,567.50"
    with translation.override("en"):
        assert formats.date_format(date(2026, 3, 9)) == "09/03/2026"
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"


class _FormValues(HTMLParser):
    """The values a browser would send back for the page's main form, unchanged."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.values.append((name, attrs.get("value", "")))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values.append((self._select, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = name
            self.values.append((name, ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            name, value = self.values.pop()
            self.values.append((name, value + data.lstrip("\n") if not value else value + data))


@pytest.mark.parametrize("language", ["en", "ms"])
def test_project_form_round_trips_its_own_values(client, officer, records, language):
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = f"/projects/{records['project']}/edit/"
    page = _FormValues()
    page.feed(client.get(url).text)
    data = {}
    for name, value in page.values:
        if name not in ("csrfmiddlewaretoken", "language", "next"):
            data.setdefault(name, []).append(value)
    assert data["start_date"] == ["2024-10-25"]  # <input type="date"> needs ISO
    assert data["budget"] == ["12345.50"]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    project = Project.objects.get(pk=records["project"])
    assert (project.start_date, project.budget) == (date(2024, 10, 25), Decimal("12345.50"))


def test_dates_typed_day_first_are_understood(client, officer, records):
    client.force_login(officer)
    form = ProjectForm(instance=Project.objects.get(pk=records["project"]), user=officer)
    data = {**form.initial, "start_date": "1/10/2024", "objectives": [], "version": 1}
    data = {k: v for k, v in data.items() if v is not None}
    with translation.override("ms"):
        bound = ProjectForm(data, instance=form.instance, user=officer)
        assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["start_date"] == date(2024, 10, 1)
