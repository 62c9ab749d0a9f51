from datetime import date

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from homehelp.models import Case, HeldVisit, Organization, Referral, Service, Visit, Volunteer
from welfare import people
from welfare.forms import DATE_INPUT as DATE
from welfare.forms import (
    ChoiceByName,
    ConstituencyChoice,
    PersonByMyKadForm,
    SubmitOnceForm,
    UserForm,
    VersionedForm,
)
from welfare.models import Constituency

TYPE_TO_FIND = _("Type part of the name, then choose from the suggestions.")


class VolunteerChoice(ChoiceByName):
    """A volunteer typed by name: "Tan Ah Kow (born 1979, MyKad …1234)", what
    the person policy lets tell two of the same name apart (people.told_apart)."""

    name_field = "person__name"
    suggest = "homehelp:volunteer-suggest"

    def __init__(self, queryset, *, user, **kwargs):
        self.user = user
        super().__init__(queryset.select_related("person"), **kwargs)

    def label_from_instance(self, volunteer):
        told = people.told_apart(self.user, volunteer.person)
        return f"{volunteer.person.name} ({told})" if told else volunteer.person.name

    def detail_of(self, volunteer):
        return f"{volunteer.organization.name} · {volunteer.office.name}"


class OrganizationChoice(ChoiceByName):
    code_field = "registration_number"
    suggest = "homehelp:organization-suggest"

    def label_from_instance(self, organization):
        if organization.registration_number:
            return f"{organization.name} ({organization.registration_number})"
        return organization.name

    def detail_of(self, organization):
        return organization.office.name if organization.office else str(_("National"))


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "name",
            "registration_number",
            "registered_with_jkm_on",
            "kind",
            "contact_person",
            "phone",
            "email",
        ]
        widgets = {"registered_with_jkm_on": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # A new organisation belongs to the district officer's office; an
        # administrator chooses an office, or none for a national organisation.
        # An organisation keeps its office: others' volunteers may belong to a national one.
        self.office = self.instance.office
        if self.instance.pk is None:
            self.office = office_choice(self, user, None)
            if "office" in self.fields:
                self.fields["office"].required = False
                self.fields["office"].empty_label = _("National: every office")

    def clean(self):
        cleaned = super().clean()
        self.instance.office = self.office or cleaned.get("office")
        if cleaned.get("kind") == Organization.Kind.CHARITY and not cleaned.get(
            "registered_with_jkm_on"
        ):
            self.add_error(
                "registered_with_jkm_on", _("Give the date the charity was registered with JKM.")
            )
        return cleaned


def office_choice(form, user, instance_office):
    """The office a new record belongs to: the district officer's own; an
    administrator (who has none) chooses it."""
    if instance_office is not None:
        return instance_office
    if user.own_office:
        return user.own_office
    form.fields["office"] = forms.ModelChoiceField(user.offices_to_write_into(), label=_("Office"))
    return None


class VolunteerForm(UserForm):
    class Meta:
        model = Volunteer
        fields = ["organization", "trained_on", "active", "max_cases"]
        widgets = {"trained_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        office = self.instance.office if self.instance.office_id else None
        self.office = office_choice(self, self.user, office)
        if "organization" in self.fields:
            # An administrator choosing the office is checked by Volunteer.clean().
            organizations = Organization.objects.visible_to(self.user)
            if self.office:
                organizations = organizations.available_to(self.office)
            self.fields["organization"] = OrganizationChoice(
                organizations.select_related("office"),
                label=self.fields["organization"].label,
                help_text=TYPE_TO_FIND,
                suggest_params={"office": self.office.code if self.office else ""},
            )

    def office_of_new_person(self):
        return self.office

    def clean(self):
        cleaned = super().clean()
        self.office = self.office or cleaned.get("office")
        if self.office:
            self.instance.office = self.office
        return cleaned


class VolunteerCreateForm(PersonByMyKadForm, VolunteerForm):
    person_field = "person"

    def clean(self):
        cleaned = super().clean()
        person = self.existing_person
        if person and self.office and self.volunteers_here(person):
            self.add_error("mykad", _("This person is already a volunteer of this office."))
        return cleaned

    def volunteers_here(self, person):
        return person.volunteer_roles.filter(office=self.office).exists()


class CaseForm(VersionedForm, UserForm):
    class Meta:
        model = Case
        fields = [
            "client_type",
            "oku_card_number",
            "usual_location",
            "constituency",
            "living_arrangement",
            "needs",
            "volunteer",
            "status",
            "opened_on",
            "visit_every_days",
            "consent_to_share",
            "consent_given_on",
            "notes",
        ]
        widgets = {
            "opened_on": DATE,
            "consent_given_on": DATE,
            "needs": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "usual_location": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.user
        office = self.instance.office if self.instance.office_id else None
        self.office = office_choice(self, user, office)
        volunteers = Volunteer.objects.visible_to(user).available_on()
        constituencies = Constituency.objects.select_related("state")
        office_code = state_code = ""
        if self.office:
            volunteers = volunteers.filter(office=self.office)
            constituencies = constituencies.filter(state=self.office.state_id)
            office_code, state_code = self.office.code, self.office.state.code
        self.fields["constituency"] = ConstituencyChoice(
            constituencies,
            label=self.fields["constituency"].label,
            help_text=_("Its code or name, e.g. P.106 or Damansara."),
            suggest_params={"state": state_code},
        )
        if self.office:
            self.fields["constituency"].error_messages["invalid_choice"] = _(
                "Choose a constituency in %(state)s."
            ) % {"state": self.office.state}
        # The import's rows have neither (homehelp.imports.CaseRowForm).
        if "volunteer" in self.fields:
            self.fields["volunteer"] = VolunteerChoice(
                volunteers,
                user=user,
                label=self.fields["volunteer"].label,
                required=False,
                help_text=TYPE_TO_FIND,
                suggest_params={"office": office_code, "available": "1"},
            )
            self.fields["volunteer"].error_messages["invalid_choice"] = _(
                "Choose a trained, active volunteer of this office."
            )
        if "needs" in self.fields:
            self.fields["needs"].queryset = Service.objects.all()
        if self.instance.status == Case.Status.CLOSED:
            # Closing has its own form; a closed case keeps its dates and status.
            self.fields["status"].disabled = True
            self.fields["opened_on"].disabled = True
        else:
            self.fields["status"].choices = [
                c for c in Case.Status.choices if c[0] != Case.Status.CLOSED
            ]

    def clean(self):
        cleaned = super().clean()
        self.office = self.office or cleaned.get("office")
        if self.office:
            self.instance.office = self.office
        client = getattr(self.instance, "client", None)
        if client and client.pk and cleaned.get("status") != Case.Status.CLOSED:
            if self.has_other_open_case(client):
                field = "mykad" if "mykad" in self.fields else "status"
                self.add_error(field, _("This client already has an open case."))
        return cleaned

    def office_of_new_person(self):
        return self.office

    def has_other_open_case(self, client):
        others = client.homehelp_cases.exclude(pk=self.instance.pk)
        return others.exclude(status=Case.Status.CLOSED).exists()


class CaseCreateForm(PersonByMyKadForm, CaseForm):
    person_field = "client"


class CaseCloseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["closed_on", "close_reason"]
        widgets = {"closed_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].required = True
        self.fields["closed_on"].initial = date.today()
        self.fields["close_reason"].required = True
        self.fields["close_reason"].error_messages["required"] = _(
            "Give the reason for closing the case."
        )


class VisitForm(SubmitOnceForm, forms.ModelForm):
    minutes = forms.IntegerField(label=_("Minutes spent"), min_value=1, max_value=720)

    class Meta:
        model = Visit
        fields = ["volunteer", "visited_on", "minutes", "services", "concern", "notes"]
        widgets = {
            "visited_on": DATE,
            "services": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.case = case
        self.fields["services"].queryset = Service.objects.all()
        if "volunteer" not in self.fields:
            return
        self.fields["volunteer"] = VolunteerChoice(
            Volunteer.objects.available_on().filter(office=case.office_id),
            user=user,
            label=self.fields["volunteer"].label,
            help_text=TYPE_TO_FIND,
            suggest_params={"office": case.office.code, "available": "1"},
        )
        self.fields["volunteer"].error_messages["invalid_choice"] = _(
            "Choose a trained, active volunteer of this office."
        )
        if self.instance.pk:
            self.initial["volunteer"] = self.instance.volunteer
        else:
            # The case's volunteer, read with the case: no query to show their name.
            self.initial.setdefault("volunteer", case.volunteer)


class VolunteerVisitForm(VisitForm):
    """The visit form of the volunteer's phone page: the volunteer is the one
    signed in; a concern needs a note saying what it is."""

    class Meta(VisitForm.Meta):
        fields = ["visited_on", "minutes", "services", "concern", "notes"]
        labels = {
            "concern": _("Something worries me"),
            "notes": _("Notes, and what worries you if there is a concern"),
        }
        help_texts = {"concern": _("Your welfare office sees it at once and follows it up.")}
        widgets = {
            **VisitForm.Meta.widgets,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, case, volunteer, **kwargs):
        super().__init__(*args, case=case, user=volunteer.user, **kwargs)
        self.instance.volunteer = volunteer
        self.instance.recorded_by_volunteer = True
        self.fields["minutes"].widget.attrs["inputmode"] = "numeric"
        self.fields["services"].required = True
        self.fields["services"].error_messages["required"] = _("Tick the services you gave.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("concern") and not cleaned.get("notes", "").strip():
            self.add_error("notes", _("Say what the concern is."))
        return cleaned


class HeldVisitForm(SubmitOnceForm, forms.ModelForm):
    """A visit sent for a case no longer assigned to the volunteer, kept for the
    office: checked only for what does not depend on the case (HeldVisit)."""

    minutes = forms.IntegerField(label=_("Minutes spent"), min_value=1, max_value=720)

    class Meta:
        model = HeldVisit
        fields = ["visited_on", "minutes", "services", "concern", "notes"]

    def __init__(self, *args, case, volunteer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.case = case
        self.instance.volunteer = volunteer
        self.fields["services"].queryset = Service.objects.all()


def visit_form_from_held(held, data=None, *, user):
    """The office's visit form, filled in with a held visit for the officer to
    check, correct and confirm."""
    initial = {
        "volunteer": held.volunteer,
        "visited_on": held.visited_on,
        "minutes": held.minutes,
        "services": [service.pk for service in held.services.all()],
        "concern": held.concern,
        "notes": held.notes,
    }
    form = VisitForm(data, case=held.case, user=user, initial=initial)
    form.instance.recorded_by_volunteer = True
    return form


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Volunteer's e-mail address (optional)"),
        required=False,
        help_text=_("For the reminders of visits due. The link below works without it."),
    )


class JoinForm(SetPasswordForm):
    """The invitation's page: the volunteer chooses a password."""

    email = forms.EmailField(
        label=_("E-mail address for reminders (optional)"),
        required=False,
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["email"].initial = user.email

    def save(self, commit=True):
        self.user.email = self.cleaned_data["email"] or self.user.email
        return super().save(commit)


class ReferralForm(forms.ModelForm):
    """A new referral of the case to a health clinic."""

    class Meta:
        model = Referral
        fields = ["clinic", "reason", "sent_on"]
        widgets = {"sent_on": DATE, "reason": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.case = case


class ReferralStatusForm(forms.ModelForm):
    """What came back from the clinic: seen, closed, and its note."""

    class Meta:
        model = Referral
        fields = ["status", "note_back"]
        widgets = {"note_back": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        cleaned = super().clean()
        if status := cleaned.get("status"):
            self.instance.set_status(status)
        return cleaned
