"""The pages of the published editions: HQ's (publish, differences, revise), the
offices' confirmations and the completeness of a month, and the public ones
(/stats/, each edition's page, the open-data files), which read stored cells
only, are kept by each process and by caches, answer conditional requests and
set no cookie."""

import hashlib
from datetime import date, timedelta
from itertools import groupby

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_POST, require_safe

from reports import editions
from reports.editions import SPECS
from reports.forms import MonthField
from reports.models import Edition, MonthConfirmation, Table
from reports.queries import next_month
from welfare.models import Office, State, office_scope_for
from welfare.replica import reads_from_replica

# Seconds for which a public page or list is kept: by this process, and by
# browsers and proxies. An edition's files never change: kept an hour.
PUBLIC_SECONDS = 60
FILE_SECONDS = 3600
HEADLINE_TABLES = [Table.PROJECTS_BY_STATE, Table.HOME_HELP_BY_STATE]


# --- Shown on the page -----------------------------------------------------------------


def _states():
    return {state.code: state for state in State.objects.all()}


def _title(edition, states):
    name = str(Table(edition.table).label)
    code = edition.filters.get("state")
    return f"{name}: {states[code] if code in states else code}" if code else name


def _cells(edition, source):
    """The rows of a table as the page shows them: (name, [(figure, what the
    public reads instead, or None)]), in the language of the page."""
    malay = get_language() == "ms"
    public = edition.public_cells

    def line(values, shown):
        return [
            (v, p if p != v or isinstance(p, str) else None)
            for v, p in zip(values, shown, strict=True)
        ]

    rows = [
        (row[2] if malay else row[1], line(row[3:], shown[3:]))
        for row, shown in zip(source["rows"], public["rows"], strict=True)
    ]
    return rows, line(source["total"], public["total"])


def _table(edition, *, exact=False):
    """What the table partial needs: headings, rows, TOTAL, footnotes."""
    source = edition.cells if exact else edition.public_cells
    rows, total = _cells(edition, source)
    names = edition.columns
    return {
        "label": editions.HEADINGS[names[1]],
        "headings": [editions.HEADINGS.get(name, name) for name in names[2:]],
        "rows": rows,
        "total": total,
        "footnotes": editions.footnotes(edition),
        "exact": exact,
    }


def _lead_with_filters(edition):
    """ "Until 31 October 2012 · Project type: Economic project", for the lists."""
    shown = [f"{label}: {value}" for label, value in editions.filters_shown(edition)]
    return " · ".join([editions.lead(edition), *shown])


def _about(edition, states):
    """The edition's title, lead, filters and sentences, for either page."""
    return {
        "edition": edition,
        "title": _title(edition, states),
        "lead": editions.lead(edition),
        "filters": editions.filters_shown(edition),
        "completeness": editions.completeness_sentence(edition.completeness),
        "by_year": SPECS[edition.table].by_year,
    }


# --- Permissions -----------------------------------------------------------------------


def _hq_reader(request):
    if not editions.may_read_editions(request.user):
        raise PermissionDenied


def _publisher(request):
    if not editions.may_publish(request.user):
        raise PermissionDenied


# --- HQ: the editions, publishing and revising -----------------------------------------


def editions_index(request):
    _hq_reader(request)
    states = _states()
    found = list(
        Edition.objects.defer("cells", "public_cells")
        .select_related("published_by")
        .order_by("series", "-version")
    )
    series = []
    for _key, versions in groupby(found, key=lambda e: e.series):
        versions = list(versions)
        latest = versions[0]
        series.append({"latest": latest, "title": _title(latest, states), "versions": versions[::-1],
                       "lead": _lead_with_filters(latest)})  # fmt: skip
    order = {table: n for n, table in enumerate(Table.values)}
    series.sort(
        key=lambda s: (order[s["latest"].table], s["title"], -s["latest"].as_of.toordinal())
    )
    reports = [(str(Table(spec.table).label), reverse(spec.report)) for spec in SPECS.values()]
    return render(
        request,
        "reports/editions.html",
        {"series": series, "reports": reports, "may_publish": editions.may_publish(request.user)},
    )


