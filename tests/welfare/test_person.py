from datetime import date

import pytest
from django.db import IntegrityError
from django.utils import timezone

from tests.factories import PersonFactory
from welfare.forms import PersonForm
from welfare.models import Person


def test_register_reuses_the_person_with_the_same_mykad(office, far_office):
    first, created = Person.objects.register(mykad="500101-10-1234", name="Ali", office=office)
    again, created_again = Person.objects.register(
        mykad="500101101234", name="Ali bin Abu", office=far_office
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert again.name == "Ali"  # the other office cannot rename the person
    assert Person.objects.count() == 1


def test_register_derives_birth_date_and_sex_from_mykad(office):
    person, _ = Person.objects.register(mykad="480315-14-5557", name="Tan", office=office)
    person.refresh_from_db()
    assert person.date_of_birth == date(1948, 3, 15)
    assert person.sex == Person.Sex.MALE


def test_people_without_mykad_are_separate_records(office):
    Person.objects.register(name="Aina", date_of_birth=date(2015, 1, 1), office=office)
    Person.objects.register(name="Aina", date_of_birth=date(2015, 1, 1), office=office)
    assert Person.objects.filter(name="Aina").count() == 2


def test_a_record_names_the_person_found_restored_or_a_new_person(office, far_office):
    found = PersonFactory(name="Siti", office=office, deleted_at=timezone.now())
    same = Person.objects.found_or_registered(found, mykad="", office=far_office, name="Other")
    found.refresh_from_db()
    assert same == found and found.deleted_at is None and found.name == "Siti"
    assert found.office == office  # the details given are for a new person only
    new = Person.objects.found_or_registered(
        None, mykad="480315-14-5557", office=far_office, name="Tan"
    )
    assert (new.name, new.office, new.date_of_birth) == ("Tan", far_office, date(1948, 3, 15))
    assert Person.objects.count() == 2


def test_database_refuses_a_second_person_with_the_same_mykad(db):
    PersonFactory(mykad="500101101234")
    with pytest.raises(IntegrityError):
        PersonFactory(mykad="500101101234")


def test_database_refuses_a_mykad_that_is_not_12_digits(db):
    with pytest.raises(IntegrityError):
        PersonFactory(mykad="50010110123A")


def test_person_form_normalizes_and_fills_from_mykad(office):
    form = PersonForm(data={"name": "Mei Ling", "mykad": "650812-10-5678"})
    assert form.is_valid(), form.errors
    person = form.save()
    assert person.mykad == "650812105678"
    assert person.date_of_birth == date(1965, 8, 12)
    assert person.sex == Person.Sex.FEMALE


def test_person_form_refuses_a_birth_date_that_disagrees_with_mykad(db):
    form = PersonForm(
        data={"name": "Mei Ling", "mykad": "650812-10-5678", "date_of_birth": "1966-08-12"}
    )
    assert not form.is_valid()
    assert "12/08/1965" in form.errors["date_of_birth"][0]


def test_person_form_shows_the_mykad_fault(db):
    form = PersonForm(data={"name": "Mei Ling", "mykad": "651312-10-5678"})
    assert not form.is_valid()
    assert "651312 is not a possible date" in form.errors["mykad"][0]


def test_person_form_needs_a_birth_date_without_mykad(db):
    form = PersonForm(data={"name": "Aina"})
    assert not form.is_valid()
    assert "date_of_birth" in form.errors


def test_person_form_refuses_a_mykad_already_recorded(db):
    PersonFactory(mykad="650812105678")
    form = PersonForm(data={"name": "Mei Ling", "mykad": "650812-10-5678"})
    assert not form.is_valid()
    assert "mykad" in form.errors


def test_age_on_counts_whole_years(db):
    person = PersonFactory.build(date_of_birth=date(1966, 11, 24))
    assert person.age_on(date(2026, 11, 23)) == 59
    assert person.age_on(date(2026, 11, 24)) == 60
