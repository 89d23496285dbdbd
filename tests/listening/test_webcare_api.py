"""The webcare API (issue 6): the inbox filters on GET /api/v1/mentions/ and
the staff actions assign, reply, link and invite; plus the public opt-out."""

from datetime import timedelta
from itertools import count

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from experts.models import Question
from ideas.models import Idea, IdeaStatus
from listening import consent
from listening.models import (
    ConsentEvent,
    Invitation,
    Mention,
    MentionLink,
    MentionReply,
    OptOut,
    Source,
    Tracker,
)
from listening.webcare import REPLY_MAX_CHARS
from tests.experts.conftest import make_expert, make_question
from tests.factories import StaffFactory, make_idea

pytestmark = pytest.mark.django_db

LIST = "/api/v1/mentions/"
SANNE = "@sanne@mastodon.social"
_ids = count(1)


@pytest.fixture
def mastodon():
    return Source.objects.create(
        name="Mastodon", kind="mastodon", url="https://mastodon.test/"
    )


@pytest.fixture
def forum():
    return Source.objects.create(
        name="Forum", kind="rss", url="https://forum.example/feed"
    )


def make_mention(source, *, author=SANNE, text=None, trackers=(), **fields):
    n = next(_ids)
    now = timezone.now()
    fields.setdefault("language", "en")
    fields.setdefault("sentiment_score", 0.3)
    fields.setdefault("sentiment_label", "positive")
    fields.setdefault("intent", "idea")
    fields.setdefault("posted_at", now - timedelta(minutes=n))
    fields.setdefault("due_at", now + timedelta(hours=2))
    mention = Mention.objects.create(
        source=source,
        external_id=f"post-{n}",
        author_handle=author,
        text=text or f"Vonk should add a weekly usage graph, post {n}",
        cluster_key=f"c{n}",
        **fields,
    )
    mention.trackers.set(trackers)
    return mention


@pytest.fixture
def mention(mastodon):
    return make_mention(mastodon)


def actions(pk):
    return [
        (f"/api/v1/mentions/{pk}/assign/", {"assignee": None}),
        (f"/api/v1/mentions/{pk}/reply/", {"text": "Thanks!", "channel": "manual"}),
        (f"/api/v1/mentions/{pk}/link/", {"idea": 1}),
        (f"/api/v1/mentions/{pk}/invite/", {}),
    ]


def post(client, url, payload=None, **extra):
    return client.post(url, payload or {}, content_type="application/json", **extra)


@pytest.fixture
def expert_user(db):
    return make_expert().user


# --- permissions --------------------------------------------------------------


def test_anonymous_callers_get_401_everywhere(client, mention):
    assert client.get(LIST).status_code == 401
    for url, payload in actions(mention.pk):
        response = post(client, url, payload)
        assert response.status_code == 401, url
        assert "detail" in response.json()
    assert not MentionReply.objects.exists()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", ["member", "expert"])
def test_members_and_experts_get_403_everywhere(
    client, mention, member, expert_user, role
):
    client.force_login(member if role == "member" else expert_user)
    assert client.get(LIST).status_code == 403
    for url, payload in actions(mention.pk):
        response = post(client, url, payload)
        assert response.status_code == 403, url
        assert "detail" in response.json()
    mention.refresh_from_db()
    assert mention.status == "new" and mention.assignee is None
    assert not MentionReply.objects.exists()
    assert not MentionLink.objects.exists()
    assert not Invitation.objects.exists()


def test_staff_without_superuser_rights_may_use_the_api(client, mention):
    colleague = StaffFactory(is_superuser=False)
    client.force_login(colleague)
    assert client.get(LIST).status_code == 200
    response = post(
        client, f"/api/v1/mentions/{mention.pk}/assign/", {"assignee": "me"}
    )
    assert response.status_code == 200
    assert response.json()["assignee"] == colleague.pk


