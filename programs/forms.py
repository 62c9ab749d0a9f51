import django_filters
from django import forms
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programs.models import Activity, Participation, Project
from welfare.forms import SubmitOnceForm, VersionedForm
from welfare.models import District, Office, Person, User, office_scope
from welfare.mykad import birth_date, normalize_mykad, validate_mykad

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label=_("Name contains")
    )
    project_type = django_filters.ChoiceFilter(choices=Project.ProjectType.choices, label=_("Type"))
    status = django_filters.ChoiceFilter(choices=Project.Status.choices, label=_("Status"))
    year = django_filters.NumberFilter(
        method="running_in_year", label=_("Year"), min_value=1957, max_value=2100
    )
    district = django_filters.ModelChoiceFilter(
        queryset=District.objects.none(), label=_("District")
    )
    sort = django_filters.OrderingFilter(
        fields=[("name", "name"), ("start_date", "start"), ("status", "status")],
        label=_("Sort by"),
    )

    class Meta:
        model = Project
        fields = ["q", "project_type", "status", "year", "district"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["district"].queryset = District.objects.filter(
            office_scope(user, "offices")
        ).distinct()

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
        # Only district officers (their own office) and administrators (any office)
        # hold the permission to write projects; read-only roles never get this form.
        if user.sees_all_offices:
            offices = Office.objects.all()
        else:
            offices = Office.objects.filter(pk=user.office_id)
            self.fields["office"].initial = user.office_id
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


class ParticipationForm(forms.ModelForm):
    """Changes to an enrolment; the person stays the same."""

    class Meta:
        model = Participation
        fields = ["target_group", "joined_on", "left_on"]
        widgets = {"joined_on": DATE_INPUT, "left_on": DATE_INPUT}


class ParticipantAddForm(forms.ModelForm):
    """Enrols a person, starting from the MyKad: a MyKad already recorded reuses
    that person (whose details are left as they are, whichever office recorded
    them); otherwise a new person is recorded with the details given here. A
    person without a MyKad is recorded by name and date of birth."""

    mykad = forms.CharField(
        label=_("MyKad number"),
        required=False,
        max_length=20,
        help_text=_(
            "If the person is already recorded, only the MyKad is needed. "
            "Leave empty if the person has none."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(
        label=_("Name"), required=False, max_length=Person._meta.get_field("name").max_length
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DATE_INPUT)
    sex = forms.ChoiceField(
        label=_("Sex"), required=False, choices=[("", "---------"), *Person.Sex.choices]
    )
    phone = forms.CharField(
        label=_("Phone"), required=False, max_length=Person._meta.get_field("phone").max_length
    )
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = ["mykad", "name", "date_of_birth", "sex", "phone", "address"]

    class Meta:
        model = Participation
        fields = ["target_group", "joined_on"]
        widgets = {"joined_on": DATE_INPUT}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.existing_person = None

    def clean_mykad(self):
        validate_mykad(self.cleaned_data["mykad"])
        return normalize_mykad(self.cleaned_data["mykad"])

    def find_person(self, mykad):
        return Person.objects.filter(mykad=mykad).first()

    def takes_part(self, person):
        return self.project.participations.filter(person=person).exists()

    def clean(self):
        cleaned = super().clean()
        if "mykad" in self.errors:
            return cleaned
        mykad = cleaned.get("mykad")
        entered_birth = cleaned.get("date_of_birth")
        if mykad:
            self.existing_person = self.find_person(mykad)
        if self.existing_person:
            if self.takes_part(self.existing_person):
                self.add_error("mykad", _("This person already takes part in this project."))
            return cleaned
        if not cleaned.get("name"):
            self.add_error("name", _("Give the person's name."))
        if mykad:
            from_mykad = birth_date(mykad)
            if entered_birth and entered_birth != from_mykad:
                self.add_error(
                    "date_of_birth",
                    _("The MyKad number gives %(date)s as the date of birth.")
                    % {"date": from_mykad.strftime("%d/%m/%Y")},
                )
        elif not entered_birth:
            self.add_error("date_of_birth", _("Without a MyKad number, give the date of birth."))
        return cleaned

    def _post_clean(self):
        self.instance.project = self.project
        super()._post_clean()

    @transaction.atomic
    def save(self, commit=True):
        data = self.cleaned_data
        # A MyKad already recorded gives back that person, unchanged.
        self.instance.person, _created = Person.objects.register(
            mykad=data["mykad"],
            office=self.project.office,
            name=data["name"],
            date_of_birth=data["date_of_birth"],
            sex=data["sex"],
            phone=data["phone"],
            address=data["address"],
        )
        return super().save(commit)
