import csv
from operator import itemgetter

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import Coalesce
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from programs.forms import (
    ActivityForm,
    ParticipantAddForm,
    ParticipationForm,
    ProjectFilter,
    ProjectForm,
)
from programs.imports import ParticipantImport
from programs.models import Activity, Participation, Project
from welfare import people
from welfare.audit import history_in_words
from welfare.exports import (
    CHUNK_SIZE,
    Echo,
    csv_lines,
    exported_note,
    labels,
    records_response,
    spreadsheet_safe,
)
from welfare.forms import person_form
from welfare.imports import import_page
from welfare.models import AccessLog, per_row
from welfare.mykad import mask_mykad
from welfare.replica import reads_from_replica
from welfare.roles import get_in_scope, get_to_change, require_permission

PARTICIPANTS_PAGE_SIZE = 50


def filtered_projects(request):
    """The project list's filter over the user's scope; the page and its exports."""
    participants = per_row(Participation.objects.all(), "project", Count("pk"))
    projects = (
        Project.objects.visible_to(request.user)
        .select_related("office", "district")
        .annotate(participant_count=Coalesce(participants, 0))
        .order_by("-start_date", "name", "pk")
    )
    return ProjectFilter(request.GET, queryset=projects, request=request)


def project_list(request):
    project_filter = filtered_projects(request)
    page_obj = Paginator(project_filter.rows(), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "programs/project_list.html",
        {
            "filter": project_filter,
            "page_obj": page_obj,
            "project_types": labels(Project.ProjectType),
            "statuses": labels(Project.Status),
        },
    )


def project_detail(request, pk):
    project = get_in_scope(
        request,
        Project.objects.select_related("office", "district", "officer_in_charge"),
        pk=pk,
    )
    counts, total = project.participant_counts()
    participations = project.participations.select_related("person").order_by("person__name", "pk")
    search = request.GET.get("q", "").strip()
    if search:
        participations = participations.filter(people.search_q(request.user, search, "person__"))
    paginator = Paginator(participations, PARTICIPANTS_PAGE_SIZE)
    if not search:
        paginator.count = total  # counted above already, with the target groups
    page = paginator.get_page(request.GET.get("page"))
    people.shown_in_list(
        request,
        [participation.person for participation in page],
        searched_as=search and f"search: {project._meta.model_name} {project.pk}",
    )
    return render(
        request,
        "programs/project_detail.html",
        {
            "project": project,
            "objectives": project.objectives.all(),
            "page_obj": page,
            "search": search,
            "activities": project.activities.all(),
            "counts_by_target_group": counts,
            "participant_total": total,
            "history": history_in_words(project),
        },
    )


def project_create(request):
    require_permission(request.user, "add", Project)
    form = ProjectForm(request.POST or None, user=request.user)
    if form.is_valid():
        if project := form.save_once():
            messages.success(request, _("Project created."))
            return redirect(project)
        messages.info(request, _("This project was sent twice; it is created once."))
        return redirect("programs:project-list")
    return render(request, "programs/project_form.html", {"form": form})


def project_edit(request, pk):
    project = get_to_change(request, Project.objects, pk=pk)
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    if form.is_valid() and form.save_unless_conflict():
        messages.success(request, _("Project saved."))
        return redirect(project)
    return render(
        request,
        "programs/project_form.html",
        {"form": form, "project": project},
        status=form.status_code,
    )


def participant_add(request, pk):
    project = get_in_scope(request, Project.objects, pk=pk)
    require_permission(request.user, "add", Participation)
    form = person_form(request, ParticipantAddForm, project=project)
    form.initial.setdefault("joined_on", timezone.localdate())
    if form.is_valid():
        participation = form.save()
        person = participation.person
        if form.existing_person:
            # Only what confirms identity: the person may be another office's.
            messages.success(
                request,
                _("%(name)s (born %(year)s) was already recorded and now takes part.")
                % {"name": person.name, "year": person.birth_year or "?"},
            )
        else:
            messages.success(request, _("%(name)s now takes part.") % {"name": person.name})
        if "add_another" in request.POST:
            return redirect("programs:participant-add", pk=project.pk)
        return redirect(project)
    return render(request, "programs/participant_add_form.html", {"form": form, "project": project})


def participation_edit(request, pk):
    participation = get_to_change(
        request, Participation.objects.select_related("project", "person"), pk=pk
    )
    form = ParticipationForm(request.POST or None, instance=participation)
    if form.is_valid():
        form.save()
        messages.success(request, _("Participation saved."))
        return redirect(participation.project)
    return render(
        request,
        "programs/participation_form.html",
        {"form": form, "participation": participation, "project": participation.project},
    )


def participation_remove(request, pk):
    participation = get_to_change(
        request, Participation.objects.select_related("project", "person"), "delete", pk=pk
    )
    if request.method == "POST":
        participation.delete()
        messages.success(
            request,
            _("%(name)s no longer takes part.") % {"name": participation.person.name},
        )
        return redirect(participation.project)
    return render(
        request,
        "programs/participation_confirm_delete.html",
        {"participation": participation, "project": participation.project},
    )


