"""The figures that other pages show: the HQ and state dashboards on the home page,
and an office's month on the district officer's worklist. As tags, so that
those pages' apps need not import the reports."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports import figures

register = template.Library()

CARDS = [
    ("participants_joined", _("Participants joined")),
    ("projects_started", _("Projects started")),
    ("visits", _("Visits")),
    ("minutes", _("Hours of visits")),
    ("clients_visited", _("Clients visited")),
]


def _cards(headline):
    return [(label, headline["figures"][name]) for name, label in CARDS]


@register.inclusion_tag("reports/_dashboard.html", takes_context=True)
def dashboard(context):
    """HQ's figures of the country, a state officer's of their state."""
    user = context["request"].user
    state = None if user.sees_all_offices else user.state if user.is_state_officer else None
    if state is None and not user.sees_all_offices:
        return {"shown": False}
    today = timezone.localdate()
    headline = figures.headline(today=today, state=state)
    return {
        "shown": True,
        "state": state,
        "headline": headline,
        "cards": _cards(headline),
        "offices": figures.offices_to_follow_up(user, state=state),
        "refreshed": figures.refreshed(),
        "year": today.year,
        "today": today,
    }


@register.inclusion_tag("reports/_office_month.html", takes_context=True)
def office_month(context):
    """A district officer's office this month, against the same month a year before."""
    user = context["request"].user
    if not user.is_district_officer:
        return {"shown": False}
    today = timezone.localdate()
    headline = figures.headline(today=today, office=user.office)
    return {
        "shown": True,
        "office": user.office,
        "headline": headline,
        "cards": _cards(headline),
        "refreshed": figures.refreshed(),
        "today": today,
    }
