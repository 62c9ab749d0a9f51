from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from programs.models import Activity, Objective, Participation, Project
from tests.factories import ActivityFactory, ParticipationFactory, PersonFactory
from welfare.models import Person


def test_the_six_objectives_are_loaded(db):
    assert Objective.objects.count() == 6
    assert Objective.objects.first().name_en.startswith("Eradicate poverty")


def test_contract_choice_values(db):
    assert set(Project.ProjectType.values) == {
        "economic",
        "social_education",
        "skills_training",
        "community_service",
        "spiritual_education",
    }
    assert set(Project.Status.values) == {"planned", "active", "completed", "cancelled"}
    assert set(Participation.TargetGroup.values) == {"client", "former_resident", "community"}


def test_database_refuses_end_before_start(project):
    project.end_date = date(2024, 1, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        project.save()


def test_database_refuses_negative_budget(project):
    project.budget = Decimal("-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        project.save()


def test_database_refuses_second_enrolment(project):
    participation = ParticipationFactory(project=project)
    with pytest.raises(IntegrityError), transaction.atomic():
        ParticipationFactory(project=project, person=participation.person)


def test_database_refuses_left_before_joined(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        ParticipationFactory(project=project, left_on=date(2024, 1, 1))


def test_participant_counts_by_target_group_in_one_query(project, django_assert_num_queries):
    for group in ["client", "client", "former_resident", "community"]:
        ParticipationFactory(project=project, target_group=group)
    ParticipationFactory(target_group="client")  # another project
    with django_assert_num_queries(1):
        counts, total = project.participant_counts()
    assert counts == [
        ("Department client", 2),
        ("Former resident or trainee of a department institution", 1),
        ("Local community member", 1),
    ]
    assert total == 4


def test_participant_counts_of_an_empty_project(project):
    counts, total = project.participant_counts()
    assert [count for _label, count in counts] == [0, 0, 0]
    assert total == 0


@pytest.fixture
def rows(project, neighbour_project, far_project):
    for each in [project, neighbour_project, far_project]:
        ParticipationFactory(project=each)
        ActivityFactory(project=each)


@pytest.mark.parametrize(
    "cast,offices",
    [
        ("officer", {"PKMD-1005"}),
        ("neighbour_officer", {"PKMD-1001"}),
        ("state_officer", {"PKMD-1005", "PKMD-1001"}),
        ("far_state_officer", {"PKMD-0302"}),
        ("hq", {"PKMD-1005", "PKMD-1001", "PKMD-0302"}),
        ("administrator", {"PKMD-1005", "PKMD-1001", "PKMD-0302"}),
        ("no_role_user", set()),
    ],
)
def test_each_role_sees_the_offices_the_design_says(request, rows, cast, offices):
    user = request.getfixturevalue(cast)
    assert {p.office.code for p in Project.objects.visible_to(user)} == offices
    assert {p.project.office.code for p in Participation.objects.visible_to(user)} == offices
    assert {a.project.office.code for a in Activity.objects.visible_to(user)} == offices


def test_anonymous_sees_no_project(rows):
    assert not Project.objects.visible_to(AnonymousUser()).exists()


def test_person_of_another_office_becomes_visible_through_a_participation(
    project, officer, far_office
):
    stranger = PersonFactory(office=far_office)
    assert not Person.objects.visible_to(officer).filter(pk=stranger.pk).exists()
    ParticipationFactory(project=project, person=stranger)
    assert Person.objects.visible_to(officer).filter(pk=stranger.pk).exists()
