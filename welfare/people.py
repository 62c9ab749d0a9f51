"""The person policy: who may find, see, change, restore and export a person.
Every page, list, search, export, import, admin list and template asks here (or
the two scopes it rests on, Person.objects.visible_to() and
with_full_details_for()); nothing else decides what of a person is shown.

- Full details (the MyKad in full, phone, address, postcode) go to district
  officers of the office that recorded the person and of an office that serves
  them now (a current participation, an open case, an active volunteer role),
  and to administrators. Everyone else who may see the person at all (another
  office linked by a past record, state officers, HQ) sees the name, the year
  of birth and the masked MyKad.
- A state officer or HQ user may reveal one person's full MyKad with a reason,
  which the access log keeps and the person's page shows.
- A partial MyKad finds only people whose full details the user is shown; the
  full 12 digits find anyone the user may link to a record, showing name and
  year of birth, logged, and for people outside the user's full details at
  most PERSON_LOOKUPS_PER_DAY a day.
- Only the recording office (and administrators) change, delete and restore a
  person; an office that serves the person may take them over when the
  recording office no longer has a current record for them.
- A volunteer's account sees the name, phone, address and postcode of the
  clients of the cases assigned to it now (the cases' visible_to), never a
  MyKad, not even masked; it finds nobody by MyKad.
- Deleted people are invisible to everyone but the recording office and
  administrators.
- Every showing of a person is written to the access log, in bulk, in the
  request's transaction (so before the first byte of a streamed export)."""

import logging
import unicodedata
from datetime import datetime, time
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from welfare.middleware import client_address
from welfare.models import AccessLog, Person, ScopedQuerySet
from welfare.mykad import format_mykad, mask_mykad, normalize_mykad

logger = logging.getLogger(__name__)

HELD_BY_DELETED_RECORD = _(
    "This MyKad number is held on a record being deleted; ask your administrator."
)
NO_LOOKUP_FOR_VOLUNTEERS = _("Volunteers do not look people up by MyKad number.")
LOOKUP_LIMIT_REACHED = _(
    "You have looked up %(limit)d people recorded by other offices today, the most "
    "allowed in a day. Try again tomorrow, or ask your administrator."
)


# --- Seeing -------------------------------------------------------------------


class Disclosure:
    """What of each person one user is shown. prime() decides for many people in
    one query, so that a list or an export asks once, not once per row."""

    def __init__(self, user):
        self.user = user
        self.full_ids = set()
        self.decided = set()
        self.all_decided = False
        self._assigned_ids = None

    def prime(self, people):
        """people: Person objects, their ids, or a values_list() queryset of ids
        that holds every person the request will show (an export's rows)."""
        user = self.user
        if not (user.is_authenticated and user.is_district_officer) or user.is_superuser:
            return
        if hasattr(people, "query"):
            candidates = Person.objects.filter(pk__in=people)
            self.all_decided = True
        else:
            ids = set()
            for person in people:
                if isinstance(person, Person):
                    if person.office_id == user.office_id:
                        self.full_ids.add(person.pk)
                        continue
                    person = person.pk
                ids.add(person)
            ids -= self.decided | {None}
            if not ids:
                return
            self.decided |= ids
            candidates = Person.objects.filter(pk__in=ids)
        full = candidates.with_full_details_for(user).values_list("pk", flat=True)
        self.full_ids.update(full)

    @cached_property
    def _viewer(self):
        """What of the user decides for every person, read once: an export asks
        for 100,000 people."""
        user = self.user
        signed_in = user.is_authenticated and user.is_active
        return SimpleNamespace(
            signed_in=signed_in,
            superuser=signed_in and user.is_superuser,
            district_officer=signed_in and user.is_district_officer,
            volunteer=is_volunteer(user),
            office_id=getattr(user, "office_id", None),
        )

    def full_details(self, person):
        if person is None:
            return self._viewer.superuser
        return self._full_details(person.pk, person.office_id)

    def _full_details(self, pk, office_id):
        viewer = self._viewer
        if not viewer.signed_in:
            return False
        if viewer.superuser:
            return True
        if not viewer.district_officer:
            return False
        if office_id == viewer.office_id:
            return True
        if not (self.all_decided or pk in self.decided or pk in self.full_ids):
            self.prime([pk])
        return pk in self.full_ids

    def contact_details(self, person):
        """Phone, address and postcode: with the full details, and to a volunteer
        for the clients of the cases assigned to them now."""
        if self.full_details(person):
            return True
        if person is None or not is_volunteer(self.user):
            return False
        if self._assigned_ids is None:
            visible = Person.objects.visible_to(self.user).values_list("pk", flat=True)
            self._assigned_ids = set(visible)
        return person.pk in self._assigned_ids

    def mykad(self, person):
        """The MyKad as this user is shown it: in full (dashed) or masked, and to
        a volunteer not at all."""
        if person is None:
            return ""
        return self._mykad(person.pk, person.office_id, person.mykad)

    def mykad_in_row(self, row, person):
        """mykad() for a row of an export read as values() (100,000 rows, where
        models would cost ten times the file): the person's id, office and MyKad
        are the row's `<person>_id`, `<person>__office_id` and `<person>__mykad`."""
        return self._mykad(
            row[f"{person}_id"], row[f"{person}__office_id"], row[f"{person}__mykad"]
        )

    @staticmethod
    def fields_of(person):
        """The values() fields that mykad_in_row() reads."""
        return [f"{person}_id", f"{person}__office_id", f"{person}__mykad"]

    def _mykad(self, pk, office_id, mykad):
        if not mykad or self._viewer.volunteer:
            return ""
        if self._full_details(pk, office_id):
            return format_mykad(mykad)
        return mask_mykad(mykad)