def test_staff_token_works_for_actions(client, staff, mention):
    token = Token.objects.create(user=staff)
    response = post(
        client,
        f"/api/v1/mentions/{mention.pk}/assign/",
        {"assignee": "me"},
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200
    assert response.json()["assignee"] == staff.pk


def test_session_writes_need_csrf(staff, mention):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = post(
        client, f"/api/v1/mentions/{mention.pk}/assign/", {"assignee": "me"}
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    mention.refresh_from_db()
    assert mention.assignee is None


@pytest.mark.parametrize("index", range(4))
def test_actions_on_an_unknown_mention_are_404(staff_client, index):
    url, payload = actions(999_999)[index]
    response = post(staff_client, url, payload)
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("index", range(4))
def test_malformed_json_is_400_not_500(staff_client, mention, index):
    url, _payload = actions(mention.pk)[index]
    response = staff_client.post(url, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


@pytest.mark.parametrize("index", range(4))
def test_a_body_that_is_not_an_object_is_400(staff_client, mention, index):
    url, _payload = actions(mention.pk)[index]
    response = staff_client.post(url, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_the_new_endpoints_are_in_the_schema(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    paths = schema["paths"]
    for action in ("assign", "reply", "link", "invite"):
        path = f"/api/v1/mentions/{{id}}/{action}/"
        assert list(paths[path]) == ["post"], path
    invite = paths["/api/v1/mentions/{id}/invite/"]["post"]["responses"]
    assert {"201", "409"} <= set(invite)
    params = {p["name"] for p in paths[LIST]["get"]["parameters"]}
    assert {"status", "assignee", "overdue", "sort", "since", "source"} <= params
    fields = schema["components"]["schemas"]["Mention"]["properties"]
    assert {"status", "assignee", "due_at", "first_response_seconds", "sla"} <= set(
        fields
    )


# --- the list: inbox fields ---------------------------------------------------


def test_list_shows_inbox_state_and_sla(staff_client, mastodon, staff):
    now = timezone.now()
    met = make_mention(
        mastodon,
        status="responded",
        assignee=staff,
        due_at=now,
        first_response_at=now - timedelta(minutes=5),
        first_response_seconds=300,
    )
    missed = make_mention(
        mastodon,
        status="responded",
        due_at=now - timedelta(hours=1),
        first_response_at=now,
        first_response_seconds=9000,
    )
    overdue = make_mention(mastodon, due_at=now - timedelta(minutes=1))
    due = make_mention(mastodon, status="assigned", assignee=staff)
    closed = make_mention(mastodon, status="closed")
    no_clock = make_mention(mastodon, due_at=None)

    response = staff_client.get(LIST)
    assert response.status_code == 200
    rows = {m["id"]: m for m in response.json()["results"]}
    assert rows[met.pk]["sla"] == "met"
    assert rows[met.pk]["status"] == "responded"
    assert rows[met.pk]["assignee"] == staff.pk
    assert rows[met.pk]["first_response_seconds"] == 300
    assert rows[met.pk]["first_response_at"] is not None
    assert rows[missed.pk]["sla"] == "missed"
    assert rows[overdue.pk]["sla"] == "overdue"
    assert rows[due.pk]["sla"] == "due"
    assert rows[due.pk]["due_at"] is not None
    assert rows[closed.pk]["sla"] == ""
    assert rows[no_clock.pk]["sla"] == "" and rows[no_clock.pk]["due_at"] is None
    assert rows[overdue.pk]["assignee"] is None
    assert rows[overdue.pk]["first_response_seconds"] is None


def test_list_keeps_every_status_and_newest_first_by_default(staff_client, mastodon):
    now = timezone.now()
    old = make_mention(mastodon, status="closed", posted_at=now - timedelta(days=3))
    new = make_mention(mastodon, status="new", posted_at=now - timedelta(hours=1))
    ignored = make_mention(mastodon, status="ignored", posted_at=now)
    data = staff_client.get(LIST).json()
    assert data["count"] == 3
    assert [m["id"] for m in data["results"]] == [ignored.pk, new.pk, old.pk]
    assert set(data) == {"count", "next", "previous", "results"}


def test_detail_has_the_inbox_fields_too(staff_client, mention):
    data = staff_client.get(f"/api/v1/mentions/{mention.pk}/").json()
    assert data["status"] == "new" and data["sla"] == "due"


# --- the list: filters --------------------------------------------------------


@pytest.fixture
def inbox(mastodon, forum, staff):
    """One mention that stands out for each filter, plus a plain one."""
    now = timezone.now()
    colleague = StaffFactory(username="noor")
    vonk = Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    idea = make_idea()
    rows = {
        "plain": make_mention(mastodon, trackers=[vonk]),
        "assigned_to_me": make_mention(mastodon, status="assigned", assignee=staff),
        "colleague": make_mention(mastodon, status="assigned", assignee=colleague),
        "closed": make_mention(mastodon, status="closed"),
        "forum": make_mention(forum),
        "dutch": make_mention(mastodon, language="nl"),
        "negative": make_mention(
            mastodon, sentiment_label="negative", sentiment_score=-0.5
        ),
        "question": make_mention(mastodon, intent="question"),
        "influential": make_mention(mastodon, influence=80),
        "old": make_mention(mastodon, posted_at=now - timedelta(days=10)),
        "overdue": make_mention(mastodon, due_at=now - timedelta(minutes=5)),
        "lead": make_mention(mastodon, is_lead=True),
        "linked": make_mention(mastodon, status="linked"),
    }
    MentionLink.objects.create(mention=rows["linked"], idea=idea, linked_by=staff)
    return {"rows": rows, "tracker": vonk, "idea": idea, "colleague": colleague}


def _names(client, inbox, query):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, response.json()
    ids = {m["id"] for m in response.json()["results"]}
    return {name for name, m in inbox["rows"].items() if m.pk in ids}


def test_each_inbox_filter_narrows(staff_client, inbox, forum):
    everything = set(inbox["rows"])
    assert _names(staff_client, inbox, "") == everything
    assert _names(staff_client, inbox, "status=all") == everything
    assert _names(staff_client, inbox, "status=closed") == {"closed"}
    assert _names(staff_client, inbox, "status=assigned&status=closed") == {
        "assigned_to_me",
        "colleague",
        "closed",
    }
    assert _names(staff_client, inbox, f"tracker={inbox['tracker'].pk}") == {"plain"}
    assert _names(staff_client, inbox, f"source={forum.pk}") == {"forum"}
    assert _names(staff_client, inbox, "language=nl") == {"dutch"}
    assert _names(staff_client, inbox, "language=NL") == {"dutch"}
    assert _names(staff_client, inbox, "sentiment=negative") == {"negative"}
    assert _names(staff_client, inbox, "intent=question") == {"question"}
    assert _names(staff_client, inbox, "influence=50") == {"influential"}
    assert _names(staff_client, inbox, "assignee=me") == {"assigned_to_me"}
    colleague = inbox["colleague"].pk
    assert _names(staff_client, inbox, f"assignee={colleague}") == {"colleague"}
    assert _names(staff_client, inbox, "assignee=none") == everything - {
        "assigned_to_me",
        "colleague",
    }
    assert _names(staff_client, inbox, "age=7d") == everything - {"old"}
    assert _names(staff_client, inbox, "overdue=true") == {"overdue"}
    assert _names(staff_client, inbox, "overdue=1") == {"overdue"}
    assert _names(staff_client, inbox, "overdue=false") == everything
    assert _names(staff_client, inbox, "lead=yes") == {"lead"}
    assert _names(staff_client, inbox, f"idea={inbox['idea'].pk}") == {"linked"}
    since = (timezone.now() - timedelta(days=5)).isoformat()
    assert "old" not in _names(
        staff_client, inbox, f"since={since}".replace("+", "%2B")
    )
    # Filters combine.
    assert _names(staff_client, inbox, "status=new&status=assigned&assignee=me") == {
        "assigned_to_me"
    }
    assert _names(staff_client, inbox, "status=closed&language=nl") == set()


def test_inbox_sorts(staff_client, inbox):
    rows = inbox["rows"]
    results = staff_client.get(f"{LIST}?sort=due").json()["results"]
    assert results[0]["id"] == rows["overdue"].pk
    results = staff_client.get(f"{LIST}?sort=-influence").json()["results"]
    assert results[0]["id"] == rows["influential"].pk
    results = staff_client.get(f"{LIST}?sort=posted").json()["results"]
    assert results[0]["id"] == rows["old"].pk


def test_an_unknown_source_or_tracker_id_lists_nothing(staff_client, inbox):
    # As before the inbox filters: ids are not looked up.
    assert staff_client.get(f"{LIST}?source=999999").json()["count"] == 0
    assert staff_client.get(f"{LIST}?tracker=999999").json()["count"] == 0


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=bogus", "status"),
        ("status=new&status=bogus", "status"),
        ("sentiment=angry", "sentiment"),
        ("intent=rant", "intent"),
        ("influence=abc", "influence"),
        ("influence=101", "influence"),
        ("assignee=eva", "assignee"),
        ("age=2y", "age"),
        ("overdue=maybe", "overdue"),
        ("lead=2", "lead"),
        ("idea=0", "idea"),
        ("idea=abc", "idea"),
        ("sort=bogus", "sort"),
        ("sort=-raw", "sort"),
        ("source=abc", "source"),
        ("tracker=-1", "tracker"),
        ("since=yesterday", "since"),
        ("language=" + "x" * 11, "language"),
    ],
)
def test_bad_filters_are_400_per_field(staff_client, query, field):
    response = staff_client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {field}
    assert all(isinstance(m, str) and m for m in errors[field])


def test_several_bad_filters_are_reported_together(staff_client):
    response = staff_client.get(f"{LIST}?status=x&source=abc&overdue=perhaps")
    assert response.status_code == 400
    assert set(response.json()) == {"status", "source", "overdue"}


def test_list_query_count_is_pinned(
    client, staff, mastodon, django_assert_max_num_queries
):
    vonk = Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    idea = make_idea()
    for n in range(30):
        m = make_mention(mastodon, trackers=[vonk], assignee=staff, status="assigned")
        if n % 3 == 0:
            MentionLink.objects.create(mention=m, idea=idea, linked_by=staff)
    token = Token.objects.create(user=staff)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    # token with its user, count, page, trackers
    with django_assert_max_num_queries(4):
        response = client.get(LIST, **auth)
    assert len(response.json()["results"]) == 25
    query = (
        f"{LIST}?status=assigned&status=new&assignee=me&tracker={vonk.pk}"
        f"&language=en&sentiment=positive&intent=idea&influence=0&age=24h"
        f"&overdue=false&lead=false&idea={idea.pk}&sort=-due&source={mastodon.pk}"
    )
    with django_assert_max_num_queries(4):
        response = client.get(query, **auth)
    assert response.json()["count"] == 10
    client.force_login(staff)
    # session, user, count, page, trackers
    with django_assert_max_num_queries(5):
        response = client.get(LIST)
    assert response.status_code == 200


# --- assign -------------------------------------------------------------------


def _assign(client, mention, payload):
    return post(client, f"/api/v1/mentions/{mention.pk}/assign/", payload)


def test_assign_to_a_colleague_to_me_and_to_nobody(staff_client, staff, mention):
    colleague = StaffFactory(username="noor")
    response = _assign(staff_client, mention, {"assignee": colleague.pk})
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == mention.pk
    assert data["assignee"] == colleague.pk and data["status"] == "assigned"
    assert "raw" not in data

    response = _assign(staff_client, mention, {"assignee": "me"})
    assert response.json()["assignee"] == staff.pk

    response = _assign(staff_client, mention, {"assignee": str(colleague.pk)})
    assert response.json()["assignee"] == colleague.pk

    response = _assign(staff_client, mention, {"assignee": None})
    assert response.status_code == 200
    assert response.json()["assignee"] is None
    assert response.json()["status"] == "new"
    mention.refresh_from_db()
    assert mention.assignee is None and mention.status == "new"
    assert mention.engaged_at is not None


def test_assigning_a_closed_mention_keeps_its_status(staff_client, staff, mastodon):
    closed = make_mention(mastodon, status="closed")
    response = _assign(staff_client, closed, {"assignee": "me"})
    assert response.json()["status"] == "closed"
    assert response.json()["assignee"] == staff.pk


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"assignee": "eva"},
        {"assignee": "you"},
        {"assignee": ""},
        {"assignee": True},
        {"assignee": 0},
        {"assignee": -3},
        {"assignee": 1.5},
        {"assignee": [1]},
        {"assignee": {"id": 1}},
    ],
)
def test_assign_rejects_bad_values(staff_client, mention, payload):
    response = _assign(staff_client, mention, payload)
    assert response.status_code == 400
    assert list(response.json()) == ["assignee"]
    mention.refresh_from_db()
    assert mention.assignee is None


