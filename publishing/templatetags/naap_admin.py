"""The staff dashboard block on the admin index."""

from django import template

from registry.selectors import staff_dashboard

register = template.Library()


@register.inclusion_tag("admin/naap/dashboard.html")
def naap_dashboard() -> dict:
    return staff_dashboard()
