import re

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from experts import services
from experts.models import ExpertStatus, Question, QuestionStatus
from tests.experts.conftest import make_answer, make_expert, make_question
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "expert", "paused_expert", "staff"]
LIST = "/api/v1/questions/"
GOOD_QUESTION = {
    "title": "Why did my monthly advance go up?",
    "body": "My advance went from 80 to 120 euros without any message from you.",
    "focus_area": "billing",
}


def _auth(user) -> dict:
    if user is None:
        return {}
    token, _ = Token.objects.get_or_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


def _send(client, method: str, url: str, user=None, data=None):
    return getattr(client, method)(
        url, data or {}, content_type="application/json", **_auth(user)
    )


def _rate(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


@pytest.fixture
def people(member, expert, paused_expert, staff) -> dict:
    return {
        "anonymous": None,
        "member": member,
        "expert": expert.user,
        "paused_expert": paused_expert.user,
        "staff": staff,
    }


@pytest.fixture
def asker(db):
    return UserFactory(username="femke", display_name="Femke")


@pytest.fixture
def others_question(questions_page, asker, billing):
    """A question none of the five roles asked, so every role is a bystander."""
    return make_question(asker, billing)


# Listing questions


@pytest.mark.parametrize("role", ROLES)
def test_question_list_is_public_for_every_role(client, people, question, role):
    response = client.get(LIST, **_auth(people[role]))
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["id"] == question.pk
    assert item["author"] == "Sanne"
    assert item["focus_area"] == "billing"
    assert item["status"] == QuestionStatus.OPEN
    assert item["url"].endswith(question.path_segment)
    assert item["body_html"].startswith("<p>")


def test_question_list_filters_by_show_area_search_and_ordering(
    client, questions_page, member, staff, billing, solar, expert
):
    solved = make_question(member, billing, title="Where is my final bill for 2024?")
    services.answer_accept(answer=make_answer(solved, expert.user), by=member)
    unanswered = make_question(member, solar, title="Do solar panels need cleaning?")

    def titles(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        return [q["title"] for q in response.json()["results"]]

    assert titles(show="solved") == [solved.title]
    assert titles(show="unanswered") == [unanswered.title]
    assert titles(focus_area="solar") == [unanswered.title]
    assert titles(focus_area="nope") == []
    assert titles(search="final bill") == [solved.title]
    assert titles(ordering="new") == [unanswered.title, solved.title]
    assert titles(ordering="unanswered") == [solved.title, unanswered.title]
    # Unknown values are a 400 naming the filter, as on /api/v1/mentions/
    # (the schema lists the values; a silent fallback hid a client's typo).
    response = client.get(LIST, {"ordering": "random", "show": "everything"})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_question_list_leaves_out_private_and_hidden_questions(
    client, questions_page, member, staff, billing
):
    public = make_question(member, billing, title="A public question on billing")
    private = make_question(member, billing, title="My account is wrong somehow")
    hidden = make_question(member, billing, title="A question staff hid from view")
    services.question_make_private(question=private, by=staff, reason="account")
    services.question_set_hidden(question=hidden, by=staff, hidden=True)
    for user in (None, member, staff):
        data = client.get(LIST, **_auth(user)).json()
        assert [q["id"] for q in data["results"]] == [public.pk]


def test_question_list_is_paginated(client, questions_page, member):
    for n in range(3):
        make_question(member, title=f"Paginated question number {n}")
    first = client.get(LIST).json()
    assert first["count"] == 3 and len(first["results"]) == 3
    assert first["next"] is None and first["previous"] is None
    assert client.get(LIST, {"page": 99}).status_code == 404


# Asking


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("member", 201),
        ("expert", 201),
        ("paused_expert", 201),
        ("staff", 201),
    ],
)
def test_asking_needs_a_member(client, questions_page, people, role, expected):
    response = _send(client, "post", LIST, people[role], GOOD_QUESTION)
    assert response.status_code == expected, response.content
    if expected == 201:
        data = response.json()
        assert data["author"] == people[role].public_name
        assert data["status"] == QuestionStatus.OPEN
        assert data["focus_area"] == "billing"
        assert data["answers"] == []
        assert Question.objects.get(pk=data["id"]).routing_rounds.count() == 1
    else:
        assert not Question.objects.exists()


