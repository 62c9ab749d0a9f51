from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from welfare.audit import history_in_words
from welfare.models import EditConflict, Person
from welfare.mykad import birth_date, normalize_mykad, validate_mykad


class VersionedForm(forms.ModelForm):
    """A form for a Versioned model that carries the version the user started
    from. save_unless_conflict() refuses to save over a later change by someone
    else: the form then lists those changes (`conflict`) and takes the current
    version, so that submitting again re-applies the user's values knowingly."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self.conflict = None

    def _post_clean(self):
        if self.cleaned_data.get("version"):
            self.instance.version = self.cleaned_data["version"]
        super()._post_clean()

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
        self.add_error(
            None,
            _(
                "Someone else saved this record while you were editing it, so your "
                "changes were not saved. Their changes are listed above; check your "
                "values and save again to apply them."
            ),
        )
        return None


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