class PublishForm(forms.Form):
    table = forms.ChoiceField(choices=Table.choices)
    note = forms.CharField(
        label=gettext_lazy("Note for readers"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Shown with the table, e.g. its source (at most 300 characters)."),
    )


class ReviseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the revision"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "Shown to every reader of the new version (at most 500 characters)."
        ),
    )


@require_POST
def publish(request):
    _publisher(request)
    form = PublishForm(request.POST)
    if not form.is_valid():
        raise Http404
    table = form.cleaned_data["table"]
    back = f"{reverse(SPECS[table].report)}?{urlencode(_report_parameters(request.POST))}"
    try:
        edition = editions.publish_new(
            request.user, table, request.POST, note=form.cleaned_data["note"]
        )
    except editions.NotPublishable as refused:
        messages.error(request, _("Not published: %(why)s") % {"why": refused})
        return redirect(back)
    except editions.AlreadyPublished as published:
        messages.info(
            request,
            _("This table is published already: a revision is published from its page."),
        )
        return redirect("reports:edition", published.edition.pk)
    messages.success(request, _("Published. The public page shows it now."))
    return redirect("reports:edition", edition.pk)


def _report_parameters(data):
    return {name: data[name] for name in editions.FILTERS if data.get(name)}


def edition(request, pk):
    """HQ's page of an edition: its exact cells, what the public reads, how many
    cells today's data would change, its versions, and the revision form."""
    _hq_reader(request)
    edition = get_object_or_404(Edition.objects.select_related("published_by"), pk=pk)
    states = _states()
    versions = list(
        Edition.objects.filter(series=edition.series)
        .defer("cells", "public_cells")
        .select_related("published_by")
        .order_by("version")
    )
    latest = versions[-1]
    may_revise = editions.may_publish(request.user) and latest.pk == edition.pk
    form = ReviseForm(request.POST or None) if may_revise else None
    if request.method == "POST":
        if not may_revise:
            raise PermissionDenied
        if form.is_valid():
            try:
                revision = editions.revise(edition, request.user, form.cleaned_data["reason"])
            except editions.NotPublishable as refused:
                messages.error(request, _("Not published: %(why)s") % {"why": refused})
                return redirect("reports:edition", edition.pk)
            except editions.NothingToRevise:
                messages.info(request, _("Today's figures are those published: nothing to revise."))
                return redirect("reports:edition", edition.pk)
            except (editions.AlreadyPublished, editions.NotLatest):
                messages.error(request, _("Someone published a revision meanwhile."))
                return redirect("reports:edition", edition.pk)
            messages.success(
                request,
                _("Version %(version)s published. Version %(old)s stays at its address.")
                % {"version": revision.version, "old": edition.version},
            )
            return redirect("reports:edition", revision.pk)
    context = {
        **_about(edition, states),
        "table": _table(edition, exact=True),
        "versions": versions,
        "latest": latest,
        "differences": editions.differences(edition),
        "form": form,
        "may_revise": may_revise,
    }
    return render(
        request, "reports/edition.html", context, status=400 if form and form.errors else 200
    )


def publish_box(request, table, form):
    """For the report pages: HQ's form to publish the table with its filters,
    or the edition that has them already. None for everyone else."""
    if not editions.may_publish(request.user) or not form.is_valid():
        return None
    try:
        filters = editions.filters_of(table, form.cleaned_data)
    except editions.NotPublishable as refused:
        return {"refused": str(refused)}
    published = (
        Edition.objects.filter(series=editions.series_of(table, filters))
        .order_by("-version")
        .only("pk", "version", "published_at")
        .first()
    )
    return {
        "table": table,
        "filters": list(filters.items()),
        "published": published,
        "form": PublishForm(initial={"table": table}),
    }


# --- Completeness and confirmations ---------------------------------------------------


class MonthForm(forms.Form):
    month = MonthField(label=gettext_lazy("Month"))


def _last_month():
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def _completeness_reader(request):
    user = request.user
    if not (user.sees_all_offices or user.is_state_officer or user.is_district_officer):
        raise PermissionDenied


