"""The header's menu and the breadcrumbs of every page."""

from django import template
from django.urls import reverse

from welfare.roles import menu_for

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu(context):
    """{% main_menu as nav %}: what welfare.roles.menu_for gives the user here."""
    request = context["request"]
    match = request.resolver_match
    return menu_for(request.user, match.view_name if match else "")


@register.inclusion_tag("breadcrumbs.html")
def breadcrumbs(*crumbs):
    """{% breadcrumbs label url label url ... current %}: the trail to this page,
    one style on every page. A url is a path or a URL name ("homehelp:case-list");
    an empty one leaves that step unlinked."""
    *pairs, current = crumbs
    steps = [
        {"label": label, "url": url if not url or url.startswith("/") else reverse(url)}
        for label, url in zip(pairs[::2], pairs[1::2], strict=True)
    ]
    return {"steps": steps, "current": current}
