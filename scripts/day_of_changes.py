"""A day's typical changes at national scale, then the refresh of what changed.

Against a database filled by `manage.py generate_data` (scale L: 100k projects,
1M participations, 2M visits), writes what a day brings across the offices:
500 new participations (some in projects of past years, entered late), 50
projects edited (another status, type, start day or office), 2,000 visits
added and 100 edited or deleted; then runs `refresh_reports` (what changed)
and prints its time. Each run is another day: the changes are random. With
--full, also times `refresh_reports --full` afterwards, for comparison; with
--rollback, the changes and the refresh are undone at the end (the benchmark's
databases stay as generated).

Usage:
    DATABASE_URL=postgres://.../welfare_bench_l SECRET_KEY=x \
        .venv/bin/python scripts/day_of_changes.py [--seed N] [--full] [--rollback]
"""

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "welfare.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Max  # noqa: E402

from homehelp.models import Case, Service, Visit  # noqa: E402
from programs.models import Participation, Project  # noqa: E402
from reports.services import summaries_refresh  # noqa: E402
from welfare.models import Office, Person  # noqa: E402

PARTICIPATIONS, PROJECTS_EDITED, VISITS_ADDED, VISITS_CHANGED = 500, 50, 2_000, 100


def sample_ids(model, n, rng, **where):
    """n random ids of model's rows (ids are dense: generate_data gives them)."""
    last = model.objects.aggregate(m=Max("pk"))["m"] or 0
    ids = {rng.randint(1, last) for _ in range(n * 3)}
    return list(model.objects.filter(pk__in=ids, **where).values_list("pk", flat=True)[:n])


def day_of_changes(rng):
    today = date.today()
    offices = list(Office.objects.values_list("pk", flat=True))
    # New participations: people already known, in projects old and new.
    projects = Project.objects.in_bulk(sample_ids(Project, PARTICIPATIONS, rng))
    persons = sample_ids(Person, PARTICIPATIONS, rng)
    taken = set(Participation.objects.filter(project__in=projects).values_list("project", "person"))
    new = []
    for project, person in zip(projects.values(), persons, strict=False):
        if (project.pk, person) not in taken:
            joined = min(today, project.start_date + timedelta(days=rng.randint(0, 90)))
            new.append(
                Participation(
                    project=project,
                    person_id=person,
                    target_group=rng.choice(Participation.TargetGroup.values),
                    joined_on=joined,
                )
            )
    Participation.objects.bulk_create(new)
    # Projects edited through save(), as the form does.
    for project in Project.objects.filter(pk__in=sample_ids(Project, PROJECTS_EDITED, rng)):
        change = rng.choice(["status", "type", "start", "office"])
        if change == "status":
            project.status = rng.choice(Project.Status.values)
        elif change == "type":
            project.project_type = rng.choice(Project.ProjectType.values)
        elif change == "start":
            project.start_date = min(today, project.start_date + timedelta(rng.randint(-30, 30)))
        else:
            project.office_id, project.district = rng.choice(offices), None
        project.save()
    # Visits of today to active cases, by their volunteers.
    cases = list(
        Case.objects.filter(
            pk__in=sample_ids(Case, VISITS_ADDED, rng, status=Case.Status.ACTIVE),
            volunteer__isnull=False,
        ).values_list("pk", "volunteer")
    )
    visits = Visit.objects.bulk_create(
        Visit(case_id=case, volunteer_id=volunteer, visited_on=today, minutes=60)
        for case, volunteer in (rng.choice(cases) for _ in range(VISITS_ADDED))
    )
    services = list(Service.objects.values_list("pk", flat=True))
    Visit.services.through.objects.bulk_create(
        Visit.services.through(visit_id=visit.pk, service_id=rng.choice(services))
        for visit in visits
    )
    Case.objects.filter(pk__in=[case for case, _ in cases]).refresh_last_visited_on()
    # Visits corrected or deleted, of any year.
    changed = sample_ids(Visit, VISITS_CHANGED, rng)
    for visit in Visit.objects.filter(pk__in=changed[: VISITS_CHANGED // 2]):
        visit.minutes = rng.choice([30, 90, 120])
        visit.save()
    for visit in Visit.objects.filter(pk__in=changed[VISITS_CHANGED // 2 :]):
        visit.delete()
    return len(new)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--full", action="store_true", help="Also time a full rebuild.")
    parser.add_argument("--rollback", action="store_true", help="Undo it all at the end.")
    options = parser.parse_args()
    if options.rollback:
        with transaction.atomic():
            a_day(options)
            transaction.set_rollback(True)
    else:
        a_day(options)


def a_day(options):
    rng = random.Random(options.seed)
    started = time.monotonic()
    with transaction.atomic():
        joined = day_of_changes(rng)
    print(f"A day's changes written in {time.monotonic() - started:.1f} s "
          f"({joined} participations added).")  # fmt: skip
    refresh = summaries_refresh()
    print(f"Refresh of what changed: {refresh.seconds:.1f} s, {refresh.rows:,} rows written "
          f"(whole: {refresh.full}).")  # fmt: skip
    if options.full:
        refresh = summaries_refresh(full=True)
        print(f"Full refresh: {refresh.seconds:.1f} s, {refresh.rows:,} rows "
              f"({refresh.rows / refresh.seconds:,.0f} rows/s).")  # fmt: skip


if __name__ == "__main__":
    main()
