import secrets

from django import forms
from django.contrib.auth import forms as auth_forms
from django.db import IntegrityError, transaction
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
                self.data[self.add_prefix(name)] = "" if theirs is None else theirs


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
        person = self.existing_person
        if person is None:
            details = {name: self.cleaned_data[name] for name in PERSON_DETAILS}
            details["date_of_birth"] = details["date_of_birth"] or None
            person, _created = Person.objects.register(
                mykad=self.cleaned_data["mykad"], office=self.office_of_new_person(), **details
            )
        elif person.deleted_at:
            person.restore()  # find_person() gave it back to its own office only
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
