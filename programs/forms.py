import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programs.models import Activity, Participation, Project
from welfare.filters import ChoiceByNameFilter, ListFilter
from welfare.forms import (
    DATE_INPUT,
    DistrictChoice,
    PersonByMyKadForm,
    SubmitOnceForm,
    VersionedForm,
    sort_choices,
)
from welfare.models import District, User, office_scope_for


def visible_districts(request):
    """The districts of the offices the user may read."""
    if request is None:
        return District.objects.none()
    scope = office_scope_for(request.user, "offices")
    return District.objects.filter(scope).distinct().select_related("state")


class ProjectFilter(ListFilter):
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label=_("Name contains")
    )
    project_type = django_filters.ChoiceFilter(choices=Project.ProjectType.choices, label=_("Type"))
    status = django_filters.ChoiceFilter(choices=Project.Status.choices, label=_("Status"))
    year = django_filters.NumberFilter(
        method="running_in_year", label=_("Year"), min_value=1957, max_value=2100
    )
    district = ChoiceByNameFilter(
        queryset=visible_districts, label=_("District"), field_class=DistrictChoice
    )
    sort = django_filters.OrderingFilter(
        fields=[("name", "name"), ("start_date", "start"), ("status", "status")],
        empty_label=_("Usual order"),
        choices=sort_choices(("name", _("Name")), ("start", _("Start")), ("status", _("Status"))),
        label=_("Sort by"),
    )

    class Meta:
        model = Project
        fields = ["q", "project_type", "status", "year", "district"]

    def running_in_year(self, queryset, name, year):
        """Projects that ran during some part of the year."""
        year = int(year)
        return queryset.filter(
            Q(start_date__year__lte=year),
            Q(end_date__isnull=True) | Q(end_date__year__gte=year),
        )


class ProjectForm(SubmitOnceForm, VersionedForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "project_type",
            "status",
            "office",
            "district",
            "start_date",
            "end_date",
            "objectives",
            "description",
            "local_resources",
            "budget",
            "officer_in_charge",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "objectives": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
            "local_resources": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Read-only roles never get this form (they hold no permission to write).
        offices = user.offices_to_write_into()
        if user.own_office:
            self.fields["office"].initial = user.own_office.pk
        self.fields["office"].queryset = offices
        self.fields["district"].queryset = District.objects.filter(offices__in=offices).distinct()
        self.fields["officer_in_charge"].queryset = User.objects.filter(
            office__in=offices, is_active=True
        ).order_by("first_name", "username")
        self.fields["officer_in_charge"].label_from_instance = lambda officer: (
            officer.get_full_name() or officer.username
        )
        self.fields["budget"].min_value = 0


class ActivityForm(SubmitOnceForm, forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["date", "summary", "attendance"]
        widgets = {"date": DATE_INPUT, "summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project  # its dates bound the activity's


class ParticipationForm(forms.ModelForm):
    """Changes to an enrolment; the person stays the same."""

    class Meta:
        model = Participation
        fields = ["target_group", "joined_on", "left_on"]
        widgets = {"joined_on": DATE_INPUT, "left_on": DATE_INPUT}


class ParticipantAddForm(PersonByMyKadForm):
    """Enrols a person, starting from the MyKad (welfare.forms.PersonByMyKadForm):
    a person recorded by another office is enrolled as they are; a new person
    is recorded by the project's office."""

    person_field = "person"

    class Meta:
        model = Participation
        fields = ["target_group", "joined_on"]
        widgets = {"joined_on": DATE_INPUT}

    def __init__(self, *args, project, **kwargs):
        self.project = project
        super().__init__(*args, **kwargs)

    def office_of_new_person(self):
        return self.project.office

    def takes_part(self, person):
        return self.project.participations.filter(person=person).exists()

    def clean(self):
        cleaned = super().clean()
        if self.existing_person and self.takes_part(self.existing_person):
            self.add_error("mykad", _("This person already takes part in this project."))
        return cleaned

    def _post_clean(self):
        self.instance.project = self.project
        super()._post_clean()
