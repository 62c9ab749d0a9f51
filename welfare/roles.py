"""What each role reaches: the checks of every page that reads or writes a
record, and the pages a volunteer's account may open. Which model permissions
each role holds is granted by each app's data migrations (0003_*)."""

from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404


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
