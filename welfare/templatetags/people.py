"""How a person is shown on a page: as welfare.people decides for the request's user."""

from django import template

from welfare.people import disclosure_for

register = template.Library()


@register.simple_tag(takes_context=True)
def mykad(context, person):
    """The MyKad in full or masked, or a dash when there is none."""
    return disclosure_for(context["request"]).mykad(person) or "—"


@register.simple_tag(takes_context=True)
def full_details(context, person):
    """{% full_details person as shown %}: whether phone and address may show."""
    return disclosure_for(context["request"]).full_details(person)


@register.simple_tag(takes_context=True)
def contact_details(context, person):
    """{% contact_details person as shown %}: whether phone and address may show,
    to officers with the full details and to a volunteer for their clients."""
    return disclosure_for(context["request"]).contact_details(person)
