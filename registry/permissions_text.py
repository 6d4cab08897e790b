"""The permissions a plugin asks for, in words people read before installing it."""

from __future__ import annotations

from registry.origins import declared_origins

SHELL_PERMISSIONS = {
    "navigation": "add entries to the shell's navigation",
    "notifications": "show you notifications",
    "user:read": "see your name and username",
    "user": "see your name and username",
    "theme": "follow the shell's light or dark theme",
    "storage": "keep its own settings and data for you",
    "events": "talk to other plugins through the shell's event bus",
}
BROWSER_PERMISSIONS = {
    "clipboard": "read and write your clipboard",
    "clipboard-read": "read your clipboard",
    "clipboard-write": "write to your clipboard",
    "camera": "use your camera",
    "microphone": "use your microphone",
    "geolocation": "know your location",
    "notifications": "send browser notifications",
    "fullscreen": "go full screen",
}


def describe_permissions(permissions: dict, *, backend: object = None) -> list[str]:
    """One plain sentence fragment per permission, in the manifest's order; `backend` is the
    manifest's `backend`, whose `url` the plugin connects to as well (registry.origins)."""
    sentences: list[str] = []
    if isinstance(backend, dict) and (origins := declared_origins({"backend": backend})):
        sentences.append(f"contact its backend at {origins[0]}")
    for item in permissions.get("shell") or []:
        sentences.append(SHELL_PERMISSIONS.get(str(item), f"use the shell feature “{item}”"))
    for item in permissions.get("apis") or []:
        sentences.append(f"call the API {item}")
    for item in permissions.get("external") or []:
        sentences.append(f"contact {item}")
    for item in permissions.get("browser") or []:
        sentences.append(BROWSER_PERMISSIONS.get(str(item), f"use the browser feature “{item}”"))
    for group, items in permissions.items():
        if group in {"shell", "apis", "external", "browser"} or not isinstance(items, list):
            continue
        sentences.extend(f"{group}: {item}" for item in items)
    return sentences