def test_assign_rejects_an_unknown_user(staff_client, mention):
    response = _assign(staff_client, mention, {"assignee": 999_999})
    assert response.status_code == 400
    assert response.json() == {"assignee": ["No user with this id."]}


@pytest.mark.parametrize("kind", ["member", "expert", "inactive staff"])
def test_assign_only_to_active_staff(staff_client, mention, member, kind):
    if kind == "member":
        user = member
    elif kind == "expert":
        user = make_expert().user
    else:
        user = StaffFactory(is_active=False)
    response = _assign(staff_client, mention, {"assignee": user.pk})
    assert response.status_code == 400
    assert "staff" in response.json()["assignee"][0]
    mention.refresh_from_db()
    assert mention.assignee is None and mention.status == "new"


# --- reply --------------------------------------------------------------------


def _reply(client, mention, payload):
    return post(client, f"/api/v1/mentions/{mention.pk}/reply/", payload)


def test_record_a_reply_posted_by_hand(staff_client, staff, mention):
    response = _reply(
        staff_client,
        mention,
        {"text": "  Thanks Sanne, we passed it on!  ", "channel": "manual"},
    )
    assert response.status_code == 201
    data = response.json()
    reply = MentionReply.objects.get()
    assert data["id"] == reply.pk
    assert data["text"] == "Thanks Sanne, we passed it on!"
    assert data["channel"] == "manual" and data["kind"] == "answer"
    assert data["replied_by"] == staff.pk
    assert data["mention"] == mention.pk
    assert data["created_at"]
    mention.refresh_from_db()
    assert data["first_response_seconds"] == mention.first_response_seconds
    assert mention.first_response_seconds is not None
    assert mention.status == "responded"
    assert mention.assignee == staff
    assert reply.external_id == "" and reply.external_url == ""
    assert mail.outbox == []


