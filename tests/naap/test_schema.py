import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

METHODS = {"get", "put", "post", "delete", "patch"}
SESSION_ONLY = {
    ("/api/v1/tokens", "get"),
    ("/api/v1/tokens", "post"),
    ("/api/v1/tokens/{token_id}", "delete"),
    ("/api/v1/publishers", "post"),
    ("/api/v1/plugins/installed", "get"),
    ("/api/v1/base/plugins/personalized", "get"),
    ("/api/v1/plugins/{name}/install", "post"),
    ("/api/v1/plugins/{name}/uninstall", "delete"),
    ("/api/v1/plugins/{name}/config", "get"),
    ("/api/v1/plugins/{name}/config", "put"),
    ("/api/v1/plugins/{name}/preferences", "put"),
    ("/api/v1/plugins/{name}/token", "post"),
    ("/api/v1/plugins/{name}/testers", "get"),
    ("/api/v1/plugins/{name}/testers", "put"),
    ("/api/v1/publishers/{name}/webhooks", "get"),
    ("/api/v1/publishers/{name}/webhooks", "post"),
    ("/api/v1/publishers/{name}/webhooks/{endpoint_id}", "delete"),
    ("/api/v1/publishers/{name}/webhooks/{endpoint_id}/test", "post"),
    ("/api/v1/publishers/{name}/webhooks/{endpoint_id}/deliveries", "get"),
    ("/api/v1/plugins/{name}/storage", "get"),
    ("/api/v1/plugins/{name}/storage/{key}", "get"),
    ("/api/v1/plugins/{name}/storage/{key}", "put"),
    ("/api/v1/plugins/{name}/storage/{key}", "delete"),
    ("/api/v1/plugins/{name}/reviews", "post"),
    ("/api/v1/plugins/{name}/reviews", "put"),
    ("/api/v1/plugins/{name}/reviews", "delete"),
    ("/api/v1/plugins/{name}/reviews/{review_id}/reply", "post"),
    ("/api/v1/registry/packages/{name}/reviews", "post"),
    ("/api/v1/registry/packages/{name}/reviews", "delete"),
}
OPEN_READS = {
    ("/api/v1/plugins/registry", "get"),
    ("/api/v1/plugins/registry/{name}", "get"),
    ("/api/v1/plugins/registry/{name}/{version}/manifest", "get"),
    ("/api/v1/plugins/{name}/deployment", "get"),
    ("/api/v1/registry/packages", "get"),
    ("/api/v1/plugins/{name}/reviews", "get"),
    ("/api/v1/registry/packages/{name}/reviews", "get"),
}
MANIFEST = ("/api/v1/plugins/registry/{name}/{version}/manifest", "get")
# Upstream NaaP's deploy protocol answers bare documents, as its CLI reads them.
UPSTREAM_DOCUMENTS = {
    ("/api/v1/plugins/{name}/deploy", "post"),
    ("/api/v1/plugins/{name}/deployments/{deployment_id}/events", "get"),
    ("/api/v1/plugins/{name}/deployment/status", "get"),
    ("/api/v1/plugins/{name}/deployment/rollback", "post"),
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return yaml.safe_load(Client().get("/api/v1/schema/").content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield (path, method), operation


def resolve(schema, node):
    """A node with its $ref followed (local references only)."""
    while "$ref" in node:
        target = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_the_openapi_schema_is_valid_openapi_3_and_lists_the_routes(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    assert schema["openapi"].startswith("3.")
    for route in [
        "/api/v1/plugins/publish",
        "/api/v1/plugins/registry/{name}/{version}/manifest",
        "/api/v1/plugins/{name}/rollback",
        "/api/v1/tokens",
        "/api/v1/publishers",
    ]:
        assert route in schema["paths"], route
    assert schema["components"]["securitySchemes"]["naapToken"]["scheme"] == "bearer"


def test_drf_spectacular_validates_the_schema_without_a_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert "paths" in yaml.safe_load((tmp_path / "s.yml").read_text())


def test_every_success_body_is_the_envelope_except_the_documents(schema):
    for key, operation in operations(schema):
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            body = resolve(schema, response)["content"]["application/json"]["schema"]
            if key == MANIFEST or key in UPSTREAM_DOCUMENTS:
                assert "data" not in resolve(schema, body).get("properties", {}), key
                continue
            # `meta` too where a view always sends it (PagedSchema: registry/packages).
            assert body["required"] in (["success", "data"], ["success", "data", "meta"]), key
            assert body["properties"]["success"] == {"type": "boolean", "enum": [True]}
            assert body["properties"]["data"], (key, status)


def test_every_operation_lists_its_errors_with_the_failure_envelope(schema):
    for key, operation in operations(schema):
        statuses = set(operation["responses"])
        assert {"400", "401"} <= statuses, key
        # The HTTP server's own page for an address past its limit, not the API's envelope.
        too_long = resolve(schema, operation["responses"]["414"])
        assert set(too_long["content"]) == {"text/html"}, key
        for status in statuses - {"200", "201", "304", "414"}:
            response = resolve(schema, operation["responses"][status])
            body = response["content"]["application/json"]["schema"]
            envelope, of_this_status = body["allOf"]
            assert envelope == {"$ref": "#/components/schemas/Error"}, (key, status)
            assert of_this_status["properties"]["success"]["enum"] == [False]
            assert of_this_status["properties"]["error"]["properties"]["code"]["enum"]
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["success", "error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/plugins/registry", "get", {"200", "400", "401", "429"}),
        ("/api/v1/plugins/registry/{name}/{version}/manifest", "get", {"304", "404", "429"}),
        (
            "/api/v1/plugins/publish",
            "post",
            {"200", "201", "403", "404", "409", "413", "429", "503"},
        ),
        ("/api/v1/plugins/{name}/install", "post", {"200", "201", "403", "404", "409"}),
        ("/api/v1/plugins/{name}/storage/{key}", "put", {"200", "201", "409", "411", "413"}),
        ("/api/v1/publishers", "post", {"201", "403", "409"}),
        ("/api/v1/tokens", "post", {"201", "403", "404"}),
        ("/api/v1/plugins/{name}/analytics", "get", {"200", "400", "401", "403", "404"}),
        ("/api/v1/plugins/{name}/deploy", "post", {"201", "403", "404", "409", "413", "415"}),
        ("/api/v1/plugins/{name}/deployment/rollback", "post", {"200", "403", "404", "409"}),
        ("/api/v1/plugins/{name}/deployment/status", "get", {"200", "401", "403", "404"}),
        ("/api/v1/plugins/{name}/reviews", "post", {"201", "403", "404", "409", "429"}),
        ("/api/v1/plugins/{name}/reviews", "get", {"200", "404", "429"}),
        ("/api/v1/plugins/{name}/reviews/{review_id}/reply", "post", {"201", "403", "409"}),
        ("/api/v1/registry/packages/{name}/reviews", "post", {"200", "201", "403", "429"}),
    ],
)
def test_operations_list_the_statuses_they_answer(schema, path, method, statuses):
    assert statuses <= set(schema["paths"][path][method]["responses"])


def test_open_reads_are_never_refused_with_403_nor_session_reads_throttled(schema):
    for key, operation in operations(schema):
        if key in OPEN_READS:
            assert "403" not in operation["responses"], key
        if key in SESSION_ONLY and key[1] == "get":
            assert "429" not in operation["responses"], key


def test_deletes_answer_200_with_a_body_not_204(schema):
    deletes = [operation for (_, method), operation in operations(schema) if method == "delete"]
    assert len(deletes) == 6
    for operation in deletes:
        assert "204" not in operation["responses"]
        assert "content" in resolve(schema, operation["responses"]["200"])


def test_each_operation_lists_only_the_security_schemes_it_accepts(schema):
    session, token, anonymous = {"cookieAuth": []}, {"naapToken": []}, {}
    for key, operation in operations(schema):
        if key in SESSION_ONLY:
            assert operation["security"] == [session], key
        elif key in OPEN_READS:
            assert operation["security"] == [token, session, anonymous], key
        else:
            assert operation["security"] == [token, session], key


def test_publisher_names_in_requests_show_the_name_rule(schema):
    for path in ["/api/v1/publishers", "/api/v1/tokens"]:
        body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        fields = resolve(schema, body["schema"])["properties"]
        name = fields["name" if path.endswith("publishers") else "publisher"]
        assert name["pattern"] == "^[a-z][a-z0-9-]{1,62}[a-z0-9]$", path


def test_the_api_docs_page_loads(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
