import functools
import hashlib
from datetime import date, timedelta
from operator import attrgetter, itemgetter

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.functional import cached_property
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from homehelp.filters import CaseFilter, OrganizationFilter, VisitFilter, VolunteerFilter
from homehelp.forms import (
    CaseCloseForm,
    CaseCreateForm,
    CaseForm,
    HeldVisitForm,
    InvitationForm,
    JoinForm,
    OrganizationChoice,
    OrganizationForm,
    ReferralForm,
    ReferralStatusForm,
    VisitForm,
    VolunteerChoice,
    VolunteerCreateForm,
    VolunteerForm,
    VolunteerVisitForm,
    visit_form_from_held,
)
from homehelp.imports import CaseImport, VolunteerImport
from homehelp.models import (
    Case,
    HeldVisit,
    Organization,
    Referral,
    Service,
    Visit,
    Volunteer,
    invitation_tokens,
)
from welfare import people
from welfare.audit import history_in_words
from welfare.exports import labels, records_response, yes_no
from welfare.forms import person_form, suggestions_response
from welfare.imports import import_page
from welfare.models import Constituency
from welfare.replica import reads_from_replica
from welfare.roles import get_in_scope, get_to_change, require_permission, volunteer_page

PAGE_SIZE = 25
WORKLIST_ROWS = 10