def test_a_second_reply_keeps_the_first_response_time(staff_client, mastodon):
    earlier = timezone.now() - timedelta(hours=1)
    answered = make_mention(
        mastodon,
        status="responded",
        first_response_at=earlier,
        first_response_seconds=42,
    )
    response = _reply(staff_client, answered, {"text": "One more thing"})
    assert response.status_code == 201
    assert response.json()["channel"] == "manual"
    assert response.json()["first_response_seconds"] == 42
    answered.refresh_from_db()
    assert answered.first_response_at == earlier


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"text": ""}, "text"),
        ({"text": "   \n "}, "text"),
        ({}, "text"),
        ({"text": None}, "text"),
        ({"text": "x" * (REPLY_MAX_CHARS + 1)}, "text"),
        ({"text": ["hi"]}, "text"),
        ({"text": {"a": 1}}, "text"),
        ({"text": True}, "text"),
        ({"text": "a\x00b"}, "text"),
        ({"text": "Hi", "channel": "posted"}, "channel"),
        ({"text": "Hi", "channel": "carrier pigeon"}, "channel"),
        ({"text": "Hi", "channel": ["manual"]}, "channel"),
    ],
)
def test_reply_rejects_bad_input(staff_client, mention, payload, field):
    response = _reply(staff_client, mention, payload)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not MentionReply.objects.exists()
    mention.refresh_from_db()
    assert mention.first_response_at is None


