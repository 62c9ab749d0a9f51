import re

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp import admin as otp_totp_admin  # noqa: F401 (replaced below)
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from welfare.forms import AdminVersionedForm
from welfare.models import (
    AccessLog,
    Constituency,
    District,
    Office,
    PasswordResetRequest,
    Person,
    SecondFactorEnrolment,
    State,
    User,
)


class MyKadSearch:
    """Admin searches find a MyKad typed with dashes or spaces (stored as 12 digits).
    The admin's search matches any part of a field: only administrators search by
    MyKad, since part of a number must not complete a masked one (welfare.people)."""

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if request.user.is_superuser:
            return fields
        return [field for field in fields if not field.endswith("mykad")]

    def get_search_results(self, request, queryset, search_term):
        if re.fullmatch(r"[0-9 -]+", search_term.strip()):
            search_term = re.sub(r"[ -]", "", search_term)
        return super().get_search_results(request, queryset, search_term)


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
class PersonAdmin(MyKadSearch, SimpleHistoryAdmin):
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


class UserForm(UserChangeForm):
    def _post_clean(self):
        # User.clean() checks the roles the form is about to give, not the ones
        # saved before (the groups are saved after the user).
        if "groups" in self.cleaned_data:
            groups = {group.name for group in self.cleaned_data["groups"]}
            self.instance.__dict__["role_names"] = groups
        super()._post_clean()


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserForm
    list_display = ["username", "first_name", "last_name", "office", "state", "is_active"]
    list_filter = ["groups", "is_superuser", "is_active", "state"]
    list_select_related = ["office", "state"]
    autocomplete_fields = ["office", "state"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Office and state"), {"fields": ["office", "state", "language"]}),
    ]
    actions = ["issue_second_factor_enrolment"]

    @admin.action(
        description=_("Issue a second-factor enrolment to the selected users"),
        permissions=["change"],
    )
    def issue_second_factor_enrolment(self, request, queryset):
        """The only way an account gets an authenticator app, besides replacing the
        one it has: the administrator never sees the key, the user is shown it once."""
        users = list(queryset)
        for user in users:
            enrolment = SecondFactorEnrolment.objects.issue(user, by=request.user)
            self.log_change(request, user, gettext("Issued a second-factor enrolment."))
        if users:
            self.message_user(
                request,
                _(
                    "Enrolment issued to %(users)s. Ask them to sign in before %(date)s: "
                    "the page after the password shows them the key of their new app, once."
                )
                % {
                    "users": ", ".join(user.username for user in users),
                    "date": date_format(timezone.localtime(enrolment.expires_at), "d/m/Y H:i"),
                },
                messages.SUCCESS,
            )


@admin.register(SecondFactorEnrolment)
class SecondFactorEnrolmentAdmin(admin.ModelAdmin):
    """Enrolments issued and their state; issued from the users' list, never shown
    here with their key. Deleting an unconfirmed one withdraws it."""

    list_display = ["user", "issued_by", "issued_at", "expires_at", "shown_at", "confirmed_at"]
    list_select_related = ["user", "issued_by"]
    search_fields = ["user__username"]
    fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# django-otp's own admin shows each device's key and QR code and adds devices with
# a key typed in: here devices are only listed, and deleted when a phone is lost.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(MyKadSearch, admin.ModelAdmin):
    """Who saw or exported a person: search by MyKad (with or without dashes) or
    name; read only."""

    list_display = [
        "at",
        "user",
        "action",
        "object_type",
        "object_id",
        "person",
        "ip_address",
        "reason",
    ]
    list_filter = ["action", "object_type", "at", "user__office__state"]
    list_select_related = ["user", "person"]
    search_fields = ["person__mykad", "person__name", "user__username", "ip_address"]
    date_hierarchy = "at"
    show_full_result_count = False

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
