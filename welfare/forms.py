import secrets

from django import forms
from django.contrib.auth import forms as auth_forms
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import JsonResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from welfare import people
from welfare.audit import history_in_words
from welfare.middleware import client_address
from welfare.models import EditConflict, PasswordResetRequest, Person, Submission
from welfare.mykad import MyKadFormField, birth_date, sex_from_mykad


class SubmitOnceForm(forms.Form):
    """A form whose page carries a token of its own: save_once() saves the first
    submission of a page and ignores the same page sent again."""

    submission = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission"].initial = secrets.token_urlsafe(16)

    def save_once(self):
        """The record saved, or None when this page was sent before. A second
        request with the token waits on the unique index until the first one
        commits or rolls back, so the record exists exactly once either way."""
        if token := self.cleaned_data.get("submission"):
            try:
                with transaction.atomic():
                    Submission.objects.create(token=token)
            except IntegrityError:
                return None
        return self.save()


class VersionedForm(forms.ModelForm):
    """A form for a Versioned model that carries the version the user started
    from. save_unless_conflict() refuses to save over a later change by someone
    else: the form then lists those changes (`conflict`), takes them into the
    fields the user did not touch, and takes the current version, so that
    submitting again applies the user's own changes on top of theirs."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self.conflict = None

    def clean(self):
        cleaned = super().clean()
        # Without the version it started from (a page sent incomplete or altered),
        # an edit would be saved over any change made since, unchecked.
        if self.instance.pk and not cleaned.get("version"):
            self.add_error(
                None,
                _(
                    "This page is out of date or incomplete, so nothing was saved. "
                    "Open the record again and make your changes there."
                ),
            )
        return cleaned

    def _post_clean(self):
        if self.cleaned_data.get("version"):
            self.instance.version = self.cleaned_data["version"]
        super()._post_clean()

    @property
    def status_code(self):
        """Of the page showing this form: 409 Conflict after a refused save."""
        return 200 if self.conflict is None else 409

    def save_unless_conflict(self):
        """Saves and returns the record, or returns None after a conflict."""
        try:
            with transaction.atomic():
                return self.save()
        except EditConflict:
            pass
        current = type(self.instance)._base_manager.get(pk=self.instance.pk)
        self.conflict = [
            entry
            for entry in history_in_words(current)
            if (entry.record_version or 0) > self.instance.version
        ]
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = current.version
        self.keep_their_changes(current)
        self.add_error(
            None,
            _(
                "Someone else saved this record while you were editing it, so your "
                "changes are not saved yet. The form now holds their changes, listed "
                "above, together with yours: check it and save again."
            ),
        )
        return None

    def keep_their_changes(self, current):
        """The fields this user left as they found them take the values saved
        since, so that saving again applies only what this user changed."""
        seen = current.history.filter(version=self.instance.version).first()
        if seen is None:
            return
        for name in self._meta.fields:
            field = current._meta.get_field(name)
            if field.many_to_many or name not in self.cleaned_data:
                continue  # the history does not hold many-to-many values
            mine = getattr(self.cleaned_data[name], "pk", self.cleaned_data[name])
            if mine == getattr(seen, field.attname):
                theirs = getattr(current, field.attname)
                # As the field shows it: a record typed by name (ChoiceByName) as its name.
                shown = "" if theirs is None else self.fields[name].prepare_value(theirs)
                self.data[self.add_prefix(name)] = shown


class AdminVersionedForm(forms.ModelForm):
    """The admin's form of a Versioned model: a save over a later change by
    someone else is refused with an error (the admin has no page listing the
    changes). Its own field name: the admin refuses a field named like the
    model's non-editable version."""

    started_from_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started_from_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        started_from = cleaned.get("started_from_version")
        if self.instance.pk:  # sent empty, it matches no stored version: refused too
            stored = type(self.instance)._base_manager.filter(pk=self.instance.pk)
            if not stored.filter(version=started_from).exists():
                raise forms.ValidationError(
                    _(
                        "Someone else saved this record since you opened it, so your "
                        "changes were not saved. Open it again to see theirs."
                    ),
                    code="conflict",
                )
            self.instance.version = started_from
        return cleaned


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- One of many, typed ----------------------------------------------------------


