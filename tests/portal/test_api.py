import pytest
import yaml
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_openapi_schema_describes_the_v1_api(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_api_docs_are_served_without_a_cdn(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"/static/drf_spectacular_sidecar/" in response.content


def test_me_for_anonymous_member_and_staff(client, member, staff):
    assert client.get("/api/v1/me/").status_code in (401, 403)
    client.force_login(member)
    assert client.get("/api/v1/me/").json()["username"] == member.username
    client.force_login(staff)
    assert client.get("/api/v1/me/").json()["username"] == staff.username


def test_token_authentication(client, member):
    token = Token.objects.create(user=member)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    bad = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token nope")
    assert bad.status_code == 401


def test_me_update_validates_input(client, member):
    token = Token.objects.create(user=member)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    response = client.patch(
        "/api/v1/me/", {"language": "klingon"}, content_type="application/json", **auth
    )
    assert response.status_code == 400
    response = client.patch(
        "/api/v1/me/",
        {"display_name": "Sanne V.", "email": "hijack@example.com"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.display_name == "Sanne V."
    assert member.email != "hijack@example.com"


def test_session_api_writes_need_csrf(member):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(member)
    response = csrf_client.patch(
        "/api/v1/me/", {"bio": "x"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_focus_areas_are_public(client, community_settings):
    response = client.get("/api/v1/focus-areas/")
    assert response.status_code == 200
    assert response.json()[0]["slug"] == "billing"


def test_drf_create_token_command_works(member):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("drf_create_token", member.username, stdout=out)
    assert Token.objects.filter(user=member).exists()


def test_health_endpoint_reports_ok(client):
    response = client.get("/health/?format=json")
    assert response.status_code == 200


def test_api_404_is_not_redirected_to_a_language(client):
    response = client.get("/api/v1/ideas/999999/")
    assert response.status_code == 404
    assert client.get("/api/v1/nope/").status_code == 404
