import re

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from welfare.forms import AdminVersionedForm
from welfare.models import (
    AccessLog,
    Constituency,
    District,
    Office,
    PasswordResetRequest,
    Person,
    State,
    User,
)


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_ms", "position"]
    search_fields = ["code", "name_en", "name_ms"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "state"]
    list_filter = ["state"]
    list_select_related = ["state"]
    search_fields = ["code", "name"]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "state", "phone"]
    list_filter = ["state"]
    list_select_related = ["state"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["districts"]


@admin.register(Constituency)
class ConstituencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "state"]
    list_filter = ["state"]
    list_select_related = ["state"]
    search_fields = ["code", "name"]


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    """Shows deleted people too, so that they can be restored within the retention
    period; deleting here is the same soft deletion as on the person's page."""

    form = AdminVersionedForm

    list_display = ["name", "masked_mykad", "date_of_birth", "sex", "office", "deleted_at"]
    list_filter = [("deleted_at", admin.EmptyFieldListFilter), "sex", "office__state"]
    list_select_related = ["office"]
    search_fields = ["name", "mykad", "phone"]
    autocomplete_fields = ["office"]
    readonly_fields = ["created_at", "updated_at", "deleted_at", "deleted_by"]
    history_list_display = ["ip_address"]
    actions = ["restore"]

    def get_queryset(self, request):
        return Person.all_objects.select_related("office")

    @admin.display(description=_("MyKad number"), ordering="mykad")
    def masked_mykad(self, person):
        return person.masked_mykad

    def delete_model(self, request, person):
        person.soft_delete(by=request.user)

    def delete_queryset(self, request, queryset):
        for person in queryset.filter(deleted_at__isnull=True):
            person.soft_delete(by=request.user)

    @admin.action(description=_("Restore the selected deleted people"))
    def restore(self, request, queryset):
        people = list(queryset.deleted().restorable(now=timezone.now()))
        for person in people:
            person.restore()
        self.message_user(
            request,
            ngettext("%(count)d person restored.", "%(count)d people restored.", len(people))
            % {"count": len(people)},
            messages.SUCCESS,
        )


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "office", "state", "is_active"]
    list_filter = ["groups", "is_superuser", "is_active", "state"]
    list_select_related = ["office", "state"]
    autocomplete_fields = ["office", "state"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Office and state"), {"fields": ["office", "state", "language"]}),
    ]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Who saw or exported a person: search by MyKad (with or without dashes) or
    name; read only."""

    list_display = ["at", "user", "action", "object_type", "object_id", "person", "ip_address"]
    list_filter = ["action", "object_type", "at", "user__office__state"]
    list_select_related = ["user", "person"]
    search_fields = ["person__mykad", "person__name", "user__username", "ip_address"]
    date_hierarchy = "at"
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        if re.fullmatch(r"[0-9 -]+", search_term):
            search_term = re.sub(r"[ -]", "", search_term)
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(admin.ModelAdmin):
    """The reset links asked for in the last day, to see a flood; read only."""

    list_display = ["requested_at", "email", "ip_address"]
    search_fields = ["email", "ip_address"]
    date_hierarchy = "requested_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