class SearchInput(forms.TextInput):
    """The text box of a ChoiceByName: static/welfare/forms.js fills its
    <datalist> with suggestions from the field's suggestions address as the
    user types, and the browser offers them (keyboard and screen readers
    included). Without script it is a plain text box, and the server finds
    what was typed."""

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.suggest = None  # (URL name, {parameter: value}), reversed when shown
        self.narrowed_by = ""

    @staticmethod
    def list_id(name, attrs):
        return f"{(attrs or {}).get('id') or name}-suggestions"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        shown = context["widget"]["attrs"]
        shown["list"] = self.list_id(name, shown)
        if self.suggest:
            url_name, params = self.suggest
            given = {key: value for key, value in params.items() if value not in (None, "")}
            shown["data-suggest"] = reverse(url_name) + (f"?{urlencode(given)}" if given else "")
        if self.narrowed_by:
            shown["data-suggest-with"] = self.narrowed_by
        # Said by screen readers when the suggestions change (static/welfare/forms.js).
        shown["data-suggest-count"] = _("Suggestions: %s")
        return context

    def datalist(self, name, attrs):
        return format_html('<datalist id="{}"></datalist>', self.list_id(name, attrs))

    def render(self, name, value, attrs=None, renderer=None):
        return super().render(name, value, attrs, renderer) + self.datalist(name, attrs)


class ChoiceByName(forms.ModelChoiceField):
    """One of many records (an office's 400 volunteers, 160 districts), typed
    by name or code into a SearchInput instead of chosen from a drop-down that
    would list them all. Each record is typed and suggested as its
    label_from_instance(): its name, and in parentheses what tells it apart
    from others of the same name. The typed text is found in the field's
    queryset (the user's scope): a text that matches no record, or several,
    is an error that says so; the suggestions (suggestions()) are the same
    search, so that what is suggested is what is found."""

    widget = SearchInput
    name_field = "name"
    code_field = None
    suggest = None  # the URL name of the suggestions
    # Records read to decide what a text means: enough to list the ambiguous ones.
    CANDIDATES = 20
    default_error_messages = {
        "invalid_choice": _(
            "Nothing you may choose matches “%(value)s”. Type part of the name and "
            "choose one of the suggestions."
        ),
        "ambiguous": _("Several match “%(value)s”: %(choices)s. Type one of them in full."),
    }

    def __init__(self, queryset, *, suggest_params=None, narrowed_by="", **kwargs):
        """suggest_params: what the suggestions address says besides the text
        (an office's code); narrowed_by: the name of another field of the form
        whose value goes along (the state chosen beside an office)."""
        kwargs.pop("null_label", None)  # django-filter's, for drop-downs
        super().__init__(queryset, **kwargs)
        self.widget.suggest = (self.suggest, suggest_params or {})
        self.widget.narrowed_by = narrowed_by

    def name_of(self, record):
        for part in self.name_field.split("__"):
            record = getattr(record, part)
        return record

    def label_from_instance(self, record):
        return str(self.name_of(record))

    def detail_of(self, record):
        """Shown beside a suggestion, not typed: where the record belongs."""
        return ""

    def matching(self, text):
        """A Q of the records the text may mean: every word in the name (a
        label's parentheses left out), or the code."""
        core = text.split(" (")[0].split()
        if not core:
            return Q(pk__in=[])
        found = Q()
        for word in core:
            found &= Q(**{f"{self.name_field}__icontains": word})
        if self.code_field:
            found |= Q(**{f"{self.code_field}__iexact": core[0]})
        return found

    def candidates(self, text, limit, *, by_id=False):
        """by_id: a text of digits may also be a record's id (what a form sent
        before it had a search box, a script's post, an old bookmark)."""
        if not text:
            return list(self.queryset.order_by(self.name_field, "pk")[:limit])
        found = self.matching(text)
        if by_id and text.isdigit() and len(text) < 18:
            # Digits are an id or a code, not a part of a name.
            found = Q(pk=int(text))
            if self.code_field:
                found |= Q(**{f"{self.code_field}__iexact": text})
        return list(self.queryset.filter(found).order_by(self.name_field, "pk")[:limit])

    def suggestions(self, text, limit):
        """The first `limit` records the text may mean, and whether there are
        more: for the suggestions' JSON."""
        found = self.candidates(" ".join(text.split()), limit + 1)
        return found[:limit], len(found) > limit

    def find(self, text):
        candidates = self.candidates(text, self.CANDIDATES + 1, by_id=True)
        wanted = text.casefold()
        core = text.split(" (")[0].strip().casefold()
        for same in (
            lambda r: self.label_from_instance(r).casefold() == wanted,
            lambda r: self.code_field and getattr(r, self.code_field).casefold() == wanted,
            lambda r: str(self.name_of(r)).casefold() == core,
            lambda r: str(r.pk) == text,
        ):
            exact = [record for record in candidates if same(record)]
            if exact:
                candidates = exact
                break
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], "invalid_choice", {"value": text}
            )
        choices = "; ".join(self.label_from_instance(r) for r in candidates[: self.CANDIDATES])
        raise forms.ValidationError(
            self.error_messages["ambiguous"], "ambiguous", {"value": text, "choices": choices}
        )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, self.queryset.model):
            return value
        if isinstance(value, int):  # an initial value given by its id (a disabled field)
            return self.queryset.filter(pk=value).first()
        text = " ".join(str(value).split())
        return self.find(text) if text else None

    def prepare_value(self, value):
        """The text of the record in the box: a record as its label, an id
        (a form's initial value) looked up in the queryset."""
        if isinstance(value, self.queryset.model):
            return self.label_from_instance(value)
        if isinstance(value, int):
            record = self.queryset.filter(pk=value).first()
            return self.label_from_instance(record) if record else ""
        return value