def test_reply_refuses_to_post_through_the_network(staff_client, mention):
    response = _reply(staff_client, mention, {"text": "Hi", "channel": "posted"})
    assert "manual" in response.json()["channel"][0]


def test_the_longest_reply_is_accepted(staff_client, mention):
    response = _reply(staff_client, mention, {"text": "x" * REPLY_MAX_CHARS})
    assert response.status_code == 201


# --- link ---------------------------------------------------------------------


def _link(client, mention, payload):
    return post(client, f"/api/v1/mentions/{mention.pk}/link/", payload)


def test_link_to_an_idea_is_idempotent(staff_client, staff, mention):
    idea = make_idea()
    response = _link(staff_client, mention, {"idea": idea.pk})
    assert response.status_code == 201
    data = response.json()
    link = MentionLink.objects.get()
    assert data == {
        "id": link.pk,
        "mention": mention.pk,
        "idea": idea.pk,
        "question": None,
        "linked_by": staff.pk,
        "created_at": data["created_at"],
    }
    mention.refresh_from_db()
    assert mention.status == "linked"

    again = _link(staff_client, mention, {"idea": idea.pk, "question": None})
    assert again.status_code == 200
    assert again.json() == data
    assert MentionLink.objects.count() == 1


def test_link_to_a_question(staff_client, mention, member, community_settings):
    question = make_question(member)
    response = _link(staff_client, mention, {"question": question.pk})
    assert response.status_code == 201
    assert response.json()["question"] == question.pk
    assert response.json()["idea"] is None
    assert _link(staff_client, mention, {"question": question.pk}).status_code == 200


