"""The installs routes are in the OpenAPI schema with their request bodies."""

import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_the_installs_routes_are_documented_with_request_bodies(client):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    paths = schema["paths"]
    documented = {
        ("/api/v1/plugins/{name}/install", "post"): "InstallRequest",
        ("/api/v1/plugins/{name}/config", "put"): "ConfigRequest",
        ("/api/v1/plugins/{name}/preferences", "put"): "PreferenceRequest",
        ("/api/v1/plugins/{name}/storage/{key}", "put"): "StorageValueRequest",
    }
    for (path, method), component in documented.items():
        body = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"].startswith(f"#/components/schemas/{component}"), (path, method)
    # OpenAPI tools ignore DELETE bodies, so uninstall documents ?teamId= (the body also works).
    uninstall = paths["/api/v1/plugins/{name}/uninstall"]["delete"]
    assert "teamId" in [parameter["name"] for parameter in uninstall["parameters"]]
    assert "get" in paths["/api/v1/plugins/installed"]
    assert "304" in paths["/api/v1/plugins/installed"]["get"]["responses"]
    assert {"get", "delete"} <= set(paths["/api/v1/plugins/{name}/storage/{key}"])
    assert "get" in paths["/api/v1/plugins/{name}/storage"]