def activity_add(request, pk):
    project = get_in_scope(request, Project.objects, pk=pk)
    require_permission(request.user, "add", Activity)
    form = ActivityForm(
        request.POST or None, project=project, initial={"date": timezone.localdate()}
    )
    if form.is_valid():
        if form.save_once():
            messages.success(request, _("Activity recorded."))
        else:
            messages.info(request, _("This activity was sent twice; it is recorded once."))
        return redirect(project)
    return render(request, "programs/activity_form.html", {"form": form, "project": project})


def activity_delete(request, pk):
    """An activity recorded by mistake; the deletion stays in its history."""
    activity = get_to_change(request, Activity.objects.select_related("project"), "delete", pk=pk)
    if request.method == "POST":
        activity.delete()
        messages.success(request, _("Activity deleted."))
        return redirect(activity.project)
    return render(
        request,
        "programs/activity_confirm_delete.html",
        {"activity": activity, "project": activity.project},
    )


@reads_from_replica
def participants_csv(request, pk):
    """The participant list for an attendance sheet, MyKad masked. Streamed: the first lines leave while later
    participants are still being read; the access log is written before."""
    project = get_in_scope(request, Project.objects, pk=pk)
    participations = project.participations.order_by("person__name", "pk")
    people.log_access(
        request.user,
        participations.values_list("person_id", flat=True),
        project,
        action=AccessLog.Action.EXPORT,
    )
    # The title row also says who exported the list and when.
    title = [spreadsheet_safe(project.name), exported_note(request.user)]
    header = [
        _("No."),
        _("Name"),
        _("MyKad number"),
        _("Target group"),
        _("Joined on"),
        _("Left on"),
        _("Signature"),
    ]

    groups = labels(Participation.TargetGroup)
    # Read while the first lines travel, a chunk at a time; plain values, not
    # models: a project may have 10,000 participants.
    cells = participations.values_list(
        "person__name", "person__mykad", "target_group", "joined_on", "left_on"
    )
    rows = (
        [
            number,
            name,
            mask_mykad(mykad),  # a sheet passed round a hall: masked for everyone
            groups[target_group],
            joined_on.isoformat(),
            left_on.isoformat() if left_on else "",
            "",
        ]
        for number, (name, mykad, target_group, joined_on, left_on) in enumerate(
            cells.iterator(chunk_size=CHUNK_SIZE), start=1
        )
    )

    def lines():
        yield "\ufeff"  # so that Excel reads UTF-8
        yield csv.writer(Echo()).writerow(title)
        yield from csv_lines(header, rows)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="project-{project.pk}-participants.csv"'
    )
    response["X-Exported-By"] = request.user.get_username()
    return response


@reads_from_replica
def project_export(request, file_format):
    """The project list as the user filtered it, every page."""
    types, statuses = labels(Project.ProjectType), labels(Project.Status)
    columns = [
        (_("Name"), itemgetter("name")),
        (_("Type"), lambda row: types[row["project_type"]]),
        (_("Office"), itemgetter("office__name")),
        (_("District"), lambda row: row["district__name"] or ""),
        (_("Status"), lambda row: statuses[row["status"]]),
        (_("Start date"), itemgetter("start_date")),
        (_("End date"), itemgetter("end_date")),
        (_("Budget (RM)"), itemgetter("budget")),
        (_("Participants"), itemgetter("participant_count")),
    ]
    project_filter = filtered_projects(request)
    # Plain values, not models: ten times cheaper for the whole country's rows.
    rows = project_filter.rows().values(
        "name",
        "project_type",
        "office__name",
        "district__name",
        "status",
        "start_date",
        "end_date",
        "budget",
        "participant_count",
    )
    return records_response(
        request,
        file_format,
        "projects",
        columns,
        rows,
        subject="projects",
        list_filter=project_filter,
    )


@reads_from_replica
def participants_xlsx(request, pk):
    project = get_in_scope(request, Project.objects, pk=pk)
    participations = project.participations.all()
    disclosure = people.exported(
        request, participations.values_list("person_id", flat=True), project
    )
    groups = labels(Participation.TargetGroup)
    rows = participations.values(
        *disclosure.fields_of("person"), "person__name", "target_group", "joined_on", "left_on"
    )
    columns = [
        (_("Name"), itemgetter("person__name")),
        (_("MyKad number"), lambda row: disclosure.mykad_in_row(row, "person")),
        (_("Target group"), lambda row: groups[row["target_group"]]),
        (_("Joined on"), itemgetter("joined_on")),
        (_("Left on"), itemgetter("left_on")),
    ]
    return records_response(request, "xlsx", f"project-{project.pk}-participants", columns, rows)


def participant_import(request, pk):
    project = get_in_scope(request, Project.objects.select_related("office"), pk=pk)
    require_permission(request.user, "add", Participation)
    return import_page(
        request,
        ParticipantImport(request.user, project),
        kind="participants",
        target_pk=project.pk,
        back_url=project.get_absolute_url(),
        back_label=project.name,
        template_urls={
            fmt: reverse("programs:participant-import-template", args=[fmt])
            for fmt in ("csv", "xlsx")
        },
    )


def participant_import_template(request, file_format):
    return ParticipantImport(request.user, None).template_response(file_format)
