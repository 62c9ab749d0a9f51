import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from welfare.audit import history_in_words, record_access
from welfare.forms import PasswordResetForm, PersonForm
from welfare.models import AccessLog, Person


def home(request):
    if request.user.is_district_officer:
        return redirect("homehelp:worklist")
    return render(request, "welfare/home.html")


@login_not_required
def about(request):
    return render(request, "welfare/about.html")


@login_not_required
def sign_in(request):
    """Django's LoginView, which then brings back the language the user chose before."""
    response = LoginView.as_view()(request)
    if request.user.is_authenticated and request.user.language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            request.user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@login_not_required
def password_reset(request):
    """Django's PasswordResetView, with the mails limited (PasswordResetForm)."""
    return PasswordResetView.as_view(form_class=PasswordResetForm)(request)


@login_not_required
@require_POST
def language_switch(request):
    """Django's set_language, which also remembers the choice on the user's profile."""
    response = set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


def person_detail(request, pk):
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    details = Person.objects.recorded_in_scope_of(request.user).filter(pk=pk).exists()
    record_access(request, AccessLog.Action.VIEW, person, people=[person])
    # The history shows old addresses and phones: only to those shown the details.
    history = history_in_words(person) if details else None
    return render(
        request,
        "welfare/person_detail.html",
        {"person": person, "details": details, "history": history},
    )


def get_person_to_change(request, pk, action):
    """Only the offices that recorded a person change their details; a person
    reached through another office's record is 404, a read-only role 403."""
    person = get_object_or_404(Person.objects.recorded_in_scope_of(request.user), pk=pk)
    if not request.user.has_perm(f"welfare.{action}_person"):
        raise PermissionDenied
    return person


def person_edit(request, pk):
    person = get_person_to_change(request, pk, "change")
    form = PersonForm(request.POST or None, instance=person)
    if form.is_valid() and form.save_unless_conflict():
        messages.success(request, _("Details saved."))
        return redirect(person)
    return render(
        request,
        "welfare/person_form.html",
        {"form": form, "person": person},
        status=form.status_code,
    )


def person_delete(request, pk):
    person = get_person_to_change(request, pk, "delete")
    records = person.programme_records()
    if request.method == "POST" and not records:
        person.soft_delete(by=request.user)
        messages.success(
            request,
            _("%(name)s was deleted. An administrator can restore the record until %(date)s.")
            % {
                "name": person.name,
                "date": localtime(person.restorable_until).strftime("%d/%m/%Y"),
            },
        )
        return redirect("home")
    return render(
        request,
        "welfare/person_delete.html",
        {"person": person, "records": records, "retention_days": settings.PERSON_RETENTION_DAYS},
    )


def guide(request):
    """The administrators' guide: roles, adding an officer, the audit trail, breaches."""
    if not request.user.is_staff:
        raise PermissionDenied
    return render(request, "welfare/guide.html", {"retention_days": settings.PERSON_RETENTION_DAYS})


@login_not_required
@transaction.non_atomic_requests
def health(request):
    """For the load balancer: 200 while the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"database": "unavailable"}, status=503)
    return JsonResponse({"database": "ok"})


def server_error(request):
    """A database that cannot be reached is a temporary outage (503), not a bug;
    the page is drawn without touching the database. A connection lost during a
    query whose error Django swallows (a check constraint validated on save) shows
    at the next query as InterfaceError, "connection already closed": an outage too."""
    if isinstance(sys.exc_info()[1], DatabaseError | InterfaceError):
        page = loader.get_template("503.html").render()
        return HttpResponse(page, status=503, headers={"Retry-After": "30"})
    return defaults.server_error(request)
