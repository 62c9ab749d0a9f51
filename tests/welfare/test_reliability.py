from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, connection

from programs.models import Project


@pytest.fixture
def database_down():
    """The database refuses every new query, as when PostgreSQL is unreachable."""
    with mock.patch.object(
        connection,
        "ensure_connection",
        side_effect=OperationalError("server closed the connection"),
    ):
        yield


def test_health_reports_the_database(client, db):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok"}


def test_health_answers_503_when_the_database_is_down(client, db, database_down):
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable"}


def test_pages_answer_a_friendly_503_when_the_database_is_down_and_recover(client, officer):
    client.force_login(officer)
    client.raise_request_exception = False
    with mock.patch.object(
        connection, "ensure_connection", side_effect=OperationalError("could not connect")
    ):
        response = client.get("/projects/")
    assert response.status_code == 503
    assert "Service temporarily unavailable" in response.text
    assert response["Retry-After"] == "30"
    assert client.get("/projects/").status_code == 200


def test_a_request_that_fails_midway_changes_nothing(client, officer, office):
    """Requests are atomic: a create that fails after its first write leaves no row."""
    client.force_login(officer)
    client.raise_request_exception = False
    data = {"name": "Kelas jahitan", "project_type": "economic", "status": "active",
            "office": office.pk, "start_date": "2026-01-05", "budget": "100"}  # fmt: skip
    with mock.patch(
        "django.contrib.messages.api.add_message", side_effect=OperationalError("lost")
    ):
        response = client.post("/projects/new/", data)
    assert response.status_code == 503
    assert not Project.objects.filter(name="Kelas jahitan").exists()


def test_a_connection_found_closed_midway_is_an_outage_too(client, officer, office):
    """Django swallows the error of a check constraint validated on save; the lost
    connection then shows at the next query as InterfaceError."""
    client.force_login(officer)
    client.raise_request_exception = False
    data = {"name": "Kelas jahitan", "project_type": "economic", "status": "active",
            "office": office.pk, "start_date": "2026-01-05", "budget": "100"}  # fmt: skip
    with mock.patch(
        "django.contrib.messages.api.add_message",
        side_effect=InterfaceError("connection already closed"),
    ):
        response = client.post("/projects/new/", data)
    assert response.status_code == 503
    assert "Service temporarily unavailable" in response.text
    assert not Project.objects.filter(name="Kelas jahitan").exists()