def test_asking_routes_to_active_experts_but_never_to_paused_ones(
    client, questions_page, member, expert, paused_expert
):
    response = _send(client, "post", LIST, member, GOOD_QUESTION)
    question = Question.objects.get(pk=response.json()["id"])
    routed = set(question.routing_decisions.values_list("expert_id", flat=True))
    assert routed == {expert.pk}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": GOOD_QUESTION["body"]}, "title"),
        ({**GOOD_QUESTION, "title": "Why?"}, "title"),
        ({**GOOD_QUESTION, "title": "x" * 161}, "title"),
        ({**GOOD_QUESTION, "title": "      \x00      "}, "title"),
        ({**GOOD_QUESTION, "body": "Too short"}, "body"),
        ({**GOOD_QUESTION, "body": "x" * 10001}, "body"),
        ({"title": GOOD_QUESTION["title"]}, "body"),
        ({**GOOD_QUESTION, "focus_area": "no-such-area"}, "focus_area"),
        ({**GOOD_QUESTION, "focus_area": ["billing"]}, "focus_area"),
        ({**GOOD_QUESTION, "title": {"nested": "object"}}, "title"),
    ],
)
def test_asking_with_bad_input_gives_field_errors(
    client, questions_page, member, billing, payload, field
):
    response = _send(client, "post", LIST, member, payload)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Question.objects.exists()


def test_asking_with_a_body_that_is_not_json_is_a_400(client, questions_page, member):
    response = client.post(
        LIST, "{not json", content_type="application/json", **_auth(member)
    )
    assert response.status_code == 400


def test_hostile_question_text_comes_back_sanitised(client, questions_page, member):
    payload = {
        "title": "<script>alert('title')</script> Why is my bill high?",
        "body": "Look: <script>alert(1)</script> <img src=x onerror=alert(2)> "
        "[click](javascript:alert(3)) and **bold**.",
    }
    response = _send(client, "post", LIST, member, payload)
    assert response.status_code == 201, response.content
    html = response.json()["body_html"]
    # Raw HTML is shown as text, never as markup; markdown still works.
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert "href" not in html  # the javascript: link is refused
    assert "<strong>bold</strong>" in html
    detail = client.get(f"{LIST}{response.json()['id']}/").json()
    assert "<script" not in detail["body_html"]


def test_asking_is_throttled_per_member(client, questions_page, member, other_member):
    limit = _rate("experts.ask")
    for _ in range(limit):
        assert _send(client, "post", LIST, member, {}).status_code == 400
    assert _send(client, "post", LIST, member, {}).status_code == 429
    # Reading is not throttled by the ask scope, and others may still ask.
    assert client.get(LIST, **_auth(member)).status_code == 200
    assert _send(client, "post", LIST, other_member, {}).status_code == 400


# Question detail


@pytest.mark.parametrize("role", ROLES)
def test_question_detail_is_public_with_answers_accepted_first(
    client, people, question, expert, staff, role
):
    first = make_answer(question, staff, body="An official looking first answer.")
    accepted = make_answer(question, expert.user)
    services.answer_accept(answer=accepted, by=question.author)
    response = client.get(f"{LIST}{question.pk}/", **_auth(people[role]))
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == QuestionStatus.SOLVED
    assert data["accepted_answer"] == accepted.pk
    assert data["answer_count"] == 2
    assert [a["id"] for a in data["answers"]] == [accepted.pk, first.pk]
    top = data["answers"][0]
    assert top["is_accepted"] and top["by_expert"]
    assert top["author"] == expert.user.public_name
    assert top["author_level"] == "Newcomer"
    assert top["marked_helpful"] is False


def test_question_detail_of_a_missing_question_is_404(client, questions_page):
    assert client.get(f"{LIST}999999/").status_code == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 404),
        ("member", 200),  # the asker
        ("expert", 404),
        ("paused_expert", 404),
        ("staff", 200),
    ],
)
def test_private_case_is_only_for_staff_and_the_asker_and_never_shows_originals(
    client, questions_page, people, billing, staff, expert, role, expected
):
    question = make_question(
        people["member"],
        billing,
        title="Refund to NL91ABNA0417164300 please",
        body="Mail me at sanne@example.com or call 06-12345678 about order 12345AB.",
    )
    make_answer(question, expert.user, body="Please mail sanne@example.com back.")
    services.question_make_private(question=question, by=staff, reason="money")
    response = client.get(f"{LIST}{question.pk}/", **_auth(people[role]))
    assert response.status_code == expected
    listed = client.get(LIST, **_auth(people[role])).json()["results"]
    assert listed == []
    if expected == 200:
        data = response.json()
        assert data["is_private"] is True
        assert data["status"] == QuestionStatus.PRIVATE
        for secret in ("sanne@example.com", "06-12345678", "NL91ABNA0417164300"):
            assert secret not in response.content.decode()
        assert "[email removed]" in data["body"]
        assert "original_body" not in data and "private_case" not in data


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 404),
        ("member", 404),  # the asker too: hiding is moderation
        ("expert", 404),
        ("paused_expert", 404),
        ("staff", 200),
    ],
)
def test_hidden_question_is_only_for_staff(
    client, people, question, staff, role, expected
):
    services.question_set_hidden(question=question, by=staff, hidden=True)
    response = client.get(f"{LIST}{question.pk}/", **_auth(people[role]))
    assert response.status_code == expected


