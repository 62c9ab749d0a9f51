import sys

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from welfare import people
from welfare.audit import history_in_words
from welfare.forms import (
    ConstituencyChoice,
    DistrictChoice,
    OfficeChoice,
    PasswordResetForm,
    PersonForm,
    suggestions_response,
)
from welfare.models import Constituency, District, Office, Person, office_scope_for
from welfare.replica import reads_from_replica
from welfare.roles import get_in_scope, get_to_change, volunteer_page


@volunteer_page
@reads_from_replica
def home(request):
    if request.user.is_volunteer:
        return redirect("homehelp:my")
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


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revealing the full MyKad number"),
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the access log and shown on this page."),
    )


SEARCH_PAGE_SIZE = 20


def search(request):
    """The header's search box: people by every word of the name, or by MyKad as
    the person policy allows, each with the records the user may see."""
    text = request.GET.get("q", "").strip()[:100]
    page = None
    if text:
        found = Person.objects.visible_to(request.user).filter(people.search_q(request.user, text))
        page = Paginator(found.order_by("name", "pk"), SEARCH_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        page.object_list = people.with_records(request.user, page.object_list)
        people.shown_in_list(request, page.object_list, searched_as="search: people")
    return render(request, "welfare/search.html", {"q": text, "page_obj": page})


def person_detail(request, pk, reveal_form=None, revealed=None):
    person = get_in_scope(request, Person.objects, pk=pk)
    people.with_records(request.user, [person])
    details = people.disclosure_for(request).full_details(person)
    people.log_access(request.user, [person], person)
    may_reveal = not details and people.may_reveal(request.user, person)
    context = {
        "person": person,
        "details": details,
        # The history shows old addresses and phones: only to those shown the details.
        "history": history_in_words(person) if details else None,
        "may_change": people.may_change(request.user, person),
        "may_delete": people.may_change(request.user, person, "delete"),
        "may_take_over": details and people.may_take_over(request.user, person),
        "reveal_form": reveal_form or (RevealForm() if may_reveal else None),
        "revealed": revealed,
        "reveals": people.reveals_of(person),
    }
    return render(request, "welfare/person_detail.html", context)


@require_POST
def person_reveal(request, pk):
    """Break-glass: a state officer or HQ user sees one full MyKad, with a reason."""
    person = get_in_scope(request, Person.objects, pk=pk)
    if not people.may_reveal(request.user, person):
        raise PermissionDenied
    form = RevealForm(request.POST)
    if not form.is_valid():
        return person_detail(request, pk, reveal_form=form)
    revealed = people.reveal(request, person, form.cleaned_data["reason"])
    return person_detail(request, pk, revealed=revealed)


@require_POST
def person_take_over(request, pk):
    person = get_in_scope(request, Person.objects, pk=pk)
    if not people.may_take_over(request.user, person):
        raise PermissionDenied
    people.take_over(request.user, person)
    messages.success(
        request,
        _("%(office)s now records %(name)s.") % {"office": request.user.office, "name": person},
    )
    return redirect(person)


def get_person_to_change(request, pk, action):
    """Only the office that recorded a person (and administrators) change their
    details: a read-only role answers 403, an office that only links the
    person 404, as if there were nothing to change."""
    person = get_to_change(request, Person.objects, action, pk=pk)
    if not people.may_change(request.user, person, action):
        raise Http404
    return person


def person_edit(request, pk):
    person = get_person_to_change(request, pk, "change")
    form = PersonForm(request.POST or None, instance=person)
    people.log_access(request.user, [person], person)
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
    context = {
        "retention_days": settings.PERSON_RETENTION_DAYS,
        "lookups_per_day": settings.PERSON_LOOKUPS_PER_DAY,
        "enrolment_days": settings.OTP_ENROLMENT_DAYS,
    }
    return render(request, "welfare/guide.html", context)


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


def bad_request(request, exception):
    """A request refused as unreadable (a control character in a field, an admin
    date outside the calendar, or anything else Django answers 400): the page says
    so within the site, instead of Django's bare one."""
    return render(request, "400.html", status=400)


def server_error(request):
    """A database that cannot be reached is a temporary outage (503), not a bug;
    the page is drawn without touching the database. A connection lost during a
    query whose error Django swallows (a check constraint validated on save) shows
    at the next query as InterfaceError, "connection already closed": an outage too."""
    if isinstance(sys.exc_info()[1], DatabaseError | InterfaceError):
        page = loader.get_template("503.html").render()
        return HttpResponse(page, status=503, headers={"Retry-After": "30"})
    return defaults.server_error(request)


# --- Suggestions for the search boxes of forms and filters -------------------


def offices_read_by(request):
    """The offices the user may read (User.office_scope), of the state whose
    code the address gives if it gives one."""
    offices = Office.objects.filter(office_scope_for(request.user, ""))
    if state := request.GET.get("state"):
        offices = offices.filter(state__code=state)
    return offices


def suggest_offices(request):
    offices = offices_read_by(request).select_related("state")
    return suggestions_response(request, OfficeChoice(offices))


def suggest_districts(request):
    """The districts of the offices the user may read."""
    districts = District.objects.filter(offices__in=offices_read_by(request))
    districts = districts.distinct().select_related("state")
    return suggestions_response(request, DistrictChoice(districts))


def suggest_constituencies(request):
    """The constituencies of the states of the offices the user may read."""
    states = offices_read_by(request).values("state")
    constituencies = Constituency.objects.filter(state__in=states).select_related("state")
    return suggestions_response(request, ConstituencyChoice(constituencies))
