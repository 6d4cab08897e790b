"""The install panel on a plugin's page (rendered by the registry's detail template)."""

from django import template

from installs.config_schema import config_schema_of
from installs.forms import InstallForm
from installs.models import Team, TeamMembership

register = template.Library()


def admin_teams(user):
    """Teams the user administers (they may install for them)."""
    return Team.objects.filter(
        memberships__user=user, memberships__role=TeamMembership.Role.ADMIN
    ).order_by("name")


@register.inclusion_tag("installs/install_panel.html", takes_context=True)
def install_panel(context, package, version, form=None):
    request = context["request"]
    installable = version is not None and version.status == "published"
    if form is None and request.user.is_authenticated and installable:
        schema = config_schema_of(version.manifest)
        form = InstallForm(teams=admin_teams(request.user), schema=schema)
    return {
        "request": request,
        "package": package,
        "version": version,
        "installable": installable,
        "form": form,
        "csrf_token": context.get("csrf_token"),
    }
