import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


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


def test_the_api_docs_page_loads(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