def test_one_mention_may_link_an_idea_and_a_question(
    staff_client, mention, member, community_settings
):
    assert _link(staff_client, mention, {"idea": make_idea().pk}).status_code == 201
    question = make_question(member)
    assert _link(staff_client, mention, {"question": question.pk}).status_code == 201
    assert MentionLink.objects.count() == 2


@pytest.fixture
def targets(member, community_settings):
    idea = make_idea()
    hidden = make_idea(title="Hidden idea about invoices")
    Idea.objects.filter(pk=hidden.pk).update(is_hidden=True)
    merged = make_idea(title="A duplicate of the dark mode idea")
    Idea.objects.filter(pk=merged.pk).update(status=IdeaStatus.MERGED, merged_into=idea)
    hidden_q = make_question(member, title="A hidden question about my meter")
    Question.objects.filter(pk=hidden_q.pk).update(is_hidden=True)
    private_q = make_question(member, title="A private question about my contract")
    Question.objects.filter(pk=private_q.pk).update(is_private=True)
    return {
        "idea": idea.pk,
        "hidden": hidden.pk,
        "merged": merged.pk,
        "hidden_q": hidden_q.pk,
        "private_q": private_q.pk,
    }


@pytest.mark.parametrize(
    "payload, field, words",
    [
        ({}, "non_field_errors", "either"),
        ({"idea": None, "question": None}, "non_field_errors", "either"),
        ({"idea": "idea", "question": "hidden_q"}, "non_field_errors", "either"),
        ({"idea": 999_999}, "idea", "No idea"),
        ({"question": 999_999}, "question", "No question"),
        ({"idea": "hidden"}, "idea", "hidden"),
        ({"idea": "merged"}, "idea", "merged into idea"),
        ({"question": "hidden_q"}, "question", "hidden or private"),
        ({"question": "private_q"}, "question", "hidden or private"),
        ({"idea": "abc!"}, "idea", "integer"),
        ({"idea": 0}, "idea", ""),
        ({"idea": [1]}, "idea", ""),
        ({"question": True}, "question", ""),
    ],
)
def test_link_rejects_bad_targets(
    staff_client, mention, targets, payload, field, words
):
    payload = {
        key: targets.get(value, value) if isinstance(value, str) else value
        for key, value in payload.items()
    }
    response = _link(staff_client, mention, payload)
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert words in errors[field][0]
    assert not MentionLink.objects.exists()
    mention.refresh_from_db()
    assert mention.status == "new"


def test_a_merged_idea_error_names_the_idea_to_link(staff_client, mention, targets):
    response = _link(staff_client, mention, {"idea": targets["merged"]})
    assert str(targets["idea"]) in response.json()["idea"][0]


# --- invite -------------------------------------------------------------------


def _invite(client, mention, payload=None):
    return post(client, f"/api/v1/mentions/{mention.pk}/invite/", payload)


def test_invite_drafts_an_invitation_and_sends_nothing(staff_client, staff, mention):
    response = _invite(staff_client, mention, {"override_reason": ""})
    assert response.status_code == 201
    data = response.json()
    invitation = Invitation.objects.get()
    assert set(data) == {"invitation", "status", "reply_text", "expires_at"}
    assert data["invitation"] == invitation.pk
    assert data["status"] == "offered"
    assert data["reply_text"] == invitation.reply_text
    assert "/invite/" in data["reply_text"] and "@sanne" in data["reply_text"]
    assert data["expires_at"]
    assert invitation.offered_by == staff
    mention.refresh_from_db()
    assert mention.status == "invited"
    assert mail.outbox == []
    assert not MentionReply.objects.exists()


