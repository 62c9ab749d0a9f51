import secrets

from django import forms
from django.contrib.auth import forms as auth_forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from welfare.audit import history_in_words
from welfare.middleware import client_address
from welfare.models import EditConflict, PasswordResetRequest, Person, Submission
from welfare.mykad import birth_date, normalize_mykad, validate_mykad


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
        if started_from and self.instance.pk:
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


class PersonForm(VersionedForm):
    mykad = forms.CharField(
        label=_("MyKad number"),
        required=False,
        max_length=20,
        help_text=Person._meta.get_field("mykad").help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    class Meta:
        model = Person
        fields = ["name", "mykad", "date_of_birth", "sex", "phone", "address", "postcode"]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "address": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_mykad(self):
        validate_mykad(self.cleaned_data["mykad"])
        mykad = normalize_mykad(self.cleaned_data["mykad"])
        taken = Person.all_objects.exclude(pk=self.instance.pk).filter(mykad=mykad)
        if mykad and taken.exists():
            raise forms.ValidationError(_("A person with this MyKad number is already recorded."))
        return mykad

    def clean_postcode(self):
        postcode = self.cleaned_data["postcode"].strip()
        if postcode and not (len(postcode) == 5 and postcode.isascii() and postcode.isdigit()):
            raise forms.ValidationError(_("A postcode has 5 digits."))
        return postcode

    def clean(self):
        cleaned = super().clean()
        mykad = cleaned.get("mykad")
        entered = cleaned.get("date_of_birth")
        if mykad and "mykad" not in self.errors:
            from_mykad = birth_date(mykad)
            if entered and entered != from_mykad:
                self.add_error(
                    "date_of_birth",
                    _("The MyKad number gives %(date)s as the date of birth.")
                    % {"date": from_mykad.strftime("%d/%m/%Y")},
                )
        elif not mykad and not entered and "mykad" not in self.errors:
            self.add_error("date_of_birth", _("Without a MyKad number, give the date of birth."))
        return cleaned

    def save(self, commit=True):
        self.instance.fill_from_mykad()
        return super().save(commit)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, which mails the link only within the limits of
    PasswordResetRequest.objects.allow(); the page that follows is the same
    whether the link was mailed, held back, or no account has the address."""

    def save(self, *, request, **kwargs):
        email = self.cleaned_data["email"]
        if PasswordResetRequest.objects.allow(email=email, ip_address=client_address(request)):
            super().save(request=request, **kwargs)
