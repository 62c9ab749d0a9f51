"""Sign-in policy: a sign-in lasts 12 hours at most (idle sessions end earlier,
after SESSION_COOKIE_AGE), and HQ users and administrators confirm a second factor
before they see anything. Input no view could read (control characters, admin dates
outside the calendar) is refused with 400."""

import functools
import ipaddress
import re
import time
from datetime import MAXYEAR, MINYEAR, date

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.dispatch import receiver
from django.urls import reverse

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# The idle timer is renewed at most once a minute, not with a database write per request.
RENEW_EVERY_SECONDS = 60


def client_address(request):
    """The address a request came from: REMOTE_ADDR, unless BEHIND_PROXY is on and
    the request came from one of TRUSTED_PROXIES. Then X-Forwarded-For is read
    from its end, where each proxy appended the address it was sent from, back to
    the first address that is not a trusted proxy: the client. The entries before
    it are whatever the client chose to send, and a request that reached the app
    directly has its X-Forwarded-For ignored altogether."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY and is_trusted_proxy(address):
        for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            if not valid_address(hop.strip()):
                break  # a proxy that adds a name or garbage is not followed further
            address = hop.strip()
            if not is_trusted_proxy(address):
                break
    return valid_address(address)


def valid_address(text):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def is_trusted_proxy(address):
    address = valid_address(address)
    return address is not None and any(
        ipaddress.ip_address(address) in network
        for network in trusted_networks(tuple(settings.TRUSTED_PROXIES))
    )


@functools.cache
def trusted_networks(entries):
    """TRUSTED_PROXIES as networks (an address is a network of one); entries that
    are neither fail the system check welfare.E005 and are left out here."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            pass
    return networks


def needs_second_factor(user):
    """OTP_REQUIRED_ROLES names groups, and "administrator" for superusers and staff."""
    roles = set(settings.OTP_REQUIRED_ROLES)
    if "administrator" in roles and (user.is_superuser or user.is_staff):
        return True
    groups = roles - {"administrator"}
    return bool(groups) and bool(groups & user.role_names)


@receiver(user_logged_in, dispatch_uid="welfare.middleware.remember_sign_in_time")
def remember_sign_in_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = request.session[SEEN_AT] = int(time.time())


def is_public(view_func):
    """A view open without signing in (@login_not_required)."""
    return not getattr(view_func, "login_required", True)


def is_public_page(request, view_func):
    """A public view outside the admin: the admin's views are marked
    @login_not_required by Django, which asks for the sign-in itself."""
    return is_public(view_func) and "admin" not in request.resolver_match.namespaces


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, looking at the view's @login_not_required before the user:
    Django's reads the session and the user first, for public pages too."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_public(view_func):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class SignInPolicyMiddleware:
    """The sign-in's limits and the second factor, checked before a view that
    needs a signed-in user. Public pages (@login_not_required: the sign-in
    page, the statistics...) are served without reading the session for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_public_page(request, view_func):
            return None
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            signed_in_at = request.session.get(SIGNED_IN_AT, 0)
            if now - signed_in_at > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                return redirect_to_login(request.get_full_path())
            if now - request.session.get(SEEN_AT, 0) > RENEW_EVERY_SECONDS:
                request.session[SEEN_AT] = now  # saves the session, renewing its expiry
            if (
                needs_second_factor(user)
                and not user.is_verified()
                and request.path not in self.open_before_second_factor()
            ):
                return redirect_to_login(request.get_full_path(), reverse("second-factor"))
        return None

    @staticmethod
    def open_before_second_factor():
        return {reverse("second-factor"), reverse("logout"), reverse("set_language")}


# C0 and C1 control characters and DEL; not the tab, line feed and carriage return
# that a textarea sends. PostgreSQL refuses a NUL in any text (it was a 500), and
# none of the others belongs in a name, a search or a note.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
DATE_PART = re.compile(r"^(?P<field>.+)__(?P<part>year|month|day)$")


def has_control_characters(parameters):
    return any(
        CONTROL_CHARACTERS.search(key) or any(CONTROL_CHARACTERS.search(v) for v in values)
        for key, values in parameters.lists()
    )


def has_impossible_dates(parameters):
    """The admin's date hierarchy (`?at__year=2026&at__month=3`) lists from that
    date to the start of the next year, month or day. Django refuses a date that
    cannot be, by sending the user back to the whole list, but answered 500 for
    the last year Python's dates hold (9999, whose next year does not exist), for
    the first (1, whose first hours in UTC fall before it, on SQLite) and for a
    number too large for a date."""
    dates = {}
    for key, value in parameters.items():
        if match := DATE_PART.match(key):
            dates.setdefault(match["field"], {})[match["part"]] = value
    for parts in dates.values():
        try:
            day = date(
                int(parts.get("year", 1)), int(parts.get("month", 1)), int(parts.get("day", 1))
            )
        except (ValueError, OverflowError):
            return True
        if day.year >= MAXYEAR or day.year <= MINYEAR:
            return True
    return False


class RefuseUnreadableInputMiddleware:
    """400 Bad Request, before any view reads them, for a control character in a
    query parameter or a posted form field (uploaded files are the imports' to
    check), and for an admin list's date outside the calendar. One check here
    covers every search, filter and form: a check per form field would miss the
    parameters that views and the admin read themselves, and the date hierarchies
    of the admins that other apps (django-axes) register."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_control_characters(request.GET) or (
            request.method == "POST" and has_control_characters(request.POST)
        ):
            # Answered by handler400 (welfare.views.bad_request), logged as a warning.
            raise BadRequest("A control character in a parameter or form field.")
        if request.GET and has_impossible_dates(request.GET) and self.in_admin(request):
            raise BadRequest("An admin date outside the calendar.")
        return self.get_response(request)

    @staticmethod
    def in_admin(request):
        return request.path.startswith(reverse("admin:index"))
