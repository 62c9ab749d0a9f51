"""The search and filter boxes of the lists. Choices come from the user's scope."""

from datetime import date

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from homehelp.models import Case, Organization, Visit, Volunteer
from welfare.people import search_q


def visible_volunteers(request):
    if request is None:
        return Volunteer.objects.none()
    return Volunteer.objects.visible_to(request.user).select_related("person")


def visible_organizations(request):
    if request is None:
        return Organization.objects.none()
    return Organization.objects.visible_to(request.user)


def offer_volunteer_choice_within_an_office(filterset):
    """The volunteers of a state or of the whole country are too many for a
    drop-down (25,000 at national scale, a megabyte of page); beyond one office,
    a volunteer's cases and visits are found on the volunteer's page."""
    if filterset.request is None or not filterset.request.user.is_district_officer:
        del filterset.filters["volunteer"]


class OrganizationFilter(django_filters.FilterSet):
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


class VolunteerFilter(django_filters.FilterSet):
    LOADS = [("over", _("Over their caseload")), ("quiet", _("No visit in 30 days"))]

    q = django_filters.CharFilter(label=_("Search"), method="search")
    load = django_filters.ChoiceFilter(label=_("Follow-up"), choices=LOADS, method="filter_load")
    organization = django_filters.ModelChoiceFilter(
        label=_("Organisation"), queryset=visible_organizations
    )
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[("person__name", "name"), ("trained_on", "trained"), ("open_cases", "cases")],
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


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    due = django_filters.BooleanFilter(label=_("Overdue for a visit"), method="filter_due")
    waiting = django_filters.BooleanFilter(
        label=_("Waiting for a volunteer"), method="filter_waiting"
    )
    concern = django_filters.BooleanFilter(label=_("Open concern"), method="filter_concern")
    volunteer = django_filters.ModelChoiceFilter(label=_("Volunteer"), queryset=visible_volunteers)
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[
            ("opened_on", "opened"),
            ("client__name", "client"),
            ("last_visited_on", "last-visit"),
            ("visit_due_on", "due"),
        ],
    )

    class Meta:
        model = Case
        fields = ["status", "client_type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_volunteer_choice_within_an_office(self)

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


class VisitFilter(django_filters.FilterSet):
    CONCERNS = [("open", _("Open concern")), ("resolved", _("Resolved concern"))]

    q = django_filters.CharFilter(label=_("Search"), method="search")
    concern = django_filters.ChoiceFilter(
        label=_("Concern"), choices=CONCERNS, method="filter_concern"
    )
    volunteer = django_filters.ModelChoiceFilter(label=_("Volunteer"), queryset=visible_volunteers)
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

    class Meta:
        model = Visit
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_volunteer_choice_within_an_office(self)

    def search(self, queryset, name, value):
        return queryset.filter(search_q(self.request.user, value, "case__client__"))

    def filter_concern(self, queryset, name, value):
        if value == "open":
            return queryset.open_concerns()
        return queryset.filter(concern=True, concern_resolved_on__isnull=False)
