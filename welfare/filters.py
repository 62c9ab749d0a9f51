"""What every list of office records shares in its filters: a state (for HQ)
and an office (for state officers and HQ) among those the user may read, the
filters chosen as the page, the print layout and the downloads say them."""

import re
from datetime import date

import django_filters
from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from welfare.forms import OfficeChoice
from welfare.models import Office, State, office_scope_for


class ChoiceByNameFilter(django_filters.ModelChoiceFilter):
    """A filter on one of many records, typed by name (welfare.forms.ChoiceByName)."""

    def __init__(self, *args, field_class, **kwargs):
        self.field_class = field_class
        super().__init__(*args, **kwargs)


class ListFilter(django_filters.FilterSet):
    """A list's filters, with `state` and `office` added for the users who read
    more than one office. The offices offered (and found) are the user's
    (User.office_scope): a state officer who types another state's office gets
    a form error, and the list shows nothing until the filters are corrected
    (rows()). `office_path` reaches the rows' office."""

    office_path = "office"

    def __init__(self, data=None, queryset=None, *, request, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = request.user
        added = {}
        if user.sees_all_offices:
            added["state"] = django_filters.ModelChoiceFilter(
                label=_("State"),
                field_name=f"{self.office_path}__state",
                queryset=State.objects.all(),
                to_field_name="code",
                empty_label=_("All states"),
            )
        if user.sees_all_offices or user.is_state_officer:
            added["office"] = ChoiceByNameFilter(
                label=_("Office"),
                field_name=self.office_path,
                field_class=OfficeChoice,
                queryset=Office.objects.filter(office_scope_for(user, "")).select_related("state"),
                narrowed_by="state" if "state" in added else "",
            )
        for added_filter in added.values():
            added_filter.parent = self
            added_filter.model = self._meta.model
        self.filters = {**added, **self.filters}

    def usable(self):
        """No filter is wrong. An unknown sort order is no filter: the list
        keeps its usual order (django-filter leaves an invalid field out)."""
        return not (self.is_bound and set(self.form.errors) - {"sort"})

    def rows(self):
        """The filtered rows, or none while a filter is not valid (an office
        outside the user's scope, a date that is no date): a list or a
        download never shows more than the filters said."""
        return self.qs if self.usable() else self.queryset.none()

    def chosen(self):
        """(label, as shown, as in a file name) of each filter given, in the
        form's order; the sort order and the search text are not filters of
        the rows' kind, and the search text stays out of file names."""
        if not (self.is_bound and self.usable()):
            return []
        chosen = []
        for name, field in self.form.fields.items():
            value = self.form.cleaned_data.get(name)
            if name == "sort" or value in (None, "", [], ()):
                continue
            if isinstance(field, forms.ModelChoiceField):
                shown = field.label_from_instance(value)
                raw = getattr(value, field.to_field_name or "code", None) or value.pk
            elif isinstance(field, forms.ChoiceField):
                shown, raw = dict(field.choices).get(value, value), value
            elif isinstance(value, bool):
                shown, raw = (_("yes") if value else _("no")), name if value else f"not-{name}"
            elif isinstance(value, date):
                shown, raw = date_format(value, "j F Y"), value.isoformat()
            else:
                shown, raw = value, None if name == "q" else value
            chosen.append((field.label, shown, raw))
        return chosen

    def file_name(self, name):
        """The download's name, with the filters that made it (as the reports'
        files say theirs): cases-MY-10-PKMD-1005-active."""
        parts = [name, *(str(raw) for _, _, raw in self.chosen() if raw not in (None, ""))]
        return re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts))[:150]

    def notes(self):
        """The filters in words, for a workbook's Notes sheet."""
        return [f"{label}: {shown}" for label, shown, _ in self.chosen()]
