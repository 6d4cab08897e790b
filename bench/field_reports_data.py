"""Data for the field reports benchmark (run with manage.py shell): 10 published packages, a
report ticket for their versions and a batch of 10 events (one per version, 8 mounted, 2
failed), written as a wrk script that posts it. Prints the manifest's package name and the
script's path."""

from __future__ import annotations

import json
import os
import tempfile

from django.contrib.auth import get_user_model

from publishing.services import publish_version
from registry.field_reports import issue_ticket
from registry.models import Publisher, PublisherMembership
from registry.names import global_name_for


def main() -> None:
    owner = get_user_model().objects.create_user("bench-owner", "owner@example.test", "x")
    publisher = Publisher.objects.create(name="bench-pub", display_name="Bench", verified=True)
    PublisherMembership.objects.create(publisher=publisher, user=owner, role="owner")
    served = {}
    for index in range(10):
        name = f"field-bench-{index}"
        manifest = {
            "name": name,
            "displayName": f"Field bench {index}",
            "version": "1.0.0",
            "description": "A plugin for the field reports benchmark.",
            "frontend": {"routes": [f"/plugins/{name}"]},
        }
        bundle = f"var {global_name_for(name)} = {{ mount: function () {{}} }};\n".encode()
        version = publish_version(
            actor=owner, publisher=publisher, manifest=manifest, bundle=bundle
        ).version
        served[f"{name}@1.0.0"] = version.pk
    events = [
        {"plugin": plugin, "outcome": "mounted", "ms": 120 + 40 * index}
        if index < 8
        else {"plugin": plugin, "outcome": "failed", "phase": "mount"}
        for index, plugin in enumerate(served)
    ]
    body = json.dumps({"ticket": issue_ticket(served), "events": events})
    handle, path = tempfile.mkstemp(suffix=".lua")
    with os.fdopen(handle, "w") as script:
        script.write('wrk.method = "POST"\n')
        script.write('wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"\n')
        script.write(f"wrk.body = {json.dumps(body)}\n")
    print(f"PLUGIN {next(iter(served)).split('@')[0]}")
    print(f"SCRIPT {path}")


main()
