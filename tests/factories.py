from datetime import date

import factory
from django.contrib.auth.models import Group

from welfare.models import Office, Person, User


def make_mykad(n, born=date(1950, 1, 1), place="10"):
    """A valid, fictional MyKad: birth date, place-of-birth code, 4-digit serial."""
    return f"{born:%y%m%d}{place}{n % 10000:04d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("password")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if extracted:
            user.groups.add(Group.objects.get(name=extracted))


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    mykad = factory.Sequence(lambda n: make_mykad(n))
    date_of_birth = date(1950, 1, 1)
    office = factory.LazyFunction(lambda: Office.objects.get(code="PKMD-1005"))


# --- Community Organization Programme (programs) ------------------------------


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "programs.Project"

    name = factory.Sequence(lambda n: f"Project {n}")
    project_type = "economic"
    office = factory.LazyFunction(lambda: Office.objects.get(code="PKMD-1005"))
    start_date = date(2024, 1, 15)


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "programs.Participation"

    project = factory.SubFactory(ProjectFactory)
    person = factory.SubFactory(PersonFactory, office=factory.SelfAttribute("..project.office"))
    target_group = "community"
    joined_on = date(2024, 2, 1)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "programs.Activity"

    project = factory.SubFactory(ProjectFactory)
    date = date(2024, 3, 1)
    summary = "Weekly meeting"


# --- Home help (homehelp) ----------------------------------------------------

from homehelp.models import Case, Organization, Visit, Volunteer  # noqa: E402
from welfare.models import Constituency  # noqa: E402


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Persatuan Kebajikan {n}")
    registration_number = factory.Sequence(lambda n: f"PPM-{n:04d}")
    kind = Organization.Kind.USIAMAS


class VolunteerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Volunteer

    person = factory.SubFactory(
        PersonFactory, mykad=factory.Sequence(lambda n: make_mykad(5000 + n, born=date(1980, 5, 5)))
    )
    organization = factory.SubFactory(OrganizationFactory)
    office = factory.LazyFunction(lambda: Office.objects.get(code="PKMD-1005"))
    trained_on = date(2020, 1, 1)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    client = factory.SubFactory(PersonFactory)
    office = factory.LazyFunction(lambda: Office.objects.get(code="PKMD-1005"))
    constituency = factory.LazyAttribute(
        lambda case: Constituency.objects.filter(state=case.office.state_id).first()
    )
    living_arrangement = Case.LivingArrangement.ALONE
    status = Case.Status.ACTIVE
    opened_on = date(2024, 1, 1)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit
        skip_postgeneration_save = True

    case = factory.SubFactory(CaseFactory)
    volunteer = factory.SubFactory(VolunteerFactory, office=factory.SelfAttribute("..case.office"))
    visited_on = date(2024, 2, 1)
    minutes = 60
