"""Staff correct a mention's intent and sentiment: the service, the staff API
and the Wagtail admin form."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from listening import services
from listening.connectors import RawMention
from listening.models import Mention, MentionCorrection, Source, Tracker
from tests.experts.conftest import make_expert

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    return Source.objects.create(name="Forum", kind="rss", url="http://x.test/")


@pytest.fixture
def mention(source):
    services.mention_upsert_batch(
        source=source,
        raw_mentions=[
            RawMention(
                external_id="1",
                text="I love how quickly Vonk answered my email, great service",
                language="en",
            )
        ],
    )
    return Mention.objects.get()


@pytest.fixture
def many(source):
    services.mention_upsert_batch(
        source=source,
        raw_mentions=[
            RawMention(external_id=f"m{n}", text=f"Vonk post number {n} about bills")
            for n in range(30)
        ],
    )
    return list(Mention.objects.order_by("pk"))


def _url(pk):
    return f"/api/v1/mentions/{pk}/correct/"


# The service


def test_correcting_the_intent_records_who_changed_what(mention, staff):
    before = mention.intent
    assert before != "complaint"

    updated = services.mention_correct(
        mention=mention, field="intent", value="complaint", user=staff
    )

    assert (updated.intent, updated.intent_confidence) == ("complaint", 1.0)
    mention.refresh_from_db()
    assert (mention.intent, mention.intent_confidence) == ("complaint", 1.0)
    assert mention.engaged_at is not None
    correction = MentionCorrection.objects.get()
    assert (correction.field, correction.previous, correction.value) == (
        "intent",
        before,
        "complaint",
    )
    assert correction.corrected_by == staff


def test_a_lead_correction_sets_the_lead_flag(mention, staff):
    assert not mention.is_lead
    services.mention_correct(mention=mention, field="intent", value="lead", user=staff)
    mention.refresh_from_db()
    assert mention.is_lead

    # Corrected away from "lead": the flag that came from the label goes too.
    services.mention_correct(
        mention=mention, field="intent", value="complaint", user=staff
    )
    mention.refresh_from_db()
    assert not mention.is_lead


def test_a_sentiment_correction_moves_a_contradicting_score(mention, staff):
    assert mention.sentiment_label == "positive"
    services.mention_correct(
        mention=mention, field="sentiment", value="negative", user=staff
    )
    mention.refresh_from_db()
    assert mention.sentiment_label == "negative"
    assert mention.sentiment_score <= -0.05


def test_a_sentiment_correction_keeps_a_score_that_agrees(mention, staff):
    Mention.objects.filter(pk=mention.pk).update(
        sentiment_label="neutral", sentiment_score=0.4
    )
    mention.refresh_from_db()
    services.mention_correct(
        mention=mention, field="sentiment", value="positive", user=staff
    )
    mention.refresh_from_db()
    assert (mention.sentiment_label, mention.sentiment_score) == ("positive", 0.4)


def test_the_same_value_again_records_nothing(mention, staff):
    services.mention_correct(
        mention=mention, field="intent", value="question", user=staff
    )
    services.mention_correct(
        mention=mention, field="intent", value="question", user=staff
    )
    current = mention.sentiment_label
    services.mention_correct(
        mention=mention, field="sentiment", value=current, user=staff
    )
    assert MentionCorrection.objects.count() == 1


def test_an_earlier_engagement_is_kept(mention, staff):
    earlier = timezone.now() - timezone.timedelta(days=3)
    Mention.objects.filter(pk=mention.pk).update(engaged_at=earlier)
    services.mention_correct(mention=mention, field="intent", value="idea", user=staff)
    mention.refresh_from_db()
    assert mention.engaged_at == earlier


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("language", "en", "field"),
        ("intent", "positive", "value"),
        ("sentiment", "angry", "value"),
        ("intent", "", "value"),
    ],
)
def test_bad_fields_and_values_are_refused_with_a_reason(
    mention, staff, field, value, code
):
    with pytest.raises(ValidationError) as caught:
        services.mention_correct(mention=mention, field=field, value=value, user=staff)
    assert caught.value.code == code
    assert "choose one of" in caught.value.messages[0]
    assert MentionCorrection.objects.count() == 0


def test_only_staff_can_correct(mention, member):
    with pytest.raises(PermissionDenied):
        services.mention_correct(
            mention=mention, field="intent", value="idea", user=member
        )
    assert MentionCorrection.objects.count() == 0


# The API


def test_staff_correct_a_label_through_the_api(staff_client, mention):
    response = staff_client.post(
        _url(mention.pk),
        {"field": "intent", "value": "complaint"},
        content_type="application/json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == mention.pk
    assert data["intent"] == "complaint"
    assert data["intent_confidence"] == 1.0
    assert data["intent_corrected"] is True
    assert data["sentiment_corrected"] is False


def test_a_repeated_api_correction_changes_nothing(staff_client, mention):
    for _ in range(2):
        response = staff_client.post(
            _url(mention.pk),
            {"field": "sentiment", "value": "neutral"},
            content_type="application/json",
        )
        assert response.status_code == 200
    assert MentionCorrection.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"field": "language", "value": "en"}, "field"),
        ({"field": "intent", "value": "positive"}, "value"),
        ({"field": "sentiment", "value": "question"}, "value"),
        ({"field": "intent"}, "value"),
        ({}, "field"),
    ],
)
def test_bad_api_corrections_get_400_with_the_reason(staff_client, mention, body, key):
    response = staff_client.post(
        _url(mention.pk), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert key in response.json()
    assert MentionCorrection.objects.count() == 0


def test_a_bad_value_names_the_allowed_ones(staff_client, mention):
    response = staff_client.post(
        _url(mention.pk),
        {"field": "sentiment", "value": "angry"},
        content_type="application/json",
    )
    message = response.json()["value"][0]
    assert "positive, neutral, negative" in message


def test_an_unknown_mention_is_404(staff_client):
    response = staff_client.post(
        _url(999999),
        {"field": "intent", "value": "idea"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert staff_client.get("/api/v1/mentions/999999/").status_code == 404


def test_anonymous_callers_cannot_correct(client, mention):
    response = client.post(
        _url(mention.pk), {"field": "intent", "value": "idea"}, "application/json"
    )
    assert response.status_code == 401
    assert client.get(f"/api/v1/mentions/{mention.pk}/").status_code == 401
    assert MentionCorrection.objects.count() == 0


def test_members_cannot_correct(member_client, mention):
    response = member_client.post(
        _url(mention.pk), {"field": "intent", "value": "idea"}, "application/json"
    )
    assert response.status_code == 403
    assert member_client.get(f"/api/v1/mentions/{mention.pk}/").status_code == 403
    assert MentionCorrection.objects.count() == 0


def test_experts_are_not_staff_either(client, mention):
    client.force_login(make_expert().user)
    response = client.post(
        _url(mention.pk), {"field": "intent", "value": "idea"}, "application/json"
    )
    assert response.status_code == 403
    assert MentionCorrection.objects.count() == 0


def test_a_staff_token_can_correct(client, staff, mention):
    token = Token.objects.create(user=staff)
    response = client.post(
        _url(mention.pk),
        {"field": "intent", "value": "idea"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200
    assert MentionCorrection.objects.get().corrected_by == staff


def test_the_list_shows_which_labels_staff_corrected(
    staff_client, staff, many, django_assert_max_num_queries
):
    # Newest first: the last stored are on the first page.
    first, second = many[-1], many[-2]
    services.mention_correct(mention=first, field="intent", value="idea", user=staff)
    services.mention_correct(
        mention=second, field="sentiment", value="negative", user=staff
    )
    # session, user, count, page (with the flags), trackers
    with django_assert_max_num_queries(5):
        response = staff_client.get("/api/v1/mentions/")
    assert response.status_code == 200
    results = {m["id"]: m for m in response.json()["results"]}
    flags = {
        pk: (m["intent_corrected"], m["sentiment_corrected"])
        for pk, m in results.items()
    }
    assert len(flags) == 25
    assert flags[first.pk] == (True, False)
    assert flags[second.pk] == (False, True)
    assert sum(a or b for a, b in flags.values()) == 2


def test_the_detail_shows_the_flags_in_pinned_queries(
    staff_client, staff, mention, django_assert_max_num_queries
):
    services.mention_correct(mention=mention, field="intent", value="idea", user=staff)
    # session, user, the mention (with the flags), trackers
    with django_assert_max_num_queries(4):
        response = staff_client.get(f"/api/v1/mentions/{mention.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert (data["intent"], data["intent_corrected"]) == ("idea", True)
    assert data["sentiment_corrected"] is False
    assert "raw" not in data


def test_the_correction_endpoint_is_in_the_schema(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    path = schema["paths"]["/api/v1/mentions/{id}/correct/"]
    assert "post" in path
    assert "get" in schema["paths"]["/api/v1/mentions/{id}/"]
    assert "intent_corrected" in yaml.safe_dump(schema["components"])


# The admin


def _admin_url(pk):
    return f"/admin/listening/corrections/{pk}/"


def test_staff_correct_labels_in_the_admin(staff_client, mention):
    page = staff_client.get(_admin_url(mention.pk))
    assert page.status_code == 200
    assert mention.text in page.content.decode()

    response = staff_client.post(
        _admin_url(mention.pk), {"intent": "complaint", "sentiment": "negative"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/listening/mentions/inspect/{mention.pk}/"
    mention.refresh_from_db()
    assert (mention.intent, mention.sentiment_label) == ("complaint", "negative")
    assert MentionCorrection.objects.count() == 2
    followed = staff_client.get(response["Location"])
    assert "Corrected" in followed.content.decode()


def test_the_admin_records_only_what_changed(staff_client, mention):
    response = staff_client.post(
        _admin_url(mention.pk),
        {"intent": "question", "sentiment": mention.sentiment_label},
    )
    assert response.status_code == 302
    assert list(MentionCorrection.objects.values_list("field", flat=True)) == ["intent"]
    staff_client.post(
        _admin_url(mention.pk),
        {"intent": "question", "sentiment": mention.sentiment_label},
    )
    assert MentionCorrection.objects.count() == 1


def test_the_admin_form_refuses_bad_values(staff_client, mention):
    response = staff_client.post(
        _admin_url(mention.pk), {"intent": "shouting", "sentiment": "positive"}
    )
    assert response.status_code == 200
    assert "error-message" in response.content.decode()
    assert MentionCorrection.objects.count() == 0


def test_the_admin_form_needs_the_csrf_token(staff, mention):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(
        _admin_url(mention.pk), {"intent": "idea", "sentiment": "positive"}
    )
    assert response.status_code == 403
    assert MentionCorrection.objects.count() == 0


def test_visitors_and_members_cannot_use_the_admin_form(client, member_client, mention):
    assert client.get(_admin_url(mention.pk)).status_code == 302
    client.post(_admin_url(mention.pk), {"intent": "idea", "sentiment": "positive"})
    assert member_client.get(_admin_url(mention.pk)).status_code in (302, 403)
    member_client.post(
        _admin_url(mention.pk), {"intent": "idea", "sentiment": "positive"}
    )
    assert MentionCorrection.objects.count() == 0


def test_an_unknown_mention_in_the_admin_is_404(staff_client):
    assert staff_client.get(_admin_url(999999)).status_code == 404


def test_the_inspect_page_and_the_list_link_to_the_form(
    staff_client, many, django_assert_max_num_queries
):
    inspect = staff_client.get(f"/admin/listening/mentions/inspect/{many[0].pk}/")
    assert _admin_url(many[0].pk) in inspect.content.decode()
    with django_assert_max_num_queries(11):
        listing = staff_client.get("/admin/listening/mentions/")
    assert _admin_url(many[-1].pk) in listing.content.decode()