def test_hidden_answers_are_left_out_except_for_staff(
    client, question, answer, member, staff
):
    services.answer_set_hidden(answer=answer, by=staff, hidden=True)
    public = client.get(f"{LIST}{question.pk}/", **_auth(member)).json()
    assert public["answers"] == []
    [seen] = client.get(f"{LIST}{question.pk}/", **_auth(staff)).json()["answers"]
    assert seen["is_hidden"] is True


# Answering


@pytest.mark.parametrize(
    ("role", "expected", "by_expert"),
    [
        ("anonymous", 401, None),
        ("member", 201, False),
        ("expert", 201, True),
        ("paused_expert", 201, True),  # paused experts keep their badge
        ("staff", 201, False),
    ],
)
def test_answering_needs_a_member_and_marks_expert_answers(
    client, people, others_question, role, expected, by_expert
):
    url = f"{LIST}{others_question.pk}/answers/"
    body = {"body": "Check the second page of the statement for the total."}
    response = _send(client, "post", url, people[role], body)
    assert response.status_code == expected, response.content
    others_question.refresh_from_db()
    if expected == 201:
        data = response.json()
        assert data["by_expert"] is by_expert
        assert data["is_official"] is False
        assert data["author"] == people[role].public_name
        assert others_question.answer_count == 1
        assert others_question.status == QuestionStatus.ANSWERED
    else:
        assert others_question.answer_count == 0


@pytest.mark.parametrize(
    ("role", "expected"),
    [("member", 403), ("expert", 403), ("paused_expert", 403), ("staff", 201)],
)
def test_only_staff_answer_officially(client, people, others_question, role, expected):
    url = f"{LIST}{others_question.pk}/answers/"
    payload = {"body": "This is the brand's official answer.", "official": True}
    response = _send(client, "post", url, people[role], payload)
    assert response.status_code == expected, response.content
    if expected == 201:
        assert response.json()["is_official"] is True
    else:
        assert not others_question.answers.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "body"),
        ({"body": "Short"}, "body"),
        ({"body": "   \x00   "}, "body"),
        ({"body": "x" * 10001}, "body"),
        ({"body": "A long enough answer", "official": "perhaps"}, "official"),
    ],
)
def test_answering_with_bad_input_gives_field_errors(
    client, question, member, payload, field
):
    response = _send(client, "post", f"{LIST}{question.pk}/answers/", member, payload)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not question.answers.exists()


def test_hostile_answer_text_comes_back_sanitised(client, question, expert):
    payload = {"body": "<script>steal()</script><a href='javascript:x()'>hi</a> ok"}
    response = _send(
        client, "post", f"{LIST}{question.pk}/answers/", expert.user, payload
    )
    assert response.status_code == 201, response.content
    html = response.json()["body_html"]
    assert "<script" not in html and "<a " not in html
    assert "&lt;script&gt;steal()" in html


def test_answering_a_missing_private_or_hidden_question(
    client, questions_page, member, expert, staff, billing
):
    url = f"{LIST}999999/answers/"
    body = {"body": "An answer to nothing at all."}
    assert _send(client, "post", url, member, body).status_code == 404
    private = make_question(member, billing)
    services.question_make_private(question=private, by=staff, reason="anger")
    url = f"{LIST}{private.pk}/answers/"
    assert _send(client, "post", url, expert.user, body).status_code == 404
    # The asker may see the case but it continues in private support.
    refused = _send(client, "post", url, member, body)
    assert refused.status_code == 400
    assert not private.answers.exists()


def test_answering_is_throttled(client, question, expert):
    url = f"{LIST}{question.pk}/answers/"
    for _ in range(_rate("experts.answer")):
        assert _send(client, "post", url, expert.user, {}).status_code == 400
    assert _send(client, "post", url, expert.user, {}).status_code == 429