def paginate(request, queryset, paginator_class=Paginator):
    return paginator_class(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


class LimitedCountPaginator(Paginator):
    """Counts at most `limit` rows: an exact count of every visit in the country
    costs more than the page itself. Beyond the limit, the pager says "more than"
    and has no Last link; the filters (dates) narrow the list to older rows."""

    limit = 10_000

    @cached_property
    def count(self):
        # Unordered: how many rows there are up to the limit does not depend on
        # their order, and a sort would read every row of the office first.
        return self.object_list.order_by()[: self.limit + 1].count()

    @property
    def count_is_limited(self):
        return self.count > self.limit

    @property
    def limited_pages(self):
        return self.limit // self.per_page


def worklist(request):
    """The district officer's morning list. Each figure is one aggregate query
    over the user's scope, whatever the number of cases and visits."""
    today = date.today()
    cases = Case.objects.visible_to(request.user)
    volunteers = Volunteer.objects.visible_to(request.user)
    concerns = Visit.objects.visible_to(request.user).open_concerns()
    overdue = cases.overdue(today=today).select_related("client", "volunteer__person")
    context = {
        "today": today,
        "overdue_count": overdue.count(),
        "overdue": overdue[:WORKLIST_ROWS],
        "concern_count": concerns.count(),
        "concerns": concerns.select_related("case__client", "volunteer__person")[:WORKLIST_ROWS],
        "waiting_count": cases.waiting_for_volunteer().count(),
        "over_caseload_count": volunteers.over_caseload().count(),
        "quiet_count": volunteers.quiet(today=today).count(),
        "referrals": Referral.objects.visible_to(request.user)
        .open()
        .select_related("case__client")[:WORKLIST_ROWS],
        "held_visits": HeldVisit.objects.visible_to(request.user)
        .waiting()
        .select_related("case__client", "volunteer__person")[:WORKLIST_ROWS],
    }
    return render(request, "homehelp/worklist.html", context)


# --- Organisations ----------------------------------------------------------


def filtered_organizations(request):
    organizations = Organization.objects.visible_to(request.user).select_related("office")
    return OrganizationFilter(request.GET, queryset=organizations, request=request)


def organization_list(request):
    organization_filter = filtered_organizations(request)
    page = paginate(request, organization_filter.rows())
    return render(
        request,
        "homehelp/organization_list.html",
        {"filter": organization_filter, "page_obj": page, "kinds": labels(Organization.Kind)},
    )


def get_organization(request, pk):
    return get_in_scope(request, Organization.objects.select_related("office"), pk=pk)


def organization_detail(request, pk):
    organization = get_organization(request, pk)
    volunteers = (
        Volunteer.objects.visible_to(request.user)
        .filter(organization=organization)
        .select_related("person", "office")
    )
    return render(
        request,
        "homehelp/organization_detail.html",
        {
            "organization": organization,
            "volunteers": volunteers,
            "can_change": organization.editable_by(request.user),
        },
    )


def organization_create(request):
    require_permission(request.user, "add", Organization)
    form = OrganizationForm(request.POST or None, user=request.user)
    if form.is_valid():
        organization = form.save()
        messages.success(request, _("Organisation added."))
        return redirect(organization)
    return render(request, "homehelp/organization_form.html", {"form": form})


def organization_edit(request, pk):
    """Another office's own organisation is 404; a national one is 403 but for
    administrators (Organization.editable_by)."""
    organization = get_organization(request, pk)
    if not organization.editable_by(request.user):
        raise PermissionDenied
    form = OrganizationForm(request.POST or None, instance=organization, user=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, _("Organisation saved."))
        return redirect(organization)
    return render(
        request, "homehelp/organization_form.html", {"form": form, "organization": organization}
    )


# --- Suggestions for the search boxes of forms and filters -------------------


def office_given(request, records):
    """The records of the office whose code the suggestions address gives
    (the office of the case being visited), else all of them."""
    if code := request.GET.get("office"):
        return records.filter(office__code=code)
    return records


def volunteer_suggest(request):
    """Volunteers the user may see, by name; `office` narrows them to an
    office's, `available` to the trained and active ones a form offers."""
    volunteers = office_given(request, Volunteer.objects.visible_to(request.user))
    if request.GET.get("available"):
        volunteers = volunteers.available_on()
    volunteers = volunteers.select_related("organization", "office")
    return suggestions_response(
        request,
        VolunteerChoice(volunteers, user=request.user),
        person_of=attrgetter("person"),
        searched_as="suggestions: volunteers",
    )


def organization_suggest(request):
    """Organisations the user may see, by name or registration number; with
    `office`, those its volunteers may belong to (its own and national ones)."""
    organizations = Organization.objects.visible_to(request.user).select_related("office")
    if code := request.GET.get("office"):
        organizations = organizations.filter(Q(office__isnull=True) | Q(office__code=code))
    return suggestions_response(request, OrganizationChoice(organizations))


# --- Volunteers -------------------------------------------------------------


def filtered_volunteers(request):
    volunteers = (
        Volunteer.objects.visible_to(request.user)
        .select_related("person", "organization", "office")
        .with_caseload()
        .with_last_activity()
        .order_by("person__name", "pk")
    )
    return VolunteerFilter(request.GET, queryset=volunteers, request=request)


def shown_in_list(request, list_filter, page, person_of):
    """The people of a list's page: their MyKads decided at once, and written
    to the access log when the list was searched for someone."""
    searched = (
        list_filter.is_bound
        and list_filter.form.is_valid()
        and list_filter.form.cleaned_data.get("q")
    )
    people.shown_in_list(
        request,
        [person_of(row) for row in page],
        searched_as=searched and f"search: {list_filter._meta.model._meta.model_name}",
    )


def volunteer_list(request):
    volunteer_filter = filtered_volunteers(request)
    page = paginate(request, volunteer_filter.rows())
    shown_in_list(request, volunteer_filter, page, lambda volunteer: volunteer.person)
    return render(
        request, "homehelp/volunteer_list.html", {"filter": volunteer_filter, "page_obj": page}
    )


def volunteer_detail(request, pk):
    volunteer = get_in_scope(
        request,
        Volunteer.objects.select_related("person", "organization", "office", "user"),
        pk=pk,
    )
    cases = volunteer.cases.open().with_visit_due_on().select_related("client", "constituency")
    visits = volunteer.visits.select_related("case__client").prefetch_related("services")
    people.log_access(request.user, [volunteer.person], volunteer)
    return render(
        request,
        "homehelp/volunteer_detail.html",
        {
            "volunteer": volunteer,
            "cases": cases,
            "visits": visits[:20],
            "today": date.today(),
            "history": history_in_words(volunteer),
        },
    )


def volunteer_create(request):
    require_permission(request.user, "add", Volunteer)
    form = person_form(request, VolunteerCreateForm)
    if form.is_valid():
        volunteer = form.save()
        messages.success(request, _("Volunteer added."))
        return redirect(volunteer)
    return render(request, "homehelp/volunteer_form.html", {"form": form})


def volunteer_edit(request, pk):
    volunteer = get_to_change(request, Volunteer.objects.select_related("person", "office"), pk=pk)
    form = VolunteerForm(request.POST or None, instance=volunteer, user=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, _("Volunteer saved."))
        return redirect(volunteer)
    return render(request, "homehelp/volunteer_form.html", {"form": form, "volunteer": volunteer})


@require_POST
def volunteer_invite(request, pk):
    """A one-time link (and its QR code) with which the volunteer sets the
    password of their own account, for their phone page."""
    volunteer = get_to_change(request, Volunteer.objects.select_related("person", "user"), pk=pk)
    if problem := volunteer.availability_error(date.today()):
        messages.error(request, problem)
        return redirect(volunteer)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The e-mail address is not valid."))
        return redirect(volunteer)
    token = volunteer.invite(email=form.cleaned_data["email"])
    uid = urlsafe_base64_encode(force_bytes(volunteer.user_id))
    link = request.build_absolute_uri(reverse("homehelp:join", args=[uid, token]))
    people.log_access(request.user, [volunteer.person], volunteer)
    return render(
        request,
        "homehelp/volunteer_invitation.html",
        {
            "volunteer": volunteer,
            "link": link,
            "qr_code": qr_svg(link),
            "expires_on": timezone.localdate() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
        },
    )


def qr_svg(text):
    """The QR code of a link, as inline SVG (drawn here: no image service sees the link)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    return mark_safe(svg.replace("<svg ", '<svg class="qr-code" role="img" ', 1))


@login_not_required
@volunteer_page
def join(request, uidb64, token):
    """The invitation's link: the volunteer chooses a password and is signed in."""
    try:
        user = get_user_model().objects.get(pk=urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    valid = (
        user is not None
        and user.is_active
        and user.is_volunteer
        and Volunteer.objects.filter(user=user).exists()
        and invitation_tokens.check_token(user, token)
    )
    if not valid:
        return render(request, "homehelp/join_invalid.html", status=400)
    form = JoinForm(user, request.POST or None)
    if form.is_valid():
        form.save()
        login(request, user, backend="welfare.roles.RolesBackend")
        messages.success(request, _("Your password is set. These are your visits."))
        return redirect("homehelp:my")
    return render(request, "homehelp/join.html", {"form": form, "invited": user})


# --- The volunteer's phone page -------------------------------------------------


def volunteer_of(request):
    """The volunteer record of the signed-in volunteer's account; other users
    have no phone page (404)."""
    volunteer = getattr(request.user, "volunteer", None) if request.user.is_volunteer else None
    if volunteer is None:
        raise Http404
    return volunteer


def my_cases(request):
    """The cases assigned to the signed-in volunteer now, through their scope."""
    open_concern = Visit.objects.open_concerns().filter(case=OuterRef("pk"))
    return (
        Case.objects.visible_to(request.user)
        .with_visit_due_on()
        .annotate(open_concern=Exists(open_concern))
        .select_related("client")
    )


@volunteer_page
def my_visits(request):
    """ "My visits this week": open concerns first, then overdue (longest first),
    then due in the next seven days, then the others."""
    volunteer = volunteer_of(request)
    today = date.today()
    week_end = today + timedelta(days=6)
    concern, overdue, due, later = [], [], [], []
    for case in my_cases(request).order_by("visit_due_on", "pk"):
        case.days_late = (today - case.visit_due_on).days
        if case.open_concern:
            concern.append(case)
        elif case.status == Case.Status.ACTIVE and case.days_late > 0:
            overdue.append(case)
        elif case.visit_due_on <= week_end:
            due.append(case)
        else:
            later.append(case)
    groups = [
        ("concern", _("Open concern"), concern),
        ("overdue", _("Overdue"), overdue),
        ("due", _("Due this week"), due),
        ("later", _("Later"), later),
    ]
    shown = [case.client for _key, _heading, cases in groups for case in cases]
    people.log_access(request.user, shown, "my visits")
    week_start = today - timedelta(days=today.weekday())
    return render(
        request,
        "homehelp/my_visits.html",
        {
            "volunteer": volunteer,
            "groups": groups,
            "case_count": len(shown),
            "visits_this_week": volunteer.visits.filter(visited_on__gte=week_start).count(),
            "today": today,
            "field_text": field_text(),
        },
    )


@volunteer_page
def my_case(request, pk, form=None):
    volunteer = volunteer_of(request)
    case = get_object_or_404(my_cases(request), pk=pk)
    if form is None:
        form = VolunteerVisitForm(case=case, volunteer=volunteer)
    visits = case.visits.select_related("volunteer__person").prefetch_related(
        Prefetch("services", queryset=Service.objects.all())
    )
    people.log_access(request.user, [case.client], case)
    return render(
        request,
        "homehelp/my_case.html",
        {
            "case": case,
            "needs": case.needs.all(),
            "visits": visits[:5],
            "form": form,
            "today": date.today(),
            "field_text": field_text(),
        },
    )


@require_POST
@volunteer_page
def my_visit_create(request, pk):
    """A visit from the phone page: the form, or the phone's queue of visits
    recorded without signal (static/homehelp/field.js), which asks for JSON.
    The page's one-time token stores each visit once however often it is sent."""
    volunteer = volunteer_of(request)
    wants_json = "application/json" in request.headers.get("Accept", "")
    case = my_cases(request).filter(pk=pk).first()
    if case is None:
        return held_visit_create(request, pk, volunteer, wants_json)
    form = VolunteerVisitForm(request.POST, case=case, volunteer=volunteer)
    if not form.is_valid():
        if wants_json:
            return JsonResponse({"result": "invalid", "errors": form.errors}, status=400)
        return my_case(request, pk, form=form)
    if form.save_once():
        result, message = "stored", _("Visit to %(name)s recorded.")
    else:
        result, message = (
            "duplicate",
            _("This visit to %(name)s was sent twice; it is recorded once."),
        )
    message %= {"name": case.client.name}
    if wants_json:
        return JsonResponse({"result": result, "message": message})
    messages.success(request, message)
    return redirect("homehelp:my")


def held_visit_create(request, pk, volunteer, wants_json):
    """A visit for a case that was assigned to the volunteer but is no longer
    (reassigned, suspended or closed while the phone was offline): kept for the
    office to confirm, and the volunteer told. Any other case is unknown (404)."""
    case = get_object_or_404(Case.objects.once_assigned_to(request.user), pk=pk)
    form = HeldVisitForm(request.POST, case=case, volunteer=volunteer)
    if not form.is_valid():
        if wants_json:
            return JsonResponse({"result": "invalid", "errors": form.errors}, status=400)
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("homehelp:my")
    if form.save_once():
        result = "held"
        message = _(
            "%(name)s is no longer assigned to you, so your visit of %(date)s is kept "
            "for your welfare office to confirm."
        )
    else:
        result, message = "duplicate", _("This visit to %(name)s was sent twice; it is kept once.")
    message %= {"name": case.client.name, "date": form.instance.visited_on.strftime("%d/%m/%Y")}
    if wants_json:
        return JsonResponse({"result": result, "message": message}, status=202)
    messages.warning(request, message)
    return redirect("homehelp:my")


def held_visit(request, pk):
    """A visit held for the office: the officer corrects and confirms it as a
    visit of the case, or sets it aside."""
    held = get_in_scope(
        request,
        HeldVisit.objects.waiting()
        .select_related("case__client", "case__office", "volunteer__person")
        # Two officers deciding at once: the second waits, then finds it decided.
        .select_for_update(of=["self"]),
        pk=pk,
    )
    require_permission(request.user, "change", Visit)
    case = held.case
    if request.method == "POST" and "set_aside" in request.POST:
        held.decide(by=request.user)
        messages.info(request, _("The visit was set aside."))
        return redirect(case)
    form = visit_form_from_held(held, request.POST or None, user=request.user)
    if form.is_valid():
        if visit := form.save_once():
            held.confirm(visit, by=request.user)
            messages.success(request, _("Visit recorded."))
        return redirect(case)
    people.log_access(request.user, [case.client], held)
    return render(request, "homehelp/held_visit.html", {"held": held, "form": form})


# Static files the phone page needs without signal, cached by its service worker.
FIELD_STATIC = [
    "bootstrap/css/bootstrap.min.css",
    "css/welfare.css",
    "bootstrap/js/bootstrap.bundle.min.js",
    "welfare/forms.js",  # every page's (base.html): search boxes, folding filters
    "homehelp/field.js",
]


@login_not_required
@volunteer_page
def my_service_worker(request):
    """The phone page's service worker, served from the page's own path so that
    its scope covers the page. Its version follows the static files' names
    (hashed in production), so that a new release replaces the cached ones."""
    urls = [static(name) for name in FIELD_STATIC]
    version = hashlib.sha256("|".join(urls).encode()).hexdigest()[:12]
    response = render(
        request,
        "homehelp/service_worker.js",
        {"static_urls": urls, "version": version, "scope": reverse("homehelp:my")},
        content_type="text/javascript",
    )
    response["Cache-Control"] = "no-cache"
    return response


def field_text():
    """What the phone page's script says, in the user's language."""
    return {
        "waiting": _("Waiting to be sent"),
        "saved_offline": _(
            "Saved on this phone. It will be sent by itself when the phone has signal."
        ),
        "sign_in": _("Sign in again to send the visits waiting on this phone."),
        "refused": _("Not accepted:"),
        "remove": _("Remove"),
        "visit_on": _("Visit to %(name)s on %(date)s"),
        "unknown_case": _("This client is not among your cases."),
    }


# --- Cases ------------------------------------------------------------------


def filtered_cases(request):
    cases = (
        Case.objects.visible_to(request.user)
        .select_related("client", "office", "constituency", "volunteer__person")
        .with_visit_due_on()
        .order_by("-opened_on", "-pk")
    )
    return CaseFilter(request.GET, queryset=cases, request=request)


def case_list(request):
    case_filter = filtered_cases(request)
    page = paginate(request, case_filter.rows())
    shown_in_list(request, case_filter, page, lambda case: case.client)
    return render(
        request,
        "homehelp/case_list.html",
        {
            "filter": case_filter,
            "page_obj": page,
            "today": date.today(),
            "client_types": labels(Case.ClientType),
            "statuses": labels(Case.Status),
        },
    )


def get_case(request, pk, action=None):
    """The case for its pages; with an `action` ("change"), only for a role that may."""
    cases = Case.objects.select_related(
        "client", "office__state", "constituency", "volunteer__person"
    )
    if action:
        return get_to_change(request, cases, action, pk=pk)
    return get_in_scope(request, cases, pk=pk)


def case_detail(request, pk, visit_form=None):
    case = get_case(request, pk)
    # The newest visits, a page at a time: a case visited weekly for years has
    # hundreds, and the page's cost would grow with them.
    visits = paginate(
        request,
        case.visits.select_related("volunteer__person", "concern_resolved_by").prefetch_related(
            services_given()
        ),
    )
    can_record = case.is_open and request.user.has_perm("homehelp.add_visit")
    if visit_form is None and can_record:
        visit_form = VisitForm(case=case, user=request.user)
    people.log_access(request.user, [case.client], case)
    return render(
        request,
        "homehelp/case_detail.html",
        {
            "case": case,
            "needs": case.needs.all(),
            "visits": visits,
            "visit_form": visit_form,
            "can_change": request.user.has_perm("homehelp.change_case"),
            "can_resolve": request.user.has_perm("homehelp.change_visit"),
            "held_visits": case.held_visits.waiting().select_related("volunteer__person"),
            "referrals": case.referrals.all(),
            "history": history_in_words(case),
        },
    )


def case_create(request):
    require_permission(request.user, "add", Case)
    form = person_form(request, CaseCreateForm)
    if form.is_valid():
        case = form.save()
        messages.success(request, _("Case opened."))
        return redirect(case)
    return render(request, "homehelp/case_form.html", {"form": form})


def case_edit(request, pk):
    case = get_case(request, pk, "change")
    form = CaseForm(request.POST or None, instance=case, user=request.user)
    if form.is_valid() and form.save_unless_conflict():
        messages.success(request, _("Case saved."))
        return redirect(case)
    return render(
        request,
        "homehelp/case_form.html",
        {"form": form, "case": case},
        status=form.status_code,
    )


def case_close(request, pk):
    case = get_case(request, pk, "change")
    if not case.is_open:
        return redirect(case)
    form = CaseCloseForm(request.POST or None, instance=case)
    if form.is_valid():
        case.close(on=form.cleaned_data["closed_on"], reason=form.cleaned_data["close_reason"])
        messages.success(request, _("Case closed."))
        return redirect(case)
    return render(
        request, "homehelp/case_close.html", {"form": form, "case": get_case(request, pk)}
    )


# --- Referrals to health care ------------------------------------------------


def referral_create(request, case_pk):
    case = get_case(request, case_pk)
    require_permission(request.user, "add", Referral)
    if not case.is_open:
        raise PermissionDenied
    form = ReferralForm(request.POST or None, case=case)
    if form.is_valid():
        form.instance.referred_by = request.user
        form.save()
        messages.success(request, _("Referral recorded."))
        return redirect(case)
    return render(request, "homehelp/referral_form.html", {"form": form, "case": case})


def referral_edit(request, pk):
    referral = get_to_change(request, Referral.objects.select_related("case__client"), pk=pk)
    form = ReferralStatusForm(request.POST or None, instance=referral)
    if form.is_valid():
        form.save()
        messages.success(request, _("Referral saved."))
        return redirect(referral.case)
    return render(
        request,
        "homehelp/referral_form.html",
        {"form": form, "case": referral.case, "referral": referral},
    )


# --- Visits -----------------------------------------------------------------


def services_given():
    """The services of each visit of a list, as a list (visit.services_given):
    a row reads it without a queryset made for it (visit.services.all())."""
    return Prefetch("services", queryset=Service.objects.all(), to_attr="services_given")


def filtered_visits(request):
    visits = (
        Visit.objects.visible_to(request.user)
        .select_related("case__client", "case__office", "volunteer__person")
        .prefetch_related(services_given())
    )
    return VisitFilter(request.GET, queryset=visits, request=request)


def visit_list(request):
    visit_filter = filtered_visits(request)
    page = paginate(request, visit_filter.rows(), LimitedCountPaginator)
    shown_in_list(request, visit_filter, page, lambda visit: visit.case.client)
    return render(request, "homehelp/visit_list.html", {"filter": visit_filter, "page_obj": page})


@require_POST
def visit_create(request, case_pk):
    """The case page's quick form; errors show on the case page."""
    case = get_case(request, case_pk)
    require_permission(request.user, "add", Visit)
    if not case.is_open:
        raise PermissionDenied
    form = VisitForm(request.POST, case=case, user=request.user)
    if form.is_valid():
        if form.save_once():
            messages.success(request, _("Visit recorded."))
        else:
            messages.info(request, _("This visit was sent twice; it is recorded once."))
        return redirect(case)
    return case_detail(request, case_pk, visit_form=form)


def visit_edit(request, pk):
    visit = get_to_change(
        request,
        Visit.objects.select_related("case__client", "case__office", "volunteer__person"),
        pk=pk,
    )
    form = VisitForm(request.POST or None, instance=visit, case=visit.case, user=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, _("Visit saved."))
        return redirect(visit.case)
    return render(request, "homehelp/visit_form.html", {"form": form, "visit": visit})


def visit_delete(request, pk):
    """A visit recorded by mistake; the deletion stays in its history, and
    Visit.delete() works the case's last visit (and due date) out again."""
    visit = get_to_change(
        request, Visit.objects.select_related("case__client", "volunteer__person"), "delete", pk=pk
    )
    case = visit.case
    if request.method == "POST":
        visit.delete()
        messages.success(request, _("Visit deleted."))
        return redirect(case)
    people.log_access(request.user, [case.client], visit)
    return render(request, "homehelp/visit_confirm_delete.html", {"visit": visit, "case": case})


@require_POST
def visit_resolve_concern(request, pk):
    visit = get_to_change(request, Visit.objects, pk=pk)
    if visit.has_open_concern:
        visit.resolve_concern(by=request.user)
        messages.success(request, _("Concern marked as resolved."))
    return redirect(visit.get_absolute_url())


# --- Exports: each list as the user filtered it, every page -------------------


@reads_from_replica
def organization_export(request, file_format):
    kinds = labels(Organization.Kind)
    columns = [
        (_("Name"), attrgetter("name")),
        (_("Registration number"), attrgetter("registration_number")),
        (_("Kind"), lambda o: kinds.get(o.kind, o.kind)),
        (_("Office"), lambda o: o.office.name if o.office else _("National")),
        (_("Contact person"), attrgetter("contact_person")),
        (_("Phone"), attrgetter("phone")),
        (_("Email"), attrgetter("email")),
    ]
    organization_filter = filtered_organizations(request)
    return records_response(
        request,
        file_format,
        "organisations",
        columns,
        organization_filter.rows(),
        subject="organisations",
        list_filter=organization_filter,
    )


@reads_from_replica
def volunteer_export(request, file_format):
    volunteer_filter = filtered_volunteers(request)
    volunteers = volunteer_filter.rows()
    disclosure = people.exported(
        request, volunteers.values_list("person_id", flat=True), "volunteers"
    )
    yes = yes_no()
    # Plain values, not models: ten times cheaper for the whole country's rows.
    rows = volunteers.values(
        *disclosure.fields_of("person"),
        "person__name",
        "organization__name",
        "office__name",
        "trained_on",
        "active",
        "max_cases",
        "open_cases",
        "last_activity_on",
    )
    columns = [
        (_("Name"), itemgetter("person__name")),
        (_("MyKad number"), lambda row: disclosure.mykad_in_row(row, "person")),
        (_("Organisation"), itemgetter("organization__name")),
        (_("Office"), itemgetter("office__name")),
        (_("Trained on"), itemgetter("trained_on")),
        (_("Active"), lambda row: yes[row["active"]]),
        (_("Maximum caseload"), itemgetter("max_cases")),
        (_("Open cases"), itemgetter("open_cases")),
        (_("Last activity"), itemgetter("last_activity_on")),
    ]
    return records_response(
        request, file_format, "volunteers", columns, rows, list_filter=volunteer_filter
    )


@reads_from_replica
def case_export(request, file_format):
    case_filter = filtered_cases(request)
    cases = case_filter.rows()
    disclosure = people.exported(request, cases.values_list("client_id", flat=True), "cases")
    types, statuses = labels(Case.ClientType), labels(Case.Status)
    # Plain values, not models: ten times cheaper for the whole country's rows.
    rows = cases.values(
        *disclosure.fields_of("client"),
        "client__name",
        "client_type",
        "office__name",
        "constituency__code",
        "constituency__name",
        "volunteer__person__name",
        "status",
        "opened_on",
        "closed_on",
        "last_visited_on",
        "visit_due_on",
    )

    @functools.cache
    def constituency_named(code, name):  # as the Constituency names itself, once each
        return str(Constituency(code=code, name=name))

    def constituency(row):
        return constituency_named(row["constituency__code"], row["constituency__name"])

    columns = [
        (_("Client"), itemgetter("client__name")),
        (_("MyKad number"), lambda row: disclosure.mykad_in_row(row, "client")),
        (_("Type"), lambda row: types[row["client_type"]]),
        (_("Office"), itemgetter("office__name")),
        (_("Constituency"), constituency),
        (_("Volunteer"), lambda row: row["volunteer__person__name"] or ""),
        (_("Status"), lambda row: statuses[row["status"]]),
        (_("Opened on"), itemgetter("opened_on")),
        (_("Closed on"), itemgetter("closed_on")),
        (_("Last visit"), itemgetter("last_visited_on")),
        (
            _("Next visit due"),
            lambda row: row["visit_due_on"] if row["status"] != Case.Status.CLOSED else None,
        ),
    ]
    return records_response(request, file_format, "cases", columns, rows, list_filter=case_filter)


@reads_from_replica
def visit_export(request, file_format):
    visit_filter = filtered_visits(request)
    visits = visit_filter.rows()
    disclosure = people.exported(
        request, visits.values_list("case__client_id", flat=True), "visits"
    )
    services, yes = labels(Service.Code), yes_no()
    columns = [
        (_("Date of visit"), attrgetter("visited_on")),
        (_("Client"), attrgetter("case.client.name")),
        (_("MyKad number"), lambda visit: disclosure.mykad(visit.case.client)),
        (_("Office"), attrgetter("case.office.name")),
        (_("Volunteer"), attrgetter("volunteer.person.name")),
        (_("Minutes spent"), attrgetter("minutes")),
        (
            _("Services given"),
            lambda visit: ", ".join(services[service.code] for service in visit.services_given),
        ),
        (_("Concern"), lambda visit: yes[visit.concern]),
        (_("Concern resolved on"), attrgetter("concern_resolved_on")),
    ]
    return records_response(
        request, file_format, "visits", columns, visits, list_filter=visit_filter
    )


# --- Imports ----------------------------------------------------------------


def import_template_urls(name):
    return {fmt: reverse(f"homehelp:{name}", args=[fmt]) for fmt in ("csv", "xlsx")}


def volunteer_import(request, pk):
    organization = get_organization(request, pk)
    require_permission(request.user, "add", Volunteer)
    return import_page(
        request,
        VolunteerImport(request.user, organization),
        kind="volunteers",
        target_pk=organization.pk,
        back_url=organization.get_absolute_url(),
        back_label=organization.name,
        template_urls=import_template_urls("volunteer-import-template"),
    )


def volunteer_import_template(request, file_format):
    return VolunteerImport(request.user, None).template_response(file_format)


def case_import(request):
    require_permission(request.user, "add", Case)
    return import_page(
        request,
        CaseImport(request.user, None),
        kind="cases",
        target_pk=None,
        back_url=reverse("homehelp:case-list"),
        back_label=_("Home help cases"),
        template_urls=import_template_urls("case-import-template"),
    )


def case_import_template(request, file_format):
    return CaseImport(request.user, None).template_response(file_format)
