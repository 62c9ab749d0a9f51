from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from homehelp.models import Case
from programs.models import Participation, Project
from welfare.models import State

EVERY = [("", _("All"))]


class ProjectsReportForm(forms.Form):
    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    type = forms.ChoiceField(
        label=_("Project type"), required=False, choices=EVERY + Project.ProjectType.choices
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=EVERY + Project.Status.choices
    )
    target_group = forms.ChoiceField(
        label=_("Target group"),
        required=False,
        choices=EVERY + Participation.TargetGroup.choices,
    )
    hide_empty = forms.BooleanField(label=_("Hide states with nothing"), required=False)

    def clean_as_of(self):
        return self.cleaned_data["as_of"] or date.today()


class HomeHelpReportForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1994, max_value=2100)
    client_type = forms.ChoiceField(
        label=_("Client type"), required=False, choices=EVERY + Case.ClientType.choices
    )
    hide_empty = forms.BooleanField(label=_("Hide states with nothing"), required=False)

    def clean_year(self):
        return self.cleaned_data["year"] or date.today().year


class StateField(forms.ModelChoiceField):
    """A state by its code (MY-01 ... MY-16), as the files and links name it."""

    def __init__(self, **kwargs):
        super().__init__(
            State.objects.order_by("position"),
            to_field_name="code",
            required=False,
            label=_("State"),
            **kwargs,
        )


class ProjectsByOfficeForm(forms.Form):
    as_of = ProjectsReportForm.base_fields["as_of"]
    type = ProjectsReportForm.base_fields["type"]
    state = StateField(empty_label=_("Every office you may read"))
    hide_empty = forms.BooleanField(label=_("Hide rows with nothing"), required=False)

    clean_as_of = ProjectsReportForm.clean_as_of


class ProjectsByDistrictForm(forms.Form):
    """The office comes in the address (office=CODE) and is fetched in its scope."""

    as_of = ProjectsReportForm.base_fields["as_of"]
    type = ProjectsReportForm.base_fields["type"]

    clean_as_of = ProjectsReportForm.clean_as_of


class HomeHelpByOfficeForm(HomeHelpReportForm):
    state = StateField(empty_label=_("Every office you may read"))
    hide_empty = forms.BooleanField(label=_("Hide rows with nothing"), required=False)


class HomeHelpByOrganisationForm(HomeHelpReportForm):
    hide_empty = forms.BooleanField(label=_("Hide rows with nothing"), required=False)


class ConstituencyForm(HomeHelpReportForm):
    state = StateField(empty_label=_("All states"))
    hide_empty = forms.BooleanField(label=_("Hide rows with nothing"), required=False)


class MonthField(forms.DateField):
    """A month as YYYY-MM, cleaned to its first day."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")

    # The months the records can hold: a year before or after would reach past
    # what a date can be when a report steps a year back or a month on.
    FIRST_YEAR, LAST_YEAR = 1900, 9998

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m"], required=False, **kwargs)

    def clean(self, value):
        month = super().clean(value)
        if month and not self.FIRST_YEAR <= month.year <= self.LAST_YEAR:
            raise forms.ValidationError(
                _("Give a month from %(first)s to %(last)s.")
                % {"first": self.FIRST_YEAR, "last": self.LAST_YEAR}
            )
        return month


class MonthlyForm(forms.Form):
    """from and to (months, the last twelve by default) and a state; an office or
    an organisation comes in the address and is fetched in its scope."""

    MOST_MONTHS = 240
    field_order = ["from", "to", "state"]

    state = StateField(empty_label=_("Malaysia"))

    def __init__(self, data=None, **kwargs):
        if data is not None:  # the default months shown in the form, not left blank
            data = data.copy()
            last = date.today().replace(day=1)
            months = last.year * 12 + last.month - 1 - 11
            data.setdefault("to", f"{last:%Y-%m}")
            data.setdefault("from", f"{months // 12}-{months % 12 + 1:02d}")
        super().__init__(data, **kwargs)
        self.fields["from"] = MonthField(label=_("From"))
        self.fields["to"] = MonthField(label=_("To"))
        self.order_fields(self.field_order)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        last = cleaned.get("to") or date.today().replace(day=1)
        first = cleaned.get("from")
        if first is None:  # given empty: the twelve months to the last
            months = last.year * 12 + last.month - 1 - 11
            first = date(months // 12, months % 12 + 1, 1)
        if first > last:
            raise forms.ValidationError(_("The first month is after the last."))
        if (last.year - first.year) * 12 + last.month - first.month >= self.MOST_MONTHS:
            raise forms.ValidationError(_("Choose at most 20 years."))
        cleaned["from"], cleaned["to"] = first, last
        return cleaned