class OfficeChoice(ChoiceByName):
    code_field = "code"
    suggest = "suggest-offices"

    def detail_of(self, office):
        return f"{office.code} · {office.state}"


class DistrictChoice(ChoiceByName):
    code_field = "code"
    suggest = "suggest-districts"

    def detail_of(self, district):
        return str(district.state)


class ConstituencyChoice(ChoiceByName):
    """Typed as "P.106 Damansara" (its code and name, as printed), or either."""

    code_field = "code"
    suggest = "suggest-constituencies"

    def label_from_instance(self, constituency):
        return str(constituency)

    def matching(self, text):
        words = text.split()
        if words and words[0].upper().startswith("P."):
            return Q(code__iexact=words[0]) | super().matching(" ".join(words[1:]))
        return super().matching(text)

    def detail_of(self, constituency):
        return str(constituency.state)


def suggestions_response(request, field, *, person_of=None, searched_as=None):
    """The JSON of a ChoiceByName's suggestions for the text `q`: at most
    SUGGESTIONS of them, one query. The field's queryset is the scope. Records
    that name a person (`person_of(record)`) are a search for someone by name:
    the people suggested are logged as a list's search is (people.shown_in_list)."""
    text = request.GET.get("q", "")[:100]
    shown, more = field.suggestions(text, SUGGESTIONS)
    if person_of and text.strip():
        people.shown_in_list(request, [person_of(r) for r in shown], searched_as=searched_as)
    results = [{"value": field.label_from_instance(r), "label": field.detail_of(r)} for r in shown]
    return JsonResponse({"results": results, "more": more})


SUGGESTIONS = 20

PERSON_DETAILS = ["name", "date_of_birth", "sex", "phone", "address", "postcode"]


def check_against_mykad(form, mykad, date_of_birth, sex):
    """A date of birth or sex typed that contradicts the MyKad is an error on
    that field; without a MyKad, the date of birth is required."""
    if mykad:
        from_mykad = birth_date(mykad)
        if date_of_birth and date_of_birth != from_mykad:
            form.add_error(
                "date_of_birth",
                _("The MyKad number gives %(date)s as the date of birth.")
                % {"date": from_mykad.strftime("%d/%m/%Y")},
            )
        if sex and sex != sex_from_mykad(mykad):
            form.add_error(
                "sex",
                _("The MyKad number is of a man.")
                if sex_from_mykad(mykad) == Person.Sex.MALE
                else _("The MyKad number is of a woman."),
            )
    elif not date_of_birth and "mykad" not in form.errors:
        form.add_error("date_of_birth", _("Without a MyKad number, give the date of birth."))


def clean_postcode(value):
    postcode = (value or "").strip()
    if postcode and not (len(postcode) == 5 and postcode.isascii() and postcode.isdigit()):
        raise forms.ValidationError(_("A postcode has 5 digits."))
    return postcode


