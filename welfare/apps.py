import ipaddress

import openpyxl
from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class WelfareConfig(AppConfig):
    name = "welfare"
    verbose_name = _("Offices and people")

    def ready(self):
        from django.db.backends.signals import connection_created

        from welfare.people import sqlite_unaccent

        checks.register(check_settings, checks.Tags.security)
        connection_created.connect(sqlite_unaccent, dispatch_uid="welfare.sqlite_unaccent")
        # Their receivers connect on import, each once (dispatch_uid).
        from welfare import audit, middleware, roles  # noqa: F401


def secret_key():
    """The signing key, or "" when unset (Django refuses to read an empty one)."""
    try:
        return settings.SECRET_KEY
    except ImproperlyConfigured:
        return ""


def check_settings(app_configs, **kwargs):
    errors = []
    if not settings.DEBUG and not settings.ALLOWED_HOSTS:
        errors.append(checks.Error("ALLOWED_HOSTS is empty while DEBUG is off.", id="welfare.E001"))
    # An empty key is left to the servers, which refuse to start (welfare/wsgi.py),
    # and to Django's own check --deploy (security.W009): commands that sign
    # nothing, such as makemigrations --check, run without one.
    if not settings.DEBUG and secret_key().startswith("django-insecure"):
        errors.append(checks.Error("SECRET_KEY is the development default.", id="welfare.E002"))
    if settings.BEHIND_PROXY and not settings.TRUSTED_PROXIES:
        errors.append(
            checks.Error(
                "BEHIND_PROXY is on but TRUSTED_PROXIES is empty.",
                hint="List the proxies' addresses or networks in TRUSTED_PROXIES: "
                "X-Forwarded-For is read only from them.",
                id="welfare.E004",
            )
        )
    for entry in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            errors.append(
                checks.Error(
                    f"TRUSTED_PROXIES: {entry!r} is not an address or a network.",
                    id="welfare.E005",
                )
            )
    if not openpyxl.DEFUSEDXML:
        errors.append(
            checks.Error(
                "openpyxl does not parse with defusedxml: imports would expand XML entities.",
                hint="Install the requirements (defusedxml); do not set OPENPYXL_DEFUSEDXML=False.",
                id="welfare.E003",
            )
        )
    locale = settings.BASE_DIR / "locale" / "ms" / "LC_MESSAGES" / "django.mo"
    if not locale.exists():
        errors.append(
            checks.Warning(
                "The Bahasa Melayu catalogue is not compiled.",
                hint="Run `python manage.py compilemessages`.",
                id="welfare.W001",
            )
        )
    return errors