def completeness(request):
    """Per month: which offices (of the user's scope) confirmed their records
    complete, when and by whom, which have not, and the records entered for the
    month after its confirmation. A district officer confirms their own here."""
    _completeness_reader(request)
    form = MonthForm(request.GET or None)
    month = (form.cleaned_data["month"] if form.is_valid() else None) or _last_month()
    if not form.is_valid():
        form = MonthForm(initial={"month": month})
    offices = list(
        Office.objects.filter(office_scope_for(request.user, ""))
        .select_related("state")
        .order_by("state__position", "name")
    )
    confirmed = {
        c.office_id: c
        for c in MonthConfirmation.objects.filter(office__in=offices, month=month).select_related(
            "confirmed_by"
        )
    }
    late = editions.late_records(offices, month)
    rows = [
        {
            "office": office,
            "confirmation": confirmed.get(office.pk),
            "late": late.get(office.pk, []),
        }
        for office in offices
    ]
    # The twelve months to the one shown: how many offices confirmed each.
    first = date(month.year - 1, month.month, 1)
    months = []
    day = next_month(first)
    while day <= month:
        months.append(day)
        day = next_month(day)
    counts = dict(
        MonthConfirmation.objects.filter(office__in=offices, month__in=months)
        .order_by()
        .values_list("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    user = request.user
    own = user.is_district_officer
    context = {
        "form": form,
        "month": month,
        "rows": rows,
        "confirmed_count": len(confirmed),
        "offices_count": len(offices),
        "late_count": sum(len(r["late"]) for r in rows),
        "months": [(m, counts.get(m, 0), f"?month={m:%Y-%m}") for m in reversed(months)],
        "can_confirm": own
        and month.replace(day=1) < timezone.localdate().replace(day=1)
        and user.office_id not in confirmed,
        "own": own,
    }
    return render(request, "reports/completeness.html", context)


@require_POST
def confirm(request):
    """A district officer's office confirms a month: their own, whatever is sent."""
    if not request.user.is_district_officer:
        raise PermissionDenied
    form = MonthForm(request.POST)
    if not form.is_valid() or form.cleaned_data["month"] is None:
        messages.error(request, _("Choose a month."))
        return redirect("reports:completeness")
    month = form.cleaned_data["month"]
    try:
        editions.confirm(request.user, month)
    except editions.CannotConfirm as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("Confirmed: the records of %(office)s for %(month)s are complete.")
            % {"office": request.user.office, "month": date_format(month, "F Y")},
        )
    return redirect(f"{reverse('reports:completeness')}?month={month:%Y-%m}")


# --- Public: /stats/, an edition's page, the open-data files ------------------------


def _public_language(request):
    """?lang= chooses the language of a public page (a link: no form, no cookie)."""
    language = request.GET.get("lang")
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language
    return translation.get_language()


def _kept(key, seconds, make):
    """Bytes made once per `seconds` by this process (Django's default cache is
    per process), and made again at once after a publication here."""
    key = f"reports:public:{editions.generation()}:{key}"
    content = cache.get(key)
    if content is None:
        content = make()
        if content:  # not a page that is missing: it may be published any moment
            cache.set(key, content, seconds)
    return content


def _etag(content):
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _public(content, content_type="text/html; charset=utf-8", seconds=PUBLIC_SECONDS):
    response = HttpResponse(content, content_type=content_type)
    patch_cache_control(response, public=True, max_age=seconds)
    return response


def _stats_page(request):
    states = _states()
    listed = list(
        Edition.objects.defer("cells", "public_cells").order_by(
            "table", "-as_of", "series", "-version"
        )
    )
    headline_ids = []
    for table in HEADLINE_TABLES:
        plain = [e for e in listed if e.table == table and set(e.filters) <= {"as_of", "year"}]
        if plain:
            best = max(plain, key=lambda e: (e.as_of, e.published_at, e.version))
            headline_ids.append(best.pk)
    headlines = Edition.objects.in_bulk(headline_ids)
    shown = []
    for pk in headline_ids:
        edition = headlines[pk]
        shown.append({**_about(edition, states), "table": _table(edition)})
    groups = []
    for table in Table:
        found = [e for e in listed if e.table == table]
        if found:
            groups.append(
                {
                    "label": table.label,
                    "editions": [
                        {"edition": e, "title": _title(e, states), "lead": _lead_with_filters(e)}
                        for e in found
                    ],
                }
            )
    context = {"headlines": shown, "groups": groups, "page_language": get_language()}
    return render(request, "reports/stats.html", context).content


def _stats_etag(request):
    if request.user.is_authenticated:
        return None
    language = _public_language(request)
    return _etag(_kept(f"stats:{language}", PUBLIC_SECONDS, lambda: _stats_page(request)))


@login_not_required
@transaction.non_atomic_requests
@reads_from_replica
@require_safe
@condition(etag_func=_stats_etag)
def stats(request):
    """The public page: the latest published edition of each table, as it was
    published (never today's figures), and the list of every edition. Every
    visitor who is not signed in gets the same page: kept a minute by this
    process and by browsers and proxies; it carries no form and sets no cookie
    (the language is chosen with ?lang=, or by the browser). A signed-in user
    gets it with their own header, kept by nobody."""
    language = _public_language(request)
    if request.user.is_authenticated:
        return HttpResponse(_stats_page(request))
    return _public(_kept(f"stats:{language}", PUBLIC_SECONDS, lambda: _stats_page(request)))


def _edition_page(request, pk):
    edition = Edition.objects.filter(pk=pk).first()
    if edition is None:
        return None
    states = _states()
    versions = list(
        Edition.objects.filter(series=edition.series)
        .only("pk", "version", "published_at", "reason", "as_of")
        .order_by("version")
    )
    context = {
        **_about(edition, states),
        "table": _table(edition),
        "versions": versions,
        "latest": versions[-1],
        "page_language": get_language(),
    }
    return render(request, "reports/public_edition.html", context).content


def _edition_etag(request, pk):
    if request.user.is_authenticated:
        return None
    language = _public_language(request)
    content = _kept(f"edition:{pk}:{language}", PUBLIC_SECONDS, lambda: _edition_page(request, pk))
    return _etag(content) if content else None


@login_not_required
@transaction.non_atomic_requests
@reads_from_replica
@require_safe
@condition(etag_func=_edition_etag)
def public_edition(request, pk):
    """An edition's own address: its table as published, in the language chosen
    (?lang=ms), with its versions. Kept like /stats/."""
    language = _public_language(request)
    if request.user.is_authenticated:
        content = _edition_page(request, pk)
        if content is None:
            raise Http404
        return HttpResponse(content)
    content = _kept(f"edition:{pk}:{language}", PUBLIC_SECONDS, lambda: _edition_page(request, pk))
    if content is None:
        raise Http404
    return _public(content)


def _absolute(request):
    return request.build_absolute_uri


def _list_content(request):
    def make():
        listed = Edition.objects.only("pk", "table", "as_of", "version", "published_at").order_by(
            "-published_at", "-pk"
        )
        return editions.editions_json(listed, _absolute(request))

    return _kept(f"list:{request.build_absolute_uri('/')}", PUBLIC_SECONDS, make)


@login_not_required
@transaction.non_atomic_requests
@reads_from_replica
@require_safe
@condition(etag_func=lambda request: _etag(_list_content(request)))
def open_data_list(request):
    """GET /stats/editions/: every published edition, newest first, as JSON:
    id, table, as_of, version, published_at, and the addresses of its csv and json."""
    return _public(_list_content(request), "application/json")


def _file_content(request, pk, kind):
    def make():
        edition = Edition.objects.filter(pk=pk).first()
        if edition is None:
            return b""
        if kind == "csv":
            return editions.edition_csv(edition)
        return editions.edition_json(edition, _absolute(request))

    host = request.build_absolute_uri("/") if kind == "json" else ""
    return _kept(f"file:{pk}:{kind}:{host}", FILE_SECONDS, make)


def _file_etag(request, pk, kind):
    content = _file_content(request, pk, kind)
    return _etag(content) if content else None


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@login_not_required
@transaction.non_atomic_requests
@reads_from_replica
@require_safe
@condition(etag_func=_file_etag)
def open_data_file(request, pk, kind):
    """GET /stats/editions/<id>.csv and .json: the edition's public cells, with
    the column names of the signed-in report's CSV. An edition never changes:
    its files are kept an hour."""
    content = _file_content(request, pk, kind)
    if not content:
        raise Http404
    response = _public(content, CONTENT_TYPES[kind], FILE_SECONDS)
    if kind == "csv":
        response["Content-Disposition"] = f'attachment; filename="edition-{pk}.csv"'
    return response