class UserForm(forms.ModelForm):
    """A ModelForm that knows who fills it in: its choices and look-ups follow
    the user. Forms combined with it pass `user` on; this one takes it."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class PersonForm(VersionedForm):
    """The person's own page (the recording office): every detail."""

    class Meta:
        model = Person
        fields = ["name", "mykad", "date_of_birth", "sex", "phone", "address", "postcode"]
        widgets = {
            "date_of_birth": DATE_INPUT,
            "address": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_mykad(self):
        mykad = self.cleaned_data["mykad"]
        taken = Person.all_objects.exclude(pk=self.instance.pk).filter(mykad=mykad)
        if mykad and taken.exists():
            raise forms.ValidationError(_("A person with this MyKad number is already recorded."))
        return mykad

    def clean_postcode(self):
        return clean_postcode(self.cleaned_data["postcode"])

    def clean(self):
        cleaned = super().clean()
        if "mykad" not in self.errors:
            check_against_mykad(
                self, cleaned.get("mykad"), cleaned.get("date_of_birth"), cleaned.get("sex")
            )
        return cleaned

    def save(self, commit=True):
        self.instance.fill_from_mykad()
        return super().save(commit)


class PersonByMyKadForm(UserForm):
    """A form for a record that starts from a person (a participation, a
    volunteer role, a case). The MyKad decides: a person already recorded is
    linked, never duplicated, and the officer is shown only their name and year
    of birth (welfare.people.find_by_mykad, which logs it); otherwise the
    details below create the person. One behaviour on every page and import."""

    person_field = None  # the model's foreign key to Person
    # The form (or the record's form it is combined with) says in
    # office_of_new_person() which office records a person it creates.

    mykad = MyKadFormField(
        label=_("MyKad number"),
        help_text=_(
            "12 digits, with or without dashes. If the person is already recorded, "
            "only the MyKad is needed. Leave empty if the person has none."
        ),
    )
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Only without a MyKad number; the MyKad gives it otherwise."),
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", "—"), *Person.Sex.choices], required=False
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    postcode = forms.CharField(label=_("Postcode"), max_length=5, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["mykad", *PERSON_DETAILS])
        self.look_up_person()

    def look_up_person(self):
        """The person of the MyKad typed, whose details then leave the form."""
        typed = (
            self.data.get(self.add_prefix("mykad")) if self.is_bound else self.initial.get("mykad")
        )
        self.existing_person, self.lookup_error = None, None
        try:
            mykad = self.fields["mykad"].clean(typed)
            self.existing_person = self.find_person(mykad) if mykad else None
        except forms.ValidationError as error:
            self.lookup_error = error  # shown by clean(); the field's own errors by the field
        if self.existing_person:
            for name in PERSON_DETAILS:
                del self.fields[name]

    def find_person(self, mykad):
        return people.find_by_mykad(self.user, mykad)

    def clean_postcode(self):
        return clean_postcode(self.cleaned_data["postcode"])

    def clean(self):
        cleaned = self.cleaned_data
        if self.lookup_error and "mykad" not in self.errors:
            self.add_error("mykad", self.lookup_error)
        if self.existing_person:
            person = self.existing_person
        else:
            if not cleaned.get("name"):
                self.add_error("name", _("Give the person's name."))
            if "mykad" not in self.errors:
                check_against_mykad(
                    self, cleaned.get("mykad"), cleaned.get("date_of_birth"), cleaned.get("sex")
                )
            person = Person(
                mykad=cleaned.get("mykad") or "", date_of_birth=cleaned.get("date_of_birth")
            )
            person.fill_from_mykad()
        # Before the record's own checks, so that they (age on opening) see the person.
        setattr(self.instance, self.person_field, person)
        return super().clean()

    def save(self, commit=True):
        person = Person.objects.found_or_registered(
            self.existing_person,
            mykad=self.cleaned_data["mykad"],
            office=self.office_of_new_person(),
            # The details' fields are left out of the form when a person was found.
            **{name: self.cleaned_data[name] for name in PERSON_DETAILS if name in self.fields},
        )
        setattr(self.instance, self.person_field, person)
        return super().save(commit)


def person_form(request, form_class, **kwargs):
    """A form that starts from a person. A POST of the look-up box only looks the
    MyKad up (in the body: a MyKad in a URL stays in proxy logs and the browser's
    history): the form starts unbound from it."""
    if request.method == "POST" and "lookup" in request.POST:
        return form_class(
            user=request.user, initial={"mykad": request.POST.get("mykad", "")}, **kwargs
        )
    return form_class(request.POST or None, user=request.user, **kwargs)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, which mails the link only within the limits of
    PasswordResetRequest.objects.allow(); the page that follows is the same
    whether the link was mailed, held back, or no account has the address."""

    def save(self, *, request, **kwargs):
        email = self.cleaned_data["email"]
        if PasswordResetRequest.objects.allow(email=email, ip_address=client_address(request)):
            super().save(request=request, **kwargs)


# --- The lists' filters -----------------------------------------------------------


class AnyYesNo(BooleanWidget):
    """A yes/no filter that starts at "Any" (django-filter says "Unknown"), or
    offers only "Any" and "Yes" when "No" would filter nothing."""

    def __init__(self, attrs=None, *, yes_only=False):
        super().__init__(attrs)
        self.choices = [("", _("Any")), ("true", _("Yes"))] + (
            [] if yes_only else [("false", _("No"))]
        )


def sort_choices(*options):
    """An OrderingFilter's choices from (parameter, label) pairs, each way round.
    Written out because django-filter builds "… (descending)" once, at import,
    in English."""
    return [
        choice
        for param, label in options
        for choice in ((param, label), (f"-{param}", format_lazy(_("{} (descending)"), label)))
    ]
