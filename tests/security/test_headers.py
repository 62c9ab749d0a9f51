"""Cache-Control: no-store on everything a signed-in user is shown, a strict
Content Security Policy on every page, and no full MyKad in any log line."""

import base64
import hashlib
import io
import logging
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import CaseFactory, ParticipationFactory, VolunteerFactory, make_mykad
from welfare.headers import CONTENT_SECURITY_POLICY, ERROR_PAGE_STYLE, ERROR_PAGE_STYLE_HASH

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.fixture
def records(office):
    participation = ParticipationFactory(project__office=office)
    case = CaseFactory(office=office, client__office=office)
    return {"project": participation.project, "case": case, "person": case.client}


def private_urls(records):
    project, case, person = records["project"], records["case"], records["person"]
    return [
        "/",
        "/homehelp/",
        f"/people/{person.pk}/",
        "/projects/",
        f"/projects/{project.pk}/",
        f"/projects/{project.pk}/participants.csv",
        f"/projects/{project.pk}/participants.xlsx",
        "/projects/export.csv",
        "/projects/export.xlsx",
        "/homehelp/cases/",
        f"/homehelp/cases/{case.pk}/",
        "/homehelp/cases/export.csv",
        "/homehelp/cases/export.xlsx",
        "/homehelp/volunteers/export.xlsx",
        "/homehelp/visits/",
        "/reports/projects-by-state/?format=csv",
        "/reports/home-help/?format=xlsx",
        "/projects/999999/",  # a 404 is not stored either
    ]


def test_pages_and_files_with_personal_data_are_never_stored(client, officer, records):
    client.force_login(officer)
    for url in private_urls(records):
        response = client.get(url)
        assert response.status_code in (200, 302, 404), url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


@pytest.mark.parametrize("url", ["/stats/", "/about/"])
def test_public_pages_may_be_cached(client, officer, url):
    # The statistics ask caches to keep them a minute (reports.publication.stats).
    assert "no-store" not in client.get(url).get("Cache-Control", "")
    client.force_login(officer)
    assert "Cache-Control" not in client.get(url)


def test_a_view_that_sets_its_own_cache_control_keeps_it(rf, officer):
    from django.http import HttpResponse

    from welfare.headers import PrivacyHeadersMiddleware

    def view(request):
        response = HttpResponse("x")
        response["Cache-Control"] = "max-age=60"
        return response

    request = rf.get("/projects/")
    request.user = officer
    assert PrivacyHeadersMiddleware(view)(request)["Cache-Control"] == "max-age=60"


def test_every_page_has_a_strict_content_security_policy(client, officer, records):
    for url in ["/accounts/login/", "/stats/", "/about/"]:
        assert client.get(url)["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    client.force_login(officer)
    for url in private_urls(records):
        assert client.get(url)["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_templates_have_no_inline_script_style_or_event_handler():
    """What the policy would block: inline scripts, style attributes, onclick=."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), template
        assert "javascript:" not in text, template


@pytest.mark.parametrize("name", ["500.html", "503.html"])
def test_error_pages_inline_style_is_the_one_the_policy_allows(name):
    styles = re.findall(r"<style>(.*?)</style>", (TEMPLATES / name).read_text(), re.DOTALL)
    assert styles == [ERROR_PAGE_STYLE]
    digest = base64.b64encode(hashlib.sha256(ERROR_PAGE_STYLE.encode()).digest()).decode()
    assert ERROR_PAGE_STYLE_HASH == f"sha256-{digest}"


# --- No full MyKad in any log line -----------------------------------------------

FULL_MYKAD = re.compile(r"(?<!\d)\d{6}-?\d{2}-?\d{4}(?!\d)")


def test_no_full_mykad_in_any_log_line(client, officer, office, caplog, settings):
    """Valid and invalid MyKads through every form that takes one, lookups, searches,
    person pages, exports and refused requests; everything logged is captured."""
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    volunteer = VolunteerFactory(office=office, person__office=office)
    case = CaseFactory(office=office, client__office=office, volunteer=volunteer)
    project = ParticipationFactory(project__office=office).project
    valid = make_mykad(8123, born=date(1951, 4, 4))
    invalid = "511313109999"  # month 13
    client.force_login(officer)
    with caplog.at_level(logging.DEBUG):
        for mykad in [valid, invalid, "51040410812", "5104-04-10-8123x"]:
            client.post(
                f"/projects/{project.pk}/participants/add/",
                {"mykad": mykad, "name": "Log Test", "target_group": "community",
                 "joined_on": date.today().isoformat()},
            )  # fmt: skip
            client.post("/homehelp/volunteers/new/", {"mykad": mykad, "lookup": "1"})
            client.post("/homehelp/volunteers/new/", {"mykad": mykad, "name": "Log Test"})
            client.post("/homehelp/cases/new/", {"mykad": mykad, "lookup": "1"})
            client.post("/homehelp/cases/new/", {"mykad": mykad, "name": "Log Test"})
            client.get("/homehelp/cases/", {"q": mykad})
            client.get("/homehelp/volunteers/", {"q": mykad})
            client.get(f"/people/{mykad}/")  # not an id: 404
        client.get(f"/people/{case.client.pk}/")
        client.get(f"/people/{volunteer.person.pk}/")
        client.get("/homehelp/cases/export.csv")
        client.get(f"/projects/{project.pk}/participants.xlsx")
        client.get("/projects/999999/")
        client.post(f"/homehelp/cases/{case.pk}/close/", {"closed_on": "bad"})
    lines = [record.getMessage() for record in caplog.records]
    lines += [str(record.args) for record in caplog.records if record.args]
    assert lines, "nothing was logged: the capture is not working"
    leaked = [line for line in lines if FULL_MYKAD.search(line)]
    assert not leaked, leaked


def test_a_mykad_in_an_exception_or_message_is_masked_for_every_handler(caplog):
    """PostgreSQL names the duplicate MyKad in a unique violation's message."""
    logger = logging.getLogger("django.request")
    with caplog.at_level(logging.DEBUG):
        try:
            raise ValueError("Key (mykad)=(510404108123) already exists.")
        except ValueError:
            logger.exception("Internal Server Error: %s", "/people/5104-04-10-8123/")
    text = logging.Formatter().format(caplog.records[-1])
    assert "8123" in text
    assert not FULL_MYKAD.search(text), text


def test_errors_are_written_to_stderr_masked_when_debug_is_off():
    """Without DEBUG, Django alone would only mail errors to ADMINS (none here)."""
    (stderr,) = [h for h in logging.getLogger().handlers if h.get_name() == "stderr"]
    written = io.StringIO()
    previous = stderr.setStream(written)
    try:
        logging.getLogger("django.request").error("Internal Server Error: /people/510404108123/")
    finally:
        stderr.setStream(previous)
    assert (
        "ERROR django.request: Internal Server Error: /people/******-**-8123/" in written.getvalue()
    )
