from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from homehelp.models import Case
from programs.models import Participation, Project

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
