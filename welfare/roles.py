"""What each role reaches: the checks of every page that reads or writes a
record, the pages a volunteer's account may open, and a user's roles and
permissions read once per process rather than on every request. Which model
permissions each role holds is granted by each app's data migrations (0003_*)."""

import functools
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_permission_codename, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_migrate, post_save, pre_delete
from django.dispatch import receiver
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from welfare.middleware import is_public_page
from welfare.models import new_roles_stamp


def require_permission(user, action, model):
    """403 unless the user's role may `action` ("add", "change", "delete") a
    `model`: read-only roles (state officers, HQ) see records but keep none."""
    opts = model._meta
    if not user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}"):
        raise PermissionDenied


def get_in_scope(request, queryset, **lookup):
    """The record if the user may see it, else 404: another office's records
    do not exist for them, so that a 403 never confirms what is there."""
    return get_object_or_404(queryset.visible_to(request.user), **lookup)


def get_to_change(request, queryset, action="change", **lookup):
    """The record to act on: 404 outside the user's scope, then 403 when the
    role may not `action` it. The pair every page that writes uses, in this order."""
    record = get_in_scope(request, queryset, **lookup)
    require_permission(request.user, action, queryset.model)
    return record


def volunteer_page(view_func):
    """Marks a view that a volunteer's account may open (the phone page): every
    other page answers 403 to volunteers (VolunteerPagesMiddleware)."""
    view_func.volunteer_page = True
    return view_func