# Accepting


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("member", 200),  # the asker
        ("expert", 403),  # wrote the answer, did not ask
        ("paused_expert", 403),
        ("staff", 200),
    ],
)
def test_only_the_asker_or_staff_accept(client, people, answer, role, expected):
    url = f"/api/v1/answers/{answer.pk}/accept/"
    response = _send(client, "post", url, people[role])
    assert response.status_code == expected, response.content
    answer.refresh_from_db()
    assert answer.is_accepted is (expected == 200)
    if expected == 200:
        assert response.json()["is_accepted"] is True
        detail = client.get(f"{LIST}{answer.question_id}/").json()
        assert detail["status"] == QuestionStatus.SOLVED
        assert detail["accepted_answer"] == answer.pk


def test_accepting_another_answer_moves_the_acceptance_and_delete_unaccepts(
    client, question, answer, member, staff
):
    other = make_answer(question, staff, body="Another way to read the statement.")
    for accepted in (answer, other):
        url = f"/api/v1/answers/{accepted.pk}/accept/"
        assert _send(client, "post", url, member).status_code == 200
    detail = client.get(f"{LIST}{question.pk}/").json()
    assert detail["accepted_answer"] == other.pk
    assert [a["is_accepted"] for a in detail["answers"]] == [True, False]
    response = _send(client, "delete", f"/api/v1/answers/{other.pk}/accept/", member)
    assert response.status_code == 200
    assert response.json()["is_accepted"] is False
    detail = client.get(f"{LIST}{question.pk}/").json()
    assert detail["accepted_answer"] is None
    assert detail["status"] == QuestionStatus.ANSWERED


def test_others_cannot_unaccept(client, answer, member, expert):
    services.answer_accept(answer=answer, by=member)
    url = f"/api/v1/answers/{answer.pk}/accept/"
    assert _send(client, "delete", url, expert.user).status_code == 403
    answer.refresh_from_db()
    assert answer.is_accepted


# Helpful votes


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("member", 200),
        ("expert", 400),  # their own answer
        ("paused_expert", 200),
        ("staff", 200),
    ],
)
def test_helpful_votes_by_role(client, people, answer, role, expected):
    url = f"/api/v1/answers/{answer.pk}/helpful/"
    response = _send(client, "post", url, people[role])
    assert response.status_code == expected, response.content
    answer.refresh_from_db()
    assert answer.helpful_count == (1 if expected == 200 else 0)
    if expected == 200:
        assert response.json()["helpful_count"] == 1
        assert response.json()["marked_helpful"] is True
    if expected == 400:
        assert "own answer" in response.json()[0]


def test_helpful_counts_once_and_delete_takes_it_back(client, answer, member):
    url = f"/api/v1/answers/{answer.pk}/helpful/"
    assert _send(client, "post", url, member).json()["helpful_count"] == 1
    assert _send(client, "post", url, member).json()["helpful_count"] == 1
    data = _send(client, "delete", url, member).json()
    assert data["helpful_count"] == 0 and data["marked_helpful"] is False
    assert _send(client, "delete", url, member).json()["helpful_count"] == 0
    assert _send(client, "delete", url).status_code == 401


def test_helpful_on_a_missing_or_hidden_answer_is_404(client, answer, member, staff):
    assert (
        _send(client, "post", "/api/v1/answers/999999/helpful/", member).status_code
        == 404
    )
    services.answer_set_hidden(answer=answer, by=staff, hidden=True)
    url = f"/api/v1/answers/{answer.pk}/helpful/"
    assert _send(client, "post", url, member).status_code == 404


def test_actions_on_answers_to_private_cases_are_404_for_others(
    client, question, answer, staff, asker
):
    services.question_make_private(question=question, by=staff, reason="health")
    for action in ("accept", "helpful"):
        url = f"/api/v1/answers/{answer.pk}/{action}/"
        assert _send(client, "post", url, asker).status_code == 404


# Verification


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("member", 403),
        ("expert", 403),
        ("paused_expert", 403),
        ("staff", 200),
    ],
)
def test_verification_is_staff_only(client, people, answer, role, expected):
    url = f"/api/v1/answers/{answer.pk}/verify/"
    response = _send(client, "post", url, people[role], {"note": "Checked"})
    assert response.status_code == expected, response.content
    answer.refresh_from_db()
    assert answer.is_verified is (expected == 200)
    if expected == 200:
        assert response.json()["verified_by"] == "Eva"
        assert response.json()["verified_at"]


def test_staff_withdraw_verification_with_delete(client, answer, staff, member):
    url = f"/api/v1/answers/{answer.pk}/verify/"
    assert _send(client, "post", url, staff).status_code == 200
    assert _send(client, "delete", url, member).status_code == 403
    response = _send(client, "delete", url, staff, {"note": "Tariffs changed"})
    assert response.status_code == 200
    assert response.json()["verified_at"] is None
    assert response.json()["verified_by"] is None
    assert [e.verified for e in answer.verifications.all()] == [False, True]


