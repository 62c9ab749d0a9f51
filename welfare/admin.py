from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from welfare.models import Constituency, District, Office, Person, State, User


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
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "masked_mykad", "date_of_birth", "sex", "office"]
    list_filter = ["sex", "office__state"]
    list_select_related = ["office"]
    search_fields = ["name", "mykad", "phone"]
    autocomplete_fields = ["office"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description=_("MyKad number"), ordering="mykad")
    def masked_mykad(self, person):
        return person.masked_mykad


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