class VolunteerPagesMiddleware:
    """Volunteers are the least-trusted users: their accounts reach the views
    marked @volunteer_page, the public pages (those open without signing in,
    but not the admin's), signing out and their own password, and nothing else.
    Deny by default, so that a page added later stays closed to them until marked."""

    ACCOUNT_PAGES = {"logout", "password_change", "password_change_done", "set_language"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if getattr(view_func, "volunteer_page", False) or match.view_name in self.ACCOUNT_PAGES:
            return None
        if is_public_page(request, view_func):  # before the user: no session read for it
            return None
        user = request.user
        if user.is_authenticated and user.is_volunteer:
            raise PermissionDenied
        return None


# --- A user's roles and permissions, read once per process -------------------
#
# Every signed-in request asked the database for the user's groups (the roles
# decide what the user sees) and a page with buttons for their permissions (two
# queries more). They are read once per process and user instead, and kept under
# the user's `roles_changed` stamp, which every change of the user's groups,
# their permissions or a group's permissions sets anew (the receivers below, in
# the change's transaction). The users row is read on every request anyway: a
# changed stamp is a key this process has not seen, so a change reaches every
# server at its next request, and a cached entry cannot outlive the roles it
# was read from. The stamp is a time in nanoseconds, not a counter, so that a
# change rolled back cannot give its stamp to a later, different change.


class Roles(NamedTuple):
    names: frozenset  # the names of the user's groups (welfare.models.Role)
    permissions: frozenset  # "app_label.codename", the user's own and their groups'


def roles_of(user):
    return _read_roles(user.pk, user.roles_changed)


@functools.lru_cache(maxsize=20_000)
def _read_roles(user_pk, roles_changed):
    names = Group.objects.filter(user=user_pk).values_list("name", flat=True)
    # Each permission once, found through the user's groups or their own: two
    # subqueries, not an OR across both joins, whose DISTINCT sorted every
    # pairing (at S: 1.6 ms instead of 3).
    User = get_user_model()
    permissions = (
        Permission.objects.filter(
            Q(
                pk__in=Group.permissions.through.objects.filter(group__user=user_pk).values(
                    "permission"
                )
            )
            | Q(
                pk__in=User.user_permissions.through.objects.filter(user=user_pk).values(
                    "permission"
                )
            )
        )
        .values_list("content_type__app_label", "codename")
        .order_by()
    )
    return Roles(frozenset(names), frozenset(f"{app}.{codename}" for app, codename in permissions))


class RolesBackend(ModelBackend):
    """Django's ModelBackend, answering has_perm() from roles_of(): no queries
    on a request whose user's roles this process has read before."""

    def get_user(self, user_id):
        """The request's user, with the office and state that every page's
        menu names (one query, not three)."""
        User = get_user_model()
        try:
            user = User._default_manager.select_related("office", "state").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:  # every permission, as ModelBackend lists them
            return super().get_all_permissions(user_obj)
        return set(roles_of(user_obj).permissions)


def roles_changed(users):
    """Gives these users (a queryset) a new stamp: their roles are read again."""
    stamp = new_roles_stamp()
    users.update(roles_changed=stamp)
    return stamp


def forget_roles(user, stamp):
    """A User object whose roles changed under it reads them again."""
    user.roles_changed = stamp
    user.__dict__.pop("role_names", None)
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


def users_in_groups(groups):
    return get_user_model().objects.filter(groups__in=groups)


@receiver(
    m2m_changed,
    sender=get_user_model().groups.through,
    dispatch_uid="welfare.roles.user_roles_changed.groups",
)
@receiver(
    m2m_changed,
    sender=get_user_model().user_permissions.through,
    dispatch_uid="welfare.roles.user_roles_changed",
)
def user_roles_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """user.groups or user.user_permissions changed (or group.user_set,
    permission.user_set: `reverse`)."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    User = get_user_model()
    if not reverse:
        forget_roles(instance, roles_changed(User.objects.filter(pk=instance.pk)))
    elif action == "pre_clear":  # the users are gone by post_clear
        field = "groups" if isinstance(instance, Group) else "user_permissions"
        roles_changed(User.objects.filter(**{field: instance}))
    else:
        roles_changed(User.objects.filter(pk__in=pk_set))


@receiver(
    m2m_changed,
    sender=Group.permissions.through,
    dispatch_uid="welfare.roles.group_permissions_changed",
)
def group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        roles_changed(users_in_groups([instance.pk]))
    elif action == "pre_clear":
        roles_changed(users_in_groups(instance.group_set.all()))
    else:
        roles_changed(users_in_groups(pk_set))


@receiver(post_save, sender=Group, dispatch_uid="welfare.roles.group_saved")
def group_saved(sender, instance, created, **kwargs):
    """A renamed group is another role (or none)."""
    if not created:
        roles_changed(users_in_groups([instance.pk]))


@receiver(pre_delete, sender=Group, dispatch_uid="welfare.roles.group_deleted")
def group_deleted(sender, instance, **kwargs):
    # In the deletion's transaction, before its rows and their links go.
    roles_changed(users_in_groups([instance.pk]))


@receiver(pre_delete, sender=Permission, dispatch_uid="welfare.roles.permission_deleted")
def permission_deleted(sender, instance, **kwargs):
    User = get_user_model()
    roles_changed(
        User.objects.filter(Q(groups__permissions=instance) | Q(user_permissions=instance))
    )


@receiver(post_migrate, dispatch_uid="welfare.roles.migrated")
def migrated(sender, using, apps=None, **kwargs):
    """Data migrations grant permissions without sending the signals above."""
    if sender.label != "welfare":
        return
    User = apps.get_model("welfare", "User") if apps else get_user_model()
    if any(field.name == "roles_changed" for field in User._meta.fields):
        User.objects.using(using).update(roles_changed=new_roles_stamp())


@receiver(user_logged_in, dispatch_uid="welfare.roles.read_roles_at_sign_in")
def read_roles_at_sign_in(sender, user, **kwargs):
    """The sign-in's process reads them now, not on the first page."""
    roles_of(user)


# --- The menu -------------------------------------------------------------------
#
# Each entry names the permission that its page checks (or, for a list, the
# view permission its records need), so that the menu shows a role what the
# grants above give it and nothing more. An entry is current on the pages whose
# URL names start with one of its prefixes.


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    permission: str
    prefixes: tuple = ()
    query: str = ""


OPEN_A_CASE = MenuEntry(_("Open a case"), "homehelp:case-create", "homehelp.add_case")
NEW_PROJECT = MenuEntry(_("New project"), "programs:project-create", "programs.add_project")
# Sections: (label, the lists, the pages that add a record).
MENU = [
    (
        _("Home help"),
        [
            MenuEntry(
                _("Worklist"),
                "homehelp:worklist",
                "homehelp.view_case",
                ("homehelp:worklist", "homehelp:held-"),
            ),  # fmt: skip
            MenuEntry(
                _("Cases"),
                "homehelp:case-list",
                "homehelp.view_case",
                ("homehelp:case-", "homehelp:referral-"),
            ),  # fmt: skip
            MenuEntry(
                _("Visits"), "homehelp:visit-list", "homehelp.view_visit", ("homehelp:visit-",)
            ),  # fmt: skip
            MenuEntry(
                _("Volunteers"),
                "homehelp:volunteer-list",
                "homehelp.view_volunteer",
                ("homehelp:volunteer-",),
            ),  # fmt: skip
            MenuEntry(
                _("Organisations"),
                "homehelp:organization-list",
                "homehelp.view_organization",
                ("homehelp:organization-",),
            ),  # fmt: skip
        ],
        [
            OPEN_A_CASE,
            MenuEntry(_("Add volunteer"), "homehelp:volunteer-create", "homehelp.add_volunteer"),
            MenuEntry(
                _("Add organisation"), "homehelp:organization-create", "homehelp.add_organization"
            ),  # fmt: skip
        ],
    ),
    (
        _("Programmes"),
        [
            MenuEntry(
                _("Projects"), "programs:project-list", "programs.view_project", ("programs:",)
            )
        ],  # fmt: skip
        [NEW_PROJECT],
    ),
]
# The day's new records, one click from any page (the bar below the header).
ACTIONS = [
    OPEN_A_CASE,
    # A visit belongs to a case: the open cases, the longest due first, each with
    # its visit form on its page.
    MenuEntry(
        _("Record a visit"),
        "homehelp:case-list",
        "homehelp.add_visit",
        query="status=active&sort=due",
    ),  # fmt: skip
    NEW_PROJECT,
]


def menu_for(user, view_name):
    """The sections, their entries and the actions `user` may use, each as
    {label, url, current}; none for volunteers, whose menu is their phone page."""
    if not user.is_authenticated or user.is_volunteer:
        return {}

    def shown(entries):
        return [
            {
                "label": entry.label,
                "url": reverse(entry.url_name) + (f"?{entry.query}" if entry.query else ""),
                "current": any(view_name.startswith(prefix) for prefix in entry.prefixes),
            }
            for entry in entries
            if user.has_perm(entry.permission)
        ]

    sections = []
    for label, lists, adds in MENU:
        if entries := shown(lists):
            current = any(entry["current"] for entry in entries)
            sections.append({"label": label, "entries": entries, "adds": shown(adds), "current": current})  # fmt: skip
    # Reports read the figures of the user's scope (reports.queries): every role
    # with one has them.
    has_scope = user.sees_all_offices or user.is_state_officer or user.is_district_officer
    reports = {"url": reverse("reports:index"), "current": view_name.startswith("reports:")}
    return {
        "home_current": view_name == "home",
        "sections": sections,
        "actions": shown(ACTIONS),
        "reports": has_scope and reports,
    }
