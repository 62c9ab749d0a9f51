from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from homehelp.models import Case, HeldVisit, Organization, Referral, Service, Visit, Volunteer
from welfare.admin import MyKadSearch
from welfare.forms import AdminVersionedForm


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "registration_number", "kind", "office", "contact_person", "phone"]
    list_filter = ["kind", ("office", admin.EmptyFieldListFilter), "office__state"]
    list_select_related = ["office"]
    search_fields = ["name", "registration_number", "contact_person"]
    autocomplete_fields = ["office"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "__str__", "position"]
    search_fields = ["code"]


@admin.register(Volunteer)
class VolunteerAdmin(MyKadSearch, SimpleHistoryAdmin):
    list_display = ["person", "organization", "office", "trained_on", "active", "max_cases"]
    list_filter = ["active", "organization__kind", "office__state", "organization"]
    list_select_related = ["person", "organization", "office"]
    search_fields = ["person__name", "person__mykad", "organization__name"]
    autocomplete_fields = ["person", "organization", "office"]


class VisitInline(admin.TabularInline):
    model = Visit
    extra = 0
    fields = ["visited_on", "volunteer", "minutes", "services", "concern", "concern_resolved_on"]
    autocomplete_fields = ["volunteer"]


@admin.register(Case)
class CaseAdmin(MyKadSearch, SimpleHistoryAdmin):
    form = AdminVersionedForm
    list_display = ["client", "client_type", "office", "volunteer", "status", "opened_on"]
    list_filter = ["status", "client_type", "living_arrangement", "office__state"]
    list_select_related = ["client", "office", "volunteer__person"]
    search_fields = ["client__name", "client__mykad", "oku_card_number"]
    autocomplete_fields = ["client", "office", "constituency", "volunteer"]
    date_hierarchy = "opened_on"
    filter_horizontal = ["needs"]
    inlines = [VisitInline]


@admin.register(Visit)
class VisitAdmin(MyKadSearch, SimpleHistoryAdmin):
    list_display = ["case", "volunteer", "visited_on", "minutes", "concern", "concern_resolved_on"]
    list_filter = ["concern", "visited_on", "case__office__state"]
    list_select_related = ["case__client", "volunteer__person"]
    search_fields = ["case__client__name", "case__client__mykad", "volunteer__person__name"]
    autocomplete_fields = ["case", "volunteer", "concern_resolved_by"]
    filter_horizontal = ["services"]
    date_hierarchy = "visited_on"

    # Each case keeps the day of its latest visit (Case.last_visited_on): Visit.save()
    # and delete() see to it one at a time; the bulk delete skips them.
    def delete_queryset(self, request, queryset):
        cases = list(queryset.values_list("case", flat=True).distinct())
        super().delete_queryset(request, queryset)
        Case.objects.filter(pk__in=cases).refresh_last_visited_on()


@admin.register(HeldVisit)
class HeldVisitAdmin(admin.ModelAdmin):
    list_display = ["case", "volunteer", "visited_on", "minutes", "sent_at", "decided_on"]
    list_filter = ["decided_on", "case__office__state"]
    list_select_related = ["case__client", "volunteer__person"]
    search_fields = ["case__client__name", "volunteer__person__name"]
    autocomplete_fields = ["case", "volunteer", "decided_by", "visit"]
    filter_horizontal = ["services"]


@admin.register(Referral)
class ReferralAdmin(SimpleHistoryAdmin):
    list_display = ["case", "clinic", "sent_on", "status", "closed_on"]
    list_filter = ["status", "case__office__state"]
    list_select_related = ["case__client"]
    search_fields = ["case__client__name", "clinic"]
    autocomplete_fields = ["case"]
