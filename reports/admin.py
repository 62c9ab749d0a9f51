"""Published editions and the offices' confirmations, shown to administrators as
they are: nobody adds, changes or deletes one here (nor anywhere else: the
models and the database refuse)."""

from django.contrib import admin

from reports.models import Edition, MonthConfirmation


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Edition)
class EditionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "table", "as_of", "version", "published_at", "published_by"]
    list_filter = ["table", "version"]
    search_fields = ["series", "note", "reason"]
    date_hierarchy = "published_at"
    list_select_related = ["published_by"]


@admin.register(MonthConfirmation)
class MonthConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["office", "month", "confirmed_at", "confirmed_by"]
    list_filter = ["month", "office__state"]
    search_fields = ["office__name", "office__code"]
    list_select_related = ["office", "confirmed_by"]