def told_apart(user, person):
    """What tells a person apart from others of the same name where a form
    offers them by name (a volunteer typed into a visit or a case): the year of
    birth and the last four digits of the MyKad, which everyone who may see the
    person is shown (the masked MyKad), never a phone or an address. A
    volunteer's account is shown no MyKad at all."""
    parts = []
    if person.birth_year:
        parts.append(_("born %(year)s") % {"year": person.birth_year})
    if person.mykad and not is_volunteer(user):
        parts.append(_("MyKad …%(digits)s") % {"digits": person.mykad[-4:]})
    return ", ".join(str(part) for part in parts)


def is_volunteer(user):
    return user.is_authenticated and user.is_volunteer


def disclosure_for(request):
    """The request's Disclosure, shared by the view and its templates."""
    if not hasattr(request, "_person_disclosure"):
        request._person_disclosure = Disclosure(request.user)
    return request._person_disclosure


def shown_in_list(request, shown, *, searched_as=None):
    """The people of a list's page: their MyKads decided at once, and written to
    the access log under `searched_as` when the list was searched for someone."""
    disclosure_for(request).prime(shown)
    if searched_as:
        log_access(request.user, shown, searched_as)


def exported(request, person_ids, subject):
    """Logs the export of these people (a values_list of ids), before any byte of
    the file, and gives the Disclosure that shows their MyKads in it."""
    log_access(request.user, person_ids, subject, action=AccessLog.Action.EXPORT)
    disclosure = disclosure_for(request)
    disclosure.prime(person_ids)
    return disclosure


def may_reveal(user, person):
    """State officers and HQ may reveal a full MyKad, with a reason."""
    return (
        user.is_authenticated
        and (user.is_state_officer or user.sees_all_offices)
        and not user.is_superuser
        and bool(person.mykad)
    )


def reveal(request, person, reason):
    """The full MyKad, written to the access log with the reason."""
    log_access(request.user, [person], person, action=AccessLog.Action.REVEAL, reason=reason)
    return format_mykad(person.mykad)


def reveals_of(person):
    return AccessLog.objects.filter(person=person, action=AccessLog.Action.REVEAL).select_related(
        "user"
    )


def with_records(user, people):
    """Gives each person `records`: [(kind, [record, ...])], the programme
    records naming them (participations, cases, volunteer roles) that the user
    may see. One query per kind of record, whatever the number of people."""
    relations = [
        relation
        for relation in Person._meta.related_objects
        if isinstance(relation.related_model._default_manager.all(), ScopedQuerySet)
    ]
    people = list(people)
    prefetch_related_objects(
        people,
        *[
            Prefetch(
                relation.get_accessor_name(),
                # select_related(): what each record's line names (project, office...).
                queryset=relation.related_model._default_manager.visible_to(user).select_related(),
                to_attr=f"visible_{relation.name}",
            )
            for relation in relations
        ],
    )
    for person in people:
        person.records = [
            (relation.related_model._meta, getattr(person, f"visible_{relation.name}"))
            for relation in relations
            if getattr(person, f"visible_{relation.name}")
        ]
    return people


