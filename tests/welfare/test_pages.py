import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.parametrize(
    "cast,label",
    [
        ("officer", "District officer · PKMD Petaling"),
        ("state_officer", "State officer · Selangor"),
        ("hq", "HQ"),
        ("administrator", "Administrator"),
        ("no_role_user", "has no role or office yet"),
    ],
)
def test_home_page_shows_each_role(client, db, request, cast, label):
    client.force_login(request.getfixturevalue(cast))
    response = client.get("/", follow=True)  # district officers land on the home help worklist
    assert response.status_code == 200
    assert label in response.text


def test_admin_link_only_for_staff(client, officer, administrator):
    client.force_login(officer)
    assert "/admin/" not in client.get("/").text
    client.force_login(administrator)
    assert "/admin/" in client.get("/").text


def test_admin_lists_core_models(client, administrator, office, selangor):
    client.force_login(administrator)
    listed = client.get("/admin/welfare/office/?q=Petaling").context["cl"].result_list
    assert office in listed and all("Petaling" in o.name for o in listed)
    constituencies = client.get(f"/admin/welfare/constituency/?state__id__exact={selangor.pk}")
    listed = constituencies.context["cl"].result_list
    assert listed and {c.state_id for c in listed} == {selangor.pk}
    users = client.get("/admin/welfare/user/").context["cl"].result_list
    assert administrator in users


def test_district_officer_cannot_use_admin(client, officer):
    client.force_login(officer)
    response = client.get("/admin/")
    assert response.status_code == 302


def test_language_switch_changes_text_and_is_remembered(client, officer):
    client.force_login(officer)
    response = client.post("/language/", {"language": "ms", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert 'lang="ms"' in response.text
    officer.refresh_from_db()
    assert officer.language == "ms"


def test_anonymous_visitor_can_switch_language(client, db):
    response = client.post("/language/", {"language": "ms", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ms"


def test_not_found_page_is_friendly(client, officer):
    client.force_login(officer)
    response = client.get("/people/999999/")
    assert response.status_code == 404
    assert "belongs to another office" in response.text


@pytest.mark.slow  # a Python of its own
@pytest.mark.parametrize("server", ["welfare.wsgi", "welfare.asgi"])
def test_production_start_without_secret_key_fails(server):
    result = subprocess.run(
        [sys.executable, "-c", f"import {server}"],
        env={"DEBUG": "false", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


@pytest.mark.slow  # a Python of its own
def test_a_command_that_signs_nothing_runs_without_secret_key():
    """makemigrations --check on a fresh clone, with nothing set."""
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.slow  # a Python of its own
def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "false",  # a developer's .env may say otherwise
        "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
        "ALLOWED_HOSTS": "welfare.example.gov.my",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_password_reset_sends_a_mail_to_a_known_address(client, officer, mailoutbox):
    officer.email = "rahim@example.gov.my"
    officer.save()
    response = client.post("/accounts/password_reset/", {"email": "rahim@example.gov.my"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["rahim@example.gov.my"]