def test_verification_validates_the_note_and_the_answer(client, answer, staff):
    url = f"/api/v1/answers/{answer.pk}/verify/"
    response = _send(client, "post", url, staff, {"note": "x" * 301})
    assert response.status_code == 400 and "note" in response.json()
    missing = _send(client, "post", "/api/v1/answers/999999/verify/", staff)
    assert missing.status_code == 404
    services.answer_set_hidden(answer=answer, by=staff, hidden=True)
    hidden = _send(client, "post", url, staff)
    assert hidden.status_code == 400


# The expert directory


@pytest.mark.parametrize("role", ROLES)
def test_expert_list_is_public(client, people, role):
    response = client.get("/api/v1/experts/", **_auth(people[role]))
    assert response.status_code == 200
    by_name = {e["username"]: e for e in response.json()["results"]}
    assert set(by_name) == {"joost", "amira"}
    assert by_name["joost"]["status"] == ExpertStatus.ACTIVE
    assert by_name["amira"]["status"] == ExpertStatus.PAUSED
    assert by_name["joost"]["focus_areas"] == ["billing"]
    assert by_name["joost"]["level"] == "Newcomer"
    assert by_name["joost"]["points"] == 0
    assert by_name["joost"]["url"].endswith("/experts/joost/")


def test_expert_list_shows_reputation_filters_by_area_and_skips_leavers(
    client, question, answer, member, staff, billing, solar
):
    services.answer_accept(answer=answer, by=member)
    services.answer_verify(answer=answer, by=staff)
    make_expert(solar, username="zonneman", headline="Installs panels for a living")
    make_expert(billing, username="gone", status=ExpertStatus.LEFT)
    data = client.get("/api/v1/experts/").json()["results"]
    assert [e["username"] for e in data] == ["joost", "zonneman"]
    assert data[0]["points"] == 35 and data[0]["accepted_count"] == 1
    solar_only = client.get("/api/v1/experts/", {"focus_area": "solar"}).json()
    [only] = solar_only["results"]
    assert only["username"] == "zonneman"
    assert only["headline"] == "Installs panels for a living"


def test_expert_list_is_read_only(client, member):
    assert _send(client, "post", "/api/v1/experts/", member).status_code == 405


# Schema and query counts


def test_schema_documents_the_expertcare_endpoints(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    for path in (
        "/api/v1/questions/",
        "/api/v1/questions/{question_id}/",
        "/api/v1/questions/{question_id}/answers/",
        "/api/v1/answers/{answer_id}/accept/",
        "/api/v1/answers/{answer_id}/helpful/",
        "/api/v1/answers/{answer_id}/verify/",
        "/api/v1/experts/",
    ):
        assert path in schema["paths"], path
    components = schema["components"]["schemas"]
    assert {"Question", "QuestionDetail", "Answer", "Expert"} <= set(components)
    assert "original_body" not in str(components)


def test_question_list_query_count_is_fixed(
    client, questions_page, member, billing, django_assert_max_num_queries
):
    for n in range(30):
        make_question(UserFactory(), billing, title=f"API question number {n}")
    client.get(LIST)  # warm the cached index url
    with django_assert_max_num_queries(2):  # count and page
        response = client.get(LIST)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 25
    auth = _auth(member)
    with django_assert_max_num_queries(3):  # and the token
        assert client.get(LIST, {"page": 2}, **auth).status_code == 200


def test_question_detail_query_count_is_fixed(
    client, question, member, billing, django_assert_max_num_queries
):
    for n in range(12):
        make_answer(question, UserFactory(), body=f"Answer number {n} with text.")
    auth = _auth(member)
    client.get(f"{LIST}{question.pk}/", **auth)  # warm the index-url cache
    # token, question, answers with helpful marks, authors' points, levels
    with django_assert_max_num_queries(5):
        response = client.get(f"{LIST}{question.pk}/", **auth)
    assert len(response.json()["answers"]) == 12


def test_expert_list_query_count_is_fixed(
    client, questions_page, billing, solar, django_assert_max_num_queries
):
    for n in range(20):
        make_expert(billing, solar, username=f"expert{n}")
    client.get("/api/v1/experts/")
    # count, page, focus areas, levels
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/experts/")
    assert len(response.json()["results"]) == 20
    assert all(
        re.fullmatch(r"expert\d+", e["username"]) for e in response.json()["results"]
    )
