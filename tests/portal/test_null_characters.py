"""A NUL in a URL is refused with a 400 before any view reads it.

PostgreSQL can't hold NUL in text, so a query parameter carrying one used to
crash views that filter on it (found by schemathesis in the PostgreSQL pass).
"""

import pytest

pytestmark = pytest.mark.django_db


def test_an_api_filter_with_a_nul_is_a_json_400(client):
    response = client.get("/api/v1/questions/", {"focus_area": "a\x00b"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Null characters are not allowed."}


def test_a_page_query_with_a_nul_is_a_400_page_in_the_visitors_language(client, home):
    response = client.get("/nl/search/", {"q": "vonk\x00"})
    assert response.status_code == 400
    assert "Ongeldig verzoek" in response.content.decode()


def test_a_nul_in_a_parameter_name_is_refused_too(client):
    response = client.get("/api/v1/ideas/?a%00b=1")
    assert response.status_code == 400


def test_ordinary_queries_pass_through(client, home):
    assert client.get("/api/v1/questions/").status_code == 200
    assert client.get("/en/search/", {"q": "vonk"}).status_code == 200
