"""Home help records in three offices: own (Petaling), neighbour (Gombak, same
state) and far (Kota Bharu, another state)."""

from datetime import date, timedelta

import pytest

from homehelp.models import Service
from tests.factories import CaseFactory, VisitFactory, VolunteerFactory


def make_records(office, label):
    volunteer = VolunteerFactory(office=office, person__name=f"Volunteer {label}")
    case = CaseFactory(
        office=office, volunteer=volunteer, client__name=f"Client {label}", client__office=office
    )
    visit = VisitFactory(
        case=case, volunteer=volunteer, concern=True, notes=f"Concern {label}",
        visited_on=date.today() - timedelta(days=1),
    )  # fmt: skip
    visit.services.set(Service.objects.filter(code__in=["hygiene", "companionship"]))
    return {"volunteer": volunteer, "case": case, "visit": visit}


@pytest.fixture
def records(office, neighbour_office, far_office):
    return {
        "own": make_records(office, "own"),
        "neighbour": make_records(neighbour_office, "neighbour"),
        "far": make_records(far_office, "far"),
    }