# --- Changing -----------------------------------------------------------------


def records_here(user, person):
    """The user is a district officer of the office that recorded the person."""
    return user.is_district_officer and person.office_id == user.office_id


def may_change(user, person, action="change"):
    """Edit ("change"), delete or restore: the recording office and administrators."""
    if user.is_superuser:
        return True
    return records_here(user, person) and user.has_perm(f"welfare.{action}_person")


def may_take_over(user, person):
    """A serving office becomes the recording office when the recording office
    no longer has a current record of the person."""
    if not (user.is_district_officer and user.has_perm("welfare.change_person")):
        return False
    if person.office_id == user.office_id:
        return False
    serving = Person.objects.filter(pk=person.pk)
    if not serving.filter(Person.objects.served_by_q(user.office_id)).exists():
        return False
    if person.office_id is None:
        return True
    return not serving.filter(Person.objects.served_by_q(person.office_id)).exists()


def take_over(user, person):
    """The transfer is kept in the person's history, with its reason."""
    previous = person.office
    person.office = user.office
    person._change_reason = f"Transferred from {previous or '-'} to {user.office}"
    person.save(update_fields=["office"])


# --- Finding ------------------------------------------------------------------


def search_q(user, text, prefix=""):
    """A list's search box: every word in the name, or a MyKad. The full 12
    digits match exactly; fewer digits match the end of the MyKad of only the
    people whose full MyKad the user is shown, so that a masked number cannot be
    completed by trying digits. A full MyKad of someone outside the user's full
    details is a look-up (find_many_by_mykad): each such search counts against
    the day's limit and is logged, hit or miss, so that the 12 digits cannot be
    found by trying the few that the masked number and the year of birth leave."""
    text = text.strip()[:100]
    digits = normalize_mykad(text)
    # A name has a few words; hundreds would only make a query too deep to run.
    words = text.split()[:SEARCH_WORDS]
    by_name = Q()
    for word in words:
        # Accents and case ignored on both sides: "zoe" finds "Zoë" (PostgreSQL's
        # unaccent, created by a migration; on SQLite, sqlite_unaccent below).
        by_name &= Q(**{f"{prefix}name__unaccent__icontains": word})
    found = by_name if words else Q(pk__in=[])
    if is_volunteer(user):
        return found
    if digits.isascii() and digits.isdigit():
        if len(digits) == 12:
            found |= full_mykad_q(user, digits, prefix)
        else:
            in_full = Person.objects.with_full_details_for(user).values("pk")
            found |= Q(**{f"{prefix}mykad__endswith": digits, f"{prefix}pk__in": in_full})
    return found


SEARCH_WORDS = 10


def full_mykad_q(user, digits, prefix):
    exact = Q(**{f"{prefix}mykad": digits})
    in_full = Person.objects.with_full_details_for(user)
    if user.is_superuser or in_full.filter(mykad=digits).exists():
        return exact
    allowed = lookups_left_today(user) > 0
    log_access(user, None, "search by MyKad", action=AccessLog.Action.LOOKUP)
    if not allowed:
        log_limit_reached(user)
        return exact & Q(**{f"{prefix}pk__in": in_full.values("pk")})
    return exact


def strip_accents(text):
    """ "Zoë Ramlah" -> "Zoe Ramlah": letters without their combining marks."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def sqlite_unaccent(sender, connection, **kwargs):
    """The demo's SQLite gets the unaccent() function that search_q asks for;
    connected in WelfareConfig.ready()."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("unaccent", 1, strip_accents, deterministic=True)


def find_by_mykad(user, mykad):
    """The person with this MyKad for linking to a record (enrolment, a case, a
    volunteer role), or None. Raises ValidationError when the MyKad is held by a
    deleted record the user may not restore, or when the user has reached the
    day's limit of look-ups; a person found is written to the access log."""
    found, refused = find_many_by_mykad(user, [mykad])
    if refused:
        raise ValidationError(next(iter(refused.values())))
    return next(iter(found.values()), None)


