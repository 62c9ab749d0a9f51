from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from programs.models import Activity, Objective, Participation, Project
from welfare.admin import MyKadSearch
from welfare.forms import AdminVersionedForm


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["position", "name_en", "name_ms"]
    search_fields = ["name_en", "name_ms"]


class ParticipationInline(admin.TabularInline):
    model = Participation
    fields = ["person", "target_group", "joined_on", "left_on"]
    autocomplete_fields = ["person"]
    extra = 0


class ActivityInline(admin.TabularInline):
    model = Activity
    fields = ["date", "summary", "attendance"]
    extra = 0


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    form = AdminVersionedForm
    list_display = [
        "name",
        "project_type",
        "status",
        "office",
        "district",
        "start_date",
        "end_date",
    ]
    list_filter = ["project_type", "status", "office__state", "start_date"]
    list_select_related = ["office", "district"]
    search_fields = ["name", "office__name", "district__name"]
    autocomplete_fields = ["office", "district", "officer_in_charge"]
    filter_horizontal = ["objectives"]
    date_hierarchy = "start_date"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ParticipationInline, ActivityInline]


@admin.register(Participation)
class ParticipationAdmin(MyKadSearch, admin.ModelAdmin):
    list_display = ["person", "project", "target_group", "joined_on", "left_on"]
    list_filter = ["target_group", "project__project_type", "project__office__state"]
    list_select_related = ["person", "project"]
    search_fields = ["person__name", "person__mykad", "project__name"]
    autocomplete_fields = ["project", "person"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["date", "project", "attendance"]
    list_filter = ["project__office__state", "date"]
    list_select_related = ["project"]
    search_fields = ["summary", "project__name"]
    autocomplete_fields = ["project"]
    date_hierarchy = "date"
