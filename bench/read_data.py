"""Data for the read-API benchmark, made through the real services (run with manage.py shell).

1,000 packages (one version each, published by a verified publisher), 500 users with 20
installs each (10,000 installs), plus one user with 5 and one with 30 installed plugins.
Prints the session cookies of those two users for the load generator.
"""

from __future__ import annotations

import random
import sys
import time

from django.contrib.auth import get_user_model

from bench.make_data import WORDS as CATALOG_WORDS
from bench.make_data import session_cookie
from installs.services import install_plugin
from publishing.services import publish_version
from registry.models import Publisher, PublisherMembership
from registry.names import global_name_for

PACKAGES = 1000
USERS = 500
INSTALLS_PER_USER = 20
# The first words of the catalog's vocabulary (bench/make_data.py), as this smaller set has
# always used.
WORDS = CATALOG_WORDS[:22]


def bundle_for(name: str) -> bytes:
    return (
        f"var {global_name_for(name)} = (() => {{ function mount(c) {{ "
        f"c.textContent = '{name}'; }} return {{ mount }}; }})();\n"
    ).encode()


def main() -> None:
    started = time.perf_counter()
    rng = random.Random(7)
    users = get_user_model().objects
    owner = users.create_user("bench-owner", "owner@example.test", "x")
    publisher = Publisher.objects.create(name="bench-pub", display_name="Bench", verified=True)
    PublisherMembership.objects.create(publisher=publisher, user=owner, role="owner")
    names = []
    for index in range(PACKAGES):
        a, b = rng.sample(WORDS, 2)
        name = f"{a}-{b}-{index}"
        manifest = {
            "name": name,
            "displayName": f"{a.title()} {b.title()} {index}",
            "version": "1.0.0",
            "description": f"A {a} plugin that works with {b} data for NaaP operators.",
            "category": rng.choice(["finance", "operations", "monitoring", "social", "ai"]),
            "keywords": [a, b],
            "frontend": {"routes": [f"/plugins/{name}", f"/plugins/{name}/*"]},
            "shell": {"minVersion": "1.0.0"},
        }
        publish_version(
            actor=owner, publisher=publisher, manifest=manifest, bundle=bundle_for(name)
        )
        names.append(name)
    print(
        f"published {PACKAGES} packages in {time.perf_counter() - started:.0f} s", file=sys.stderr
    )
    for index in range(USERS):
        user = users.create_user(f"bench-user-{index}", f"u{index}@example.test", "x")
        for name in rng.sample(names, INSTALLS_PER_USER):
            install_plugin(actor=user, name=name)
    small = users.create_user("bench-five", "five@example.test", "x")
    large = users.create_user("bench-thirty", "thirty@example.test", "x")
    for name in names[:5]:
        install_plugin(actor=small, name=name)
    for name in names[:30]:
        install_plugin(actor=large, name=name)
    print(f"data ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(f"FIVE {session_cookie(small)}")
    print(f"THIRTY {session_cookie(large)}")
    print(f"PLUGIN {names[0]}")


main()
