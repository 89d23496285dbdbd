import pytest
from rest_framework.authtoken.models import Token

from ideas import services
from ideas.models import Idea
from tests.factories import make_idea

pytestmark = pytest.mark.django_db


def _auth(user):
    token, _ = Token.objects.get_or_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


def test_list_is_public_and_filterable(client, ideas_page, staff):
    a = make_idea(title="Planned idea for the API")
    make_idea(title="New idea for the API")
    services.idea_respond(idea=a, by=staff, status="planned")
    data = client.get("/api/v1/ideas/", {"status": "planned"}).json()
    assert [i["title"] for i in data["results"]] == ["Planned idea for the API"]
    assert client.get("/api/v1/ideas/", {"ordering": "top"}).status_code == 200


def test_create_needs_a_member_and_valid_input(client, member, ideas_page):
    payload = {"title": "An idea through the API", "body": "Long enough body text."}
    assert client.post("/api/v1/ideas/", payload).status_code == 401
    response = client.post(
        "/api/v1/ideas/", payload, content_type="application/json", **_auth(member)
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "new"
    bad = client.post(
        "/api/v1/ideas/",
        {"title": "x", "body": "<script>"},
        content_type="application/json",
        **_auth(member),
    )
    assert bad.status_code == 400
    assert Idea.objects.count() == 1


def test_vote_and_unvote(client, member, ideas_page):
    idea = make_idea()
    auth = _auth(member)
    assert client.post(f"/api/v1/ideas/{idea.pk}/vote/").status_code == 401
    assert (
        client.post(f"/api/v1/ideas/{idea.pk}/vote/", **auth).json()["vote_count"] == 1
    )
    assert (
        client.post(f"/api/v1/ideas/{idea.pk}/vote/", **auth).json()["vote_count"] == 1
    )
    assert (
        client.delete(f"/api/v1/ideas/{idea.pk}/vote/", **auth).json()["vote_count"]
        == 0
    )
    assert client.post("/api/v1/ideas/999999/vote/", **auth).status_code == 404


def test_status_and_merge_are_staff_only(client, member, staff, ideas_page):
    a, b = make_idea(), make_idea(title="Original idea for merge")
    for user, expected in [(member, 403), (staff, 200)]:
        response = client.post(
            f"/api/v1/ideas/{a.pk}/status/",
            {"status": "under_review", "response": "Looking"},
            content_type="application/json",
            **_auth(user),
        )
        assert response.status_code == expected
        Token.objects.all().delete()
    response = client.post(
        f"/api/v1/ideas/{a.pk}/merge/",
        {"into": b.pk},
        content_type="application/json",
        **_auth(staff),
    )
    assert response.status_code == 200
    assert response.json()["target"]["id"] == b.pk
    Token.objects.all().delete()
    again = client.post(
        f"/api/v1/ideas/{a.pk}/merge/",
        {"into": b.pk},
        content_type="application/json",
        **_auth(staff),
    )
    assert again.status_code == 400


def test_similar_endpoint(client, ideas_page):
    make_idea(title="Dark mode in the Vonk app")
    data = client.get("/api/v1/ideas/similar/", {"q": "dark theme"}).json()
    assert data and data[0]["title"] == "Dark mode in the Vonk app"


def test_hidden_idea_is_not_served(client, ideas_page, staff, member):
    idea = make_idea()
    services.idea_set_hidden(idea=idea, by=staff, hidden=True)
    assert client.get(f"/api/v1/ideas/{idea.pk}/").status_code == 404
    assert client.get(f"/api/v1/ideas/{idea.pk}/", **_auth(staff)).status_code == 200


def test_api_list_query_count_is_fixed(
    client, ideas_page, django_assert_max_num_queries
):
    for n in range(30):
        make_idea(title=f"API idea number {n}", tags=["x"])
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/ideas/").status_code == 200
