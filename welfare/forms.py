from django import forms
from django.utils.translation import gettext_lazy as _

from welfare.models import Person
from welfare.mykad import birth_date, normalize_mykad, validate_mykad


class PersonForm(forms.ModelForm):
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
        if mykad and Person.objects.exclude(pk=self.instance.pk).filter(mykad=mykad).exists():
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