def test_invite_is_refused_for_an_opted_out_handle(client, staff_client, mention):
    optout = post(client, "/api/v1/optouts/", {"handle": SANNE, "source": "mastodon"})
    assert optout.status_code == 202
    response = _invite(staff_client, mention, {"override_reason": "They asked"})
    assert response.status_code == 409
    data = response.json()
    assert data == {
        "refused": "opted_out",
        "detail": "",
        "message": "This person asked never to be invited.",
        "overridable": False,
    }
    assert not Invitation.objects.exists()
    assert ConsentEvent.objects.filter(kind="refused").count() == 1
    mention.refresh_from_db()
    assert mention.status == "new"


def test_invite_is_refused_for_a_person_invited_under_another_handle(
    staff_client, mastodon
):
    bluesky = Source.objects.create(name="Bluesky", kind="bluesky")
    first = make_mention(mastodon, author=SANNE)
    assert _invite(staff_client, first).status_code == 201
    consent.handles_link(SANNE, "sanne.bsky.social", "mastodon", "bluesky")
    second = make_mention(bluesky, author="sanne.bsky.social")
    response = _invite(staff_client, second)
    assert response.status_code == 409
    assert response.json()["refused"] == "invited_before"
    assert response.json()["overridable"] is False
    assert response.json()["message"] == "This person has been invited before."
    assert Invitation.objects.count() == 1
    # The same mention twice is the same person too.
    assert _invite(staff_client, first).json()["refused"] == "invited_before"


def test_a_sensitive_post_needs_a_written_override(staff_client, mastodon):
    sad = make_mention(mastodon, sentiment_score=-0.95, sentiment_label="negative")
    response = _invite(staff_client, sad)
    assert response.status_code == 409
    data = response.json()
    assert data["refused"] == "sensitive"
    assert data["detail"] == "sentiment"
    assert data["overridable"] is True
    assert not Invitation.objects.exists()

    response = _invite(
        staff_client, sad, {"override_reason": "They asked how to join us"}
    )
    assert response.status_code == 201
    invitation = Invitation.objects.get()
    assert invitation.override_reason == "They asked how to join us"


def test_invite_is_refused_without_an_author(staff_client, mastodon):
    anonymous = make_mention(mastodon, author="")
    response = _invite(staff_client, anonymous)
    assert response.status_code == 409
    assert response.json()["refused"] == "no_author"


@pytest.mark.parametrize(
    "payload",
    [
        {"override_reason": ["x"]},
        {"override_reason": {"a": 1}},
        {"override_reason": "x" * 1001},
    ],
)
def test_invite_rejects_bad_input(staff_client, mention, payload):
    response = _invite(staff_client, mention, payload)
    assert response.status_code == 400
    assert list(response.json()) == ["override_reason"]
    assert not Invitation.objects.exists()


# --- opt-out (public) -----------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "member", "expert", "staff"])
def test_optout_answers_the_same_for_known_and_unknown_handles(
    client, member, staff, expert_user, role
):
    if role != "anonymous":
        client.force_login(
            {"member": member, "expert": expert_user, "staff": staff}[role]
        )
    consent.person_for_handle("mastodon", SANNE)
    known = post(client, "/api/v1/optouts/", {"handle": SANNE, "source": "mastodon"})
    unknown = post(
        client,
        "/api/v1/optouts/",
        {"handle": "@nobody@mastodon.test", "source": "mastodon"},
    )
    again = post(client, "/api/v1/optouts/", {"handle": SANNE, "source": "mastodon"})
    assert known.status_code == unknown.status_code == again.status_code == 202
    assert known.json() == unknown.json() == again.json()
    assert known.content == unknown.content
    assert OptOut.objects.count() == 2


def test_optout_rejects_an_empty_handle(client):
    response = post(client, "/api/v1/optouts/", {"handle": " @ "})
    assert response.status_code == 400
    assert list(response.json()) == ["handle"]
    response = client.post("/api/v1/optouts/", "{oops", content_type="application/json")
    assert response.status_code == 400
    assert not OptOut.objects.exists()
