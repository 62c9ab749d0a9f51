"""The audit trail: every change of a personal or programme record keeps who, when,
from which address and the old and new values (django-simple-history), and views
of people are written to AccessLog by welfare.people.log_access."""

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from welfare.middleware import client_address

HISTORY_ROWS = 20
NOT_SHOWN = {"created_at", "updated_at", "version"}


@receiver(pre_create_historical_record, dispatch_uid="welfare.audit.keep_address_of_change")
def keep_address_of_change(sender, history_instance, **kwargs):
    request = getattr(HistoricalRecords.context, "request", None)
    if request is not None and hasattr(history_instance, "ip_address"):
        history_instance.ip_address = client_address(request)


def history_attrs():
    """The address of the request being served, for bulk_create_with_history,
    which sends no signal to keep_address_of_change."""
    request = getattr(HistoricalRecords.context, "request", None)
    return {"ip_address": client_address(request)} if request is not None else {}


class Change:
    def __init__(self, field, old, new):
        self.field, self.old, self.new = field, old, new


class HistoryEntry:
    def __init__(self, version, kind, changes=()):
        user = version.history_user
        self.who = (user.get_full_name() or user.username) if user else _("The system")
        self.when = version.history_date
        self.kind = kind  # "created", "changed" or "deleted"
        self.record_version = getattr(version, "version", None)  # of a Versioned record
        self.changes = list(changes)


def history_in_words(record, rows=HISTORY_ROWS):
    """The latest changes of one record, newest first: who, when, and for each
    field changed its label and old and new values as the page shows them.
    A fixed number of queries: the versions, then one per kind of linked record."""
    versions = list(
        record.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : rows + 1
        ]
    )
    model = type(record)
    pairs = []
    for newer, older in zip(versions[:rows], versions[1:] + [None], strict=False):
        if older is None or newer.history_type == "+":
            pairs.append((newer, "created", []))
        elif newer.history_type == "-":
            pairs.append((newer, "deleted", []))
        else:
            changes = newer.diff_against(older, excluded_fields=NOT_SHOWN).changes
            if changes:
                pairs.append((newer, "changed", changes))
    shown = _linked_names(model, [c for _v, _k, changes in pairs for c in changes])
    return [
        HistoryEntry(
            version,
            kind,
            (
                Change(
                    model._meta.get_field(c.field).verbose_name,
                    _value(model, c.field, c.old, shown),
                    _value(model, c.field, c.new, shown),
                )
                for c in changes
            ),
        )
        for version, kind, changes in pairs
    ]


def _linked_names(model, changes):
    """{(related model, id): text} for the linked records named in the changes."""
    wanted = {}
    for change in changes:
        field = model._meta.get_field(change.field)
        if field.is_relation:
            wanted.setdefault(field.related_model, set()).update({change.old, change.new})
    names = {}
    for related, ids in wanted.items():
        # select_related(): a volunteer is named after its person.
        for obj in related._base_manager.select_related().filter(pk__in=ids - {None}):
            names[related, obj.pk] = str(obj)
    return names


def _value(model, name, value, linked):
    field = model._meta.get_field(name)
    if value in (None, ""):
        return _("(empty)")
    if field.is_relation:
        return linked.get((field.related_model, value), value)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value
