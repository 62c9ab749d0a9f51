"""The search and filter boxes of the lists. Choices come from the user's scope."""

from datetime import date

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from homehelp.forms import OrganizationChoice, VolunteerChoice
from homehelp.models import Case, Organization, Visit, Volunteer
from welfare.filters import ChoiceByNameFilter, ListFilter
from welfare.forms import AnyYesNo, sort_choices
from welfare.people import search_q


def visible_volunteers(request):
    if request is None:
        return Volunteer.objects.none()
    return Volunteer.objects.visible_to(request.user)


def visible_organizations(request):
    if request is None:
        return Organization.objects.none()
    return Organization.objects.visible_to(request.user)


def volunteer_filter():
    """A volunteer typed by name, among those the user may see: a search box
    with suggestions, so that a state's or the country's volunteers (25,000 at
    national scale) are never written into the page."""
    return ChoiceByNameFilter(
        label=_("Volunteer"), queryset=visible_volunteers, field_class=VolunteerChoice
    )


def told_apart_for(filterset):
    """The volunteer filter shows what tells two volunteers apart as the
    person policy allows the user (VolunteerChoice)."""
    filterset.filters["volunteer"].extra["user"] = filterset.request.user


class OrganizationFilter(ListFilter):
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Organization
        fields = ["kind"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(registration_number__icontains=value)
            | Q(contact_person__icontains=value)
        )


class VolunteerFilter(ListFilter):
    LOADS = [("over", _("Over their caseload")), ("quiet", _("No visit in 30 days"))]

    q = django_filters.CharFilter(label=_("Search"), method="search")
    load = django_filters.ChoiceFilter(label=_("Follow-up"), choices=LOADS, method="filter_load")
    organization = ChoiceByNameFilter(
        label=_("Organisation"), queryset=visible_organizations, field_class=OrganizationChoice
    )
    active = django_filters.BooleanFilter(label=_("Active"), widget=AnyYesNo)
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[("person__name", "name"), ("trained_on", "trained"), ("open_cases", "cases")],
        empty_label=_("Usual order"),
        choices=sort_choices(
            ("name", _("Name")), ("trained", _("Trained on")), ("cases", _("Open cases"))
        ),  # fmt: skip
    )

    class Meta:
        model = Volunteer
        fields = ["organization", "active"]

    def search(self, queryset, name, value):
        return queryset.filter(search_q(self.request.user, value, "person__"))

    def filter_load(self, queryset, name, value):
        if value == "over":
            return queryset.over_caseload()
        return queryset.quiet(today=date.today())


class CaseFilter(ListFilter):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    # Any or yes: "no" would show the same cases as "any".
    due = django_filters.BooleanFilter(label=_("Overdue for a visit"), method="filter_due", widget=AnyYesNo(yes_only=True))  # fmt: skip
    waiting = django_filters.BooleanFilter(
        label=_("Waiting for a volunteer"), method="filter_waiting", widget=AnyYesNo(yes_only=True)
    )
    concern = django_filters.BooleanFilter(label=_("Open concern"), method="filter_concern", widget=AnyYesNo(yes_only=True))  # fmt: skip
    volunteer = volunteer_filter()
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[
            ("opened_on", "opened"),
            ("client__name", "client"),
            ("last_visited_on", "last-visit"),
            ("visit_due_on", "due"),
        ],
        empty_label=_("Usual order"),
        choices=sort_choices(
            ("opened", _("Opened")),
            ("client", _("Client")),
            ("last-visit", _("Last visit")),
            ("due", _("Next visit due")),
        ),  # fmt: skip
    )

    class Meta:
        model = Case
        fields = ["status", "client_type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        told_apart_for(self)

    def search(self, queryset, name, value):
        return queryset.filter(
            search_q(self.request.user, value, "client__") | Q(oku_card_number=value)
        )

    def filter_due(self, queryset, name, value):
        """The list's queryset carries with_visit_due_on()."""
        if value:
            return queryset.due_before(date.today())
        return queryset

    def filter_waiting(self, queryset, name, value):
        return queryset.waiting_for_volunteer() if value else queryset

    def filter_concern(self, queryset, name, value):
        return queryset.with_open_concern() if value else queryset


class VisitFilter(ListFilter):
    CONCERNS = [("open", _("Open concern")), ("resolved", _("Resolved concern"))]

    q = django_filters.CharFilter(label=_("Search"), method="search")
    concern = django_filters.ChoiceFilter(
        label=_("Concern"), choices=CONCERNS, method="filter_concern"
    )
    volunteer = volunteer_filter()
    visited_from = django_filters.DateFilter(
        label=_("Visited from"),
        field_name="visited_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    visited_until = django_filters.DateFilter(
        label=_("Visited until"),
        field_name="visited_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    office_path = "case__office"

    class Meta:
        model = Visit
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        told_apart_for(self)

    def search(self, queryset, name, value):
        return queryset.filter(search_q(self.request.user, value, "case__client__"))

    def filter_concern(self, queryset, name, value):
        if value == "open":
            return queryset.open_concerns()
        return queryset.filter(concern=True, concern_resolved_on__isnull=False)
