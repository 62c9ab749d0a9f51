from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from homehelp.models import Case, Visit, Volunteer
from programs.models import Participation, Project
from welfare.models import Office, Person
from welfare.mykad import birth_date, sex_from_mykad

pytestmark = pytest.mark.django_db


def generate(**counts):
    out = StringIO()
    call_command("generate_data", stdout=out, **counts)
    return out.getvalue()


def test_generates_the_counts_asked_for_and_says_the_rate():
    output = generate(projects=6, participations=40, cases=8, visits=80)

    assert Project.objects.count() == 6
    assert Participation.objects.count() == 40
    assert Case.objects.count() == 8
    assert abs(Visit.objects.count() - 80) <= 1
    assert "rows/s" in output


def test_every_generated_row_passes_the_model_rules():
    generate(projects=5, participations=30, cases=10, visits=60, office_cases=3)

    for model in [Person, Project, Participation, Volunteer, Case, Visit]:
        for row in model.objects.all():
            row.full_clean()
    for person in Person.objects.all():
        assert birth_date(person.mykad) == person.date_of_birth
        assert sex_from_mykad(person.mykad) == person.sex
    for case in Case.objects.filter(client_type=Case.ClientType.SENIOR).select_related("client"):
        assert case.client.age_on(case.opened_on) >= 60
    for visit in Visit.objects.select_related("case", "volunteer"):
        assert visit.volunteer.office_id == visit.case.office_id
        assert visit.volunteer.trained_on <= visit.case.opened_on <= visit.visited_on
        assert visit.visited_on <= (visit.case.closed_on or date.today())
    assert Case.objects.filter(office__code="PKMD-1005").count() >= 3
    for case in Case.objects.all():
        assert case.last_visited_on == max((v.visited_on for v in case.visits.all()), default=None)


def test_a_person_takes_part_in_a_project_once_and_some_come_back():
    generate(projects=200, participations=1000)

    pairs = Participation.objects.values("project", "person").annotate(n=Count("pk"))
    assert max(p["n"] for p in pairs) == 1
    assert Person.objects.count() < 1000  # returning participants share a person


def test_a_second_run_adds_rows_without_clashing_ids_or_mykads():
    generate(projects=2, participations=10, cases=2, visits=10)
    generate(projects=2, participations=10, cases=2, visits=10)

    assert Project.objects.count() == 4
    assert Person.objects.values("mykad").distinct().count() == Person.objects.count()
    office = Office.objects.get(code="PKMD-1005")
    project = Project.objects.create(
        name="New", project_type="economic", office=office, start_date=date.today()
    )
    assert project.pk > max(Project.objects.exclude(pk=project.pk).values_list("pk", flat=True))


def test_big_project_for_the_export_benchmark():
    generate(big_project=50, office="PKMD-0302")

    project = Project.objects.get()
    assert project.office.code == "PKMD-0302"
    assert project.participations.count() == 50


def test_asks_for_a_scale_or_counts():
    with pytest.raises(CommandError, match="scale"):
        generate()


def test_resolved_concerns_name_an_officer_of_the_case_office():
    generate(cases=20, visits=2000)

    resolved = Visit.objects.filter(concern_resolved_on__isnull=False).select_related(
        "case", "concern_resolved_by"
    )
    assert resolved.exists()
    for visit in resolved:
        assert visit.concern_resolved_by.office_id == visit.case.office_id
        assert visit.concern_resolved_by.is_district_officer