def find_many_by_mykad(user, mykads, *, log=True):
    """find_by_mykad() for a whole file: ({mykad: person}, {mykad: refusal}) in a
    fixed number of queries. A deleted person comes back (with deleted_at set,
    for the caller to restore) only to the recording office and administrators.
    log=False when the people were shown and logged already (an import's
    confirmation after its preview)."""
    numbers = sorted({normalize_mykad(m) for m in mykads if m} - {""})
    if is_volunteer(user):
        return {}, dict.fromkeys(numbers, NO_LOOKUP_FOR_VOLUNTEERS)
    people = []
    for start in range(0, len(numbers), 1000):
        batch = numbers[start : start + 1000]
        # `<> ''` lets PostgreSQL use the partial unique index person_unique_mykad.
        people += Person.all_objects.filter(mykad__in=batch).exclude(mykad="")
    found, refused, deleted = {}, {}, []
    for person in people:
        if person.deleted_at and not may_change(user, person, "delete"):
            refused[person.mykad] = HELD_BY_DELETED_RECORD
            deleted.append(person)
        else:
            found[person.mykad] = person
    if not log:
        return found, refused
    disclosure = Disclosure(user)
    disclosure.prime(found.values())
    outside = [p for p in found.values() if not disclosure.full_details(p)]
    if outside:
        allowed = lookups_left_today(user)
        if len(outside) > allowed:
            log_limit_reached(user)
            message = LOOKUP_LIMIT_REACHED % {"limit": settings.PERSON_LOOKUPS_PER_DAY}
            for person in outside[allowed:]:
                refused[person.mykad] = message
                del found[person.mykad]
            outside = outside[:allowed]
    inside = [p for p in found.values() if p not in outside]
    log_access(user, outside, "MyKad look-up", action=AccessLog.Action.LOOKUP)
    log_access(user, inside, "MyKad look-up", action=AccessLog.Action.VIEW)
    log_access(user, deleted, "MyKad look-up (deleted record)", action=AccessLog.Action.LOOKUP)
    return found, refused


def log_limit_reached(user):
    logger.error(
        "User %s reached the daily limit of %d look-ups of people outside their office",
        user.get_username(),
        settings.PERSON_LOOKUPS_PER_DAY,
    )


def lookups_left_today(user):
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    done = AccessLog.objects.filter(
        user=user, action=AccessLog.Action.LOOKUP, at__gte=midnight
    ).count()
    return max(settings.PERSON_LOOKUPS_PER_DAY - done, 0)


# --- The access log -------------------------------------------------------------


def log_access(user, people, subject, *, action=AccessLog.Action.VIEW, reason=""):
    """Writes that `user` viewed (looked up, revealed, exported) `subject`, a
    record or the name of a list: one row per person concerned (Person objects,
    their ids, or a values_list of ids), or one row if the subject names nobody.
    A list of people concerned that is empty writes nothing: nobody was shown.
    A values_list (an export's people, 100,000 of them) is logged by one
    INSERT … SELECT: the database reads the ids, not Python."""
    if hasattr(subject, "_meta"):
        object_type, object_id = subject._meta.model_name, subject.pk
    else:
        object_type, object_id = str(subject), None
    request = getattr(HistoricalRecords.context, "request", None)
    base = {
        "user": user,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "ip_address": client_address(request) if request is not None else None,
        "reason": reason,
    }
    if people is None:
        AccessLog.objects.create(**base)
        return
    if hasattr(people, "query"):
        log_access_of_queryset(people, base)
        return
    person_ids = {getattr(person, "pk", person) for person in people} - {None}
    AccessLog.objects.bulk_create(
        [AccessLog(person_id=pk, **base) for pk in sorted(person_ids)], batch_size=1000
    )


def log_access_of_queryset(person_ids, base):
    """log_access() for a values_list of person ids: each person once."""
    people = Person.all_objects.filter(pk__in=person_ids).order_by().values("pk")
    try:
        select, params = people.query.sql_with_params()
    except EmptyResultSet:  # a scope that shows nobody (a user without a role)
        return
    given = {name: value for name, value in base.items() if name != "user"}
    given.update(user_id=base["user"].pk, at=timezone.now())
    fields = [AccessLog._meta.get_field(name) for name in given]
    values = [field.get_db_prep_save(given[field.attname], connection) for field in fields]
    quote = connection.ops.quote_name
    columns = [*(field.column for field in fields), AccessLog._meta.get_field("person").column]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(AccessLog._meta.db_table)} "
            f"({', '.join(quote(column) for column in columns)}) "
            f"SELECT {', '.join(['%s'] * len(values))}, people.pk FROM ({select}) AS people",
            [*values, *params],
        )
