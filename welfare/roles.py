"""What each role reaches: the checks of every page that reads or writes a
record, and the pages a volunteer's account may open. Which model permissions
each role holds is granted by each app's data migrations (0003_*)."""

from dataclasses import dataclass

from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


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
        user = request.user
        if not (user.is_authenticated and user.is_volunteer):
            return None
        match = request.resolver_match
        if getattr(view_func, "volunteer_page", False) or match.view_name in self.ACCOUNT_PAGES:
            return None
        if not getattr(view_func, "login_required", True) and "admin" not in match.namespaces:
            return None
        raise PermissionDenied


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
