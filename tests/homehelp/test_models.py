"""Rules kept by the database (constraints) and by the models' clean()."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from homehelp.models import Case, Visit
from tests.factories import CaseFactory, PersonFactory, VisitFactory, VolunteerFactory


@pytest.fixture
def case(office):
    return CaseFactory(office=office, volunteer=VolunteerFactory(office=office))


def test_one_open_case_per_client_in_the_database(case):
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(client=case.client, office=case.office)


def test_a_closed_case_does_not_block_a_new_one(case):
    case.close(on=date(2024, 2, 1), reason=Case.CloseReason.MOVED_AWAY)
    CaseFactory(client=case.client, office=case.office, opened_on=date(2024, 5, 1))


@pytest.mark.parametrize(
    "fields",
    [
        {"closed_on": date(2023, 12, 31)},
        {"status": "closed", "closed_on": date(2024, 2, 1)},
        {"status": "closed", "close_reason": "deceased"},
        {"client_type": "oku"},
        {"consent_to_share": True},
        {"visit_every_days": 0},
    ],
    ids=["closed before opened", "closed without reason", "closed without date",
         "oku without card", "consent without date", "zero frequency"],
)  # fmt: skip
def test_case_constraints(case, fields):
    for name, value in fields.items():
        setattr(case, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()


@pytest.mark.parametrize("minutes", [0, 721])
def test_visit_minutes_from_1_to_720_in_the_database(case, minutes):
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitFactory(case=case, volunteer=case.volunteer, minutes=minutes)


def test_senior_is_60_on_the_opening_day(office):
    client = PersonFactory(date_of_birth=date(1964, 6, 2), mykad="")
    case = CaseFactory.build(client=client, office=office, opened_on=date(2024, 6, 1))
    with pytest.raises(ValidationError) as error:
        case.full_clean()
    assert "this client is younger then" in str(error.value.message_dict["client_type"])
    case.opened_on = date(2024, 6, 2)
    case.full_clean()


def test_case_cannot_close_before_its_last_visit(case):
    VisitFactory(case=case, volunteer=case.volunteer, visited_on=date(2024, 3, 1))
    with pytest.raises(ValidationError, match="last visit was on 01/03/2024"):
        case.close(on=date(2024, 2, 1), reason=Case.CloseReason.DECLINED)
    case.refresh_from_db()
    assert case.is_open


def test_volunteer_trained_after_the_visit_cannot_record_it(case):
    case.volunteer.trained_on = date(2024, 3, 1)
    case.volunteer.save()
    visit = Visit(case=case, volunteer=case.volunteer, visited_on=date(2024, 2, 1), minutes=30)
    with pytest.raises(ValidationError, match="trained only on 01/03/2024"):
        visit.full_clean(exclude=["services"])


def test_last_visit_and_resolve_concern(case, officer):
    assert case.last_visited_on is None
    VisitFactory(case=case, volunteer=case.volunteer, visited_on=date(2024, 2, 1))
    latest = VisitFactory(
        case=case, volunteer=case.volunteer, visited_on=date(2024, 3, 1), concern=True
    )
    case.refresh_from_db()
    assert case.last_visited_on == latest.visited_on == date(2024, 3, 1)
    assert list(Visit.objects.open_concerns()) == [latest]
    latest.resolve_concern(by=officer, on=date(2024, 3, 2))
    assert not Visit.objects.open_concerns().exists()


def test_scoped_people_include_clients_and_volunteers(case, officer, far_officer):
    from welfare.models import Person

    assert Person.objects.visible_to(officer).filter(pk=case.client_id).exists()
    assert Person.objects.visible_to(officer).filter(pk=case.volunteer.person_id).exists()
    assert not Person.objects.visible_to(far_officer).filter(pk=case.client_id).exists()
