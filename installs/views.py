"""Pages for people: install a plugin, and "My plugins" (enable, pin, reorder, configure,
uninstall). Every change goes through installs.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from installs import selectors, services
from installs.config_schema import config_schema_of
from installs.config_secrets import MASK, masked
from installs.forms import FIELD_PREFIX, ConfigForm, InstallForm, config_form_fields
from installs.models import TeamMembership, TenantPluginInstall
from installs.templatetags.install_tags import admin_teams
from installs.versions import version_for_user
from naap.errors import NaapError
from naap.forms import attach_errors
from naap.http import client_ip
from registry import selectors as registry_selectors
from registry.config_schema import ConfigSchemaError
from registry.visibility import may_see


def _config_field(path: str) -> str:
    """The form field of an API field path (config.x -> config__x)."""
    return FIELD_PREFIX + path.removeprefix("config.") if path.startswith("config.") else path


@login_required
@require_POST
def install_page(request, name: str):
    """Install from the plugin's page; errors are shown on the form, next to their field."""
    try:
        package = registry_selectors.visible_package(name=name, user=request.user)
    except NaapError as error:
        raise Http404(error.message) from error
    deployment = getattr(package, "deployment", None)
    version = deployment.version if deployment is not None else None
    schema = config_schema_of(version.manifest) if version else None
    form = InstallForm(request.POST, teams=admin_teams(request.user), schema=schema)
    if form.is_valid():
        try:
            result = services.install_plugin(
                actor=request.user,
                name=name,
                team_id=form.team_id(),
                config=form.config(),
                ip=client_ip(request),
            )
        except NaapError as error:
            attach_errors(form, error, field_for=_config_field)
        else:
            where = "your team" if form.team_id() else "you"
            text = "installed" if result.created else "was already installed"
            messages.success(request, f"{package.display_name} {text} for {where}.")
            return redirect("my-plugins")
    return render(
        request,
        "installs/install_page.html",
        {"package": package, "version": version, "form": form},
        status=400,
    )


def _my_plugins(user):
    """The user's effective plugins (all of them, disabled too) and their teams' installs."""
    bootstrap = selectors.effective_plugins(user=user)
    administered = {team.pk for team in admin_teams(user)}
    team_installs = list(
        TenantPluginInstall.objects.filter(team_id__in=administered)
        .select_related("package__publisher", "team")
        .order_by("team__name", "package__name")
    )
    # A preview the person may not see is not shown, even as their team's.
    team_installs = [
        install
        for install in team_installs
        if not install.package.preview or may_see(user, install.package)
    ]
    for install in team_installs:
        # A core plugin is the team's anyway: the page offers no Uninstall for it.
        install.is_core = selectors.is_core_for_everyone(install.package)
    return bootstrap.plugins, team_installs


@login_required
def my_plugins(request):
    plugins, team_installs = _my_plugins(request.user)
    return render(
        request,
        "installs/my_plugins.html",
        {"plugins": plugins, "team_installs": team_installs},
    )


@login_required
@require_POST
def preference_action(request, name: str):
    """Enable/disable, pin/unpin or move a plugin up or down, without JavaScript."""
    action = request.POST.get("action", "")
    try:
        if action in {"enable", "disable"}:
            services.set_plugin_preferences(
                actor=request.user, name=name, enabled=action == "enable", ip=client_ip(request)
            )
        elif action in {"pin", "unpin"}:
            services.set_plugin_preferences(
                actor=request.user, name=name, pinned=action == "pin", ip=client_ip(request)
            )
        elif action in {"up", "down"}:
            _move(request, name, -1 if action == "up" else 1)
        else:
            messages.error(request, "Unknown action.")
    except NaapError as error:
        messages.error(request, error.message)
    return redirect("my-plugins")


def _move(request, name: str, step: int) -> None:
    """Swap a plugin with its neighbour in the list, then number the list 0, 1, 2, …"""
    plugins, _ = _my_plugins(request.user)
    names = [plugin.name for plugin in plugins]
    if name not in names:
        raise Http404(f"Plugin '{name}' is not installed for you.")
    index = names.index(name)
    target = index + step
    if not 0 <= target < len(names):
        return
    current_pinned = plugins[index].pinned
    if plugins[target].pinned != current_pinned:
        # Pinned plugins stay above the others; moving across that line means pinning.
        messages.info(request, "Pin or unpin a plugin to move it across pinned ones.")
        return
    names[index], names[target] = names[target], names[index]
    orders = {plugin.name: plugin.order for plugin in plugins}
    for position, plugin_name in enumerate(names):
        if orders[plugin_name] != position:
            services.set_plugin_preferences(
                actor=request.user, name=plugin_name, order=position, ip=client_ip(request)
            )


@login_required
@require_POST
def uninstall_action(request, name: str):
    team_id = _team_id(request.POST.get("team"))
    try:
        services.uninstall_plugin(
            actor=request.user, name=name, team_id=team_id, ip=client_ip(request)
        )
    except NaapError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{name} uninstalled.")
    return redirect("my-plugins")


def _team_id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@login_required
def config_page(request, name: str):
    """Edit an installation's config with the form its schema generates."""
    team_id = _team_id(request.GET.get("team") or request.POST.get("team"))
    if (
        team_id is not None
        and not TeamMembership.objects.filter(
            team_id=team_id, user=request.user, role=TeamMembership.Role.ADMIN
        ).exists()
    ):
        raise Http404("You administer no such team.")
    installs = TenantPluginInstall.objects.select_related(
        "package__deployment__version", "package__deployment__canary_version", "pinned_version"
    ).filter(package__name=name)
    if team_id is not None:
        installs = installs.filter(team_id=team_id)
    else:
        installs = installs.filter(user=request.user)
    install = installs.first()
    if install is None:
        raise Http404(f"Plugin '{name}' is not installed there.")
    version = version_for_user(install, user_id=request.user.pk)
    schema = config_schema_of(version.manifest) if version else None
    try:
        fields, schema_problems = config_form_fields(schema), {}
    except ConfigSchemaError as error:
        # A stored schema the checker refuses: no settings to edit, and the page says why.
        fields, schema_problems = {}, error.problems
    # Secrets are never sent back to the browser: their fields start blank.
    initial = {
        FIELD_PREFIX + key: value
        for key, value in masked(install.config, schema).items()
        if value != MASK
    }
    form = ConfigForm(request.POST or None, fields=fields, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.configure_plugin(
                actor=request.user,
                name=name,
                team_id=team_id,
                config=form.config(),
                ip=client_ip(request),
            )
        except NaapError as error:
            attach_errors(form, error, field_for=_config_field)
        else:
            messages.success(request, f"Settings of {install.package.display_name} saved.")
            return redirect("my-plugins")
    return render(
        request,
        "installs/config.html",
        {
            "install": install,
            "form": form,
            "team_id": team_id,
            "has_fields": bool(fields),
            "schema_problems": schema_problems,
        },
        status=400 if request.method == "POST" else 200,
    )
