"""The public reply: the composer's suggestions and the reply view.

Posting through the networks is in test_reply_posting.py; here the sources
have no posting credentials, so replies are confirmed by hand.
"""

import json
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from experts.models import ExpertProfile
from experts.pages import QuestionsIndexPage
from experts.services import answer_set_hidden, answer_verify
from listening import webcare
from listening.models import (
    Mention,
    MentionReply,
    MentionStatus,
    ReplyChannel,
    ReplyKind,
    Source,
)
from listening.reply_views import SESSION_DRAFT, composer_context
from listening.semantic_docs import faq_object_id
from portal import semantic
from portal.pages.models import FaqPage, FocusArea
from tests.experts.conftest import make_answer, make_expert, make_question
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

POST_TEXT = "How do I read the meter readings on my annual energy bill?"
ROLES = ["anonymous", "member", "expert"]


def reply_url(mention) -> str:
    return reverse("listening_inbox:reply", args=[mention.pk])


def workspace_url(mention) -> str:
    return reverse("listening_inbox:mention", args=[mention.pk])


@pytest.fixture
def source(db):
    return Source.objects.create(
        name="Vonk on Mastodon", kind="mastodon", url="https://mastodon.example"
    )


def make_mention(source, *, external_id="m1", text=POST_TEXT, **fields):
    mention = Mention.objects.create(
        source=source,
        external_id=external_id,
        url=f"https://mastodon.example/@sanne/{external_id}",
        author_handle="@sanne@mastodon.example",
        text=text,
        language="en",
        cluster_key=external_id,
        **fields,
    )
    # Arrived two hours ago.
    Mention.objects.filter(pk=mention.pk).update(
        fetched_at=timezone.now() - timedelta(hours=2)
    )
    mention.refresh_from_db()
    return mention


@pytest.fixture
def mention(source):
    return make_mention(source)


def send(client, mention, text="Hi Sanne, the total under “Te betalen” is it.", **data):
    data.setdefault("action", "confirm")
    data.setdefault("token", "form-token-1")
    return client.post(reply_url(mention), {"text": text, **data})


def _client(role, member):
    client = Client()
    if role == "member":
        client.force_login(member)
    elif role == "expert":
        user = UserFactory(username="joost-expert")
        ExpertProfile.objects.create(user=user)
        client.force_login(user)
    return client


# --- permissions ---------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_can_reply(role, member, mention):
    response = send(_client(role, member), mention)

    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] != workspace_url(mention)
    assert not MentionReply.objects.exists()
    mention.refresh_from_db()
    assert mention.status == MentionStatus.NEW


def test_inactive_staff_cannot_reply(client, mention):
    user = StaffFactory(is_active=False)
    client.force_login(user)

    send(client, mention)

    assert not MentionReply.objects.exists()


def test_reply_view_takes_only_post(staff_client, mention):
    assert staff_client.get(reply_url(mention)).status_code == 405


def test_reply_to_a_missing_mention_is_404(staff_client, mention):
    url = reverse("listening_inbox:reply", args=[mention.pk + 100])
    response = staff_client.post(url, {"text": "Hi", "action": "confirm"})
    assert response.status_code == 404


# --- recording -----------------------------------------------------------------


def test_confirm_records_who_when_what_and_the_time_to_first_response(
    staff_client, staff, mention
):
    before = timezone.now()

    response = send(staff_client, mention, text="  Hi Sanne, see page 2.  ")

    assert response.status_code == 302
    assert response["Location"] == workspace_url(mention)
    reply = MentionReply.objects.get()
    assert reply.mention == mention
    assert reply.replied_by == staff
    assert reply.text == "Hi Sanne, see page 2."
    assert reply.channel == ReplyChannel.MANUAL
    assert reply.kind == ReplyKind.ANSWER
    assert reply.external_id == ""
    assert reply.created_at >= before
    mention.refresh_from_db()
    assert mention.first_response_at is not None
    assert 2 * 3600 - 5 <= mention.first_response_seconds <= 2 * 3600 + 60
    assert mention.status == MentionStatus.RESPONDED
    assert mention.assignee == staff


def test_a_second_reply_keeps_the_time_to_first_response(staff_client, mention):
    send(staff_client, mention, text="First reply", token="t1")
    mention.refresh_from_db()
    first_at, first_seconds = mention.first_response_at, mention.first_response_seconds

    send(staff_client, mention, text="A follow-up", token="t2")

    assert MentionReply.objects.count() == 2
    mention.refresh_from_db()
    assert mention.first_response_at == first_at
    assert mention.first_response_seconds == first_seconds


def test_a_closed_mention_that_gets_an_answer_becomes_responded(
    staff_client, staff, mention
):
    webcare.mention_set_status(mentions=[mention], status="closed", by=staff)

    send(staff_client, mention)

    mention.refresh_from_db()
    assert mention.status == MentionStatus.RESPONDED


def test_an_invitation_reply_is_recorded_with_its_kind(staff_client, staff, mention):
    from listening import consent

    consent.invitation_offer(mention=mention, user=staff)
    send(staff_client, mention, kind="invitation")

    assert MentionReply.objects.get().kind == ReplyKind.INVITATION


def test_an_invitation_reply_needs_an_open_invitation_and_goes_out_once(
    staff_client, staff, mention
):
    from listening import consent
    from listening.models import Invitation

    response = send(staff_client, mention, kind="invitation")
    assert "no open invitation" in _messages(response)
    assert not MentionReply.objects.exists()

    invitation = consent.invitation_offer(mention=mention, user=staff)
    send(staff_client, mention, kind="invitation", text="Join us: link")
    response = send(staff_client, mention, kind="invitation", text="Again: link")
    assert MentionReply.objects.count() == 1
    assert "already posted" in _messages(response)

    # The person opted out after the workspace was opened: nothing goes out.
    MentionReply.objects.all().delete()
    consent.optout_record(handle=mention.author_handle, via="link")
    invitation.refresh_from_db()
    assert invitation.status == "opted_out"
    response = send(staff_client, mention, kind="invitation", text="Join us: link")
    assert "no open invitation" in _messages(response)
    assert not MentionReply.objects.exists()
    assert Invitation.objects.count() == 1


def _messages(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


def test_the_same_form_sent_twice_records_one_reply(staff_client, mention):
    first = send(staff_client, mention, token="same-form")
    second = send(staff_client, mention, token="same-form", text="Other words")

    assert first.status_code == second.status_code == 302
    assert MentionReply.objects.count() == 1
    messages = [str(m) for m in second.wsgi_request._messages]
    assert any("already sent" in m for m in messages)


def test_an_identical_reply_within_a_minute_is_refused(staff_client, mention):
    send(staff_client, mention, token="tab-1")
    response = send(staff_client, mention, token="tab-2")

    assert MentionReply.objects.count() == 1
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("less than a minute ago" in m for m in messages)


def test_an_identical_reply_after_a_minute_is_recorded(staff_client, mention):
    send(staff_client, mention, token="tab-1")
    MentionReply.objects.update(created_at=timezone.now() - timedelta(seconds=61))

    send(staff_client, mention, token="tab-2")

    assert MentionReply.objects.count() == 2


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_reply_is_refused(staff_client, mention, text):
    response = send(staff_client, mention, text=text)

    assert response.status_code == 302
    assert not MentionReply.objects.exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "Write the reply first." in messages
    mention.refresh_from_db()
    assert mention.first_response_at is None


def test_a_too_long_reply_is_refused_and_kept(staff_client, mention):
    text = "x" * (webcare.REPLY_MAX_CHARS + 1)

    response = send(staff_client, mention, text=text)

    assert response.status_code == 302
    assert not MentionReply.objects.exists()
    draft = staff_client.session[SESSION_DRAFT]
    assert draft["mention"] == mention.pk
    assert draft["text"] == text


def test_an_unknown_action_or_kind_is_refused(staff_client, mention):
    send(staff_client, mention, action="broadcast")
    send(staff_client, mention, kind="advert", token="t2")

    assert not MentionReply.objects.exists()


def test_posting_to_a_source_without_credentials_is_refused_and_keeps_the_text(
    staff_client, mention
):
    response = send(staff_client, mention, action="post", text="Kept for later")

    assert response.status_code == 302
    assert not MentionReply.objects.exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("cannot be posted from here" in m for m in messages)
    assert staff_client.session[SESSION_DRAFT]["text"] == "Kept for later"


def test_a_recorded_reply_clears_the_kept_draft(staff_client, mention):
    send(staff_client, mention, action="post", text="Kept for later")

    send(staff_client, mention, text="Kept for later", token="t2")

    assert MentionReply.objects.count() == 1
    assert SESSION_DRAFT not in staff_client.session


def test_next_is_followed_on_this_site_only(staff_client, mention):
    inbox = reverse("listening_inbox:index")
    ok = send(staff_client, mention, next=inbox, token="t1", text="One")
    evil = send(staff_client, mention, next="https://evil.example/", token="t2")

    assert ok["Location"] == inbox
    assert evil["Location"] == workspace_url(mention)


# --- closing the loop ----------------------------------------------------------


@pytest.fixture
def idea_link(mention, staff):
    from tests.factories import make_idea

    idea = make_idea(title="Weekly usage graph in the app")
    return webcare.mention_link(mention=mention, by=staff, idea=idea)


def test_a_loop_reply_closes_the_loop(staff_client, staff, mention, idea_link):
    response = send(
        staff_client,
        mention,
        kind="loop",
        link=idea_link.pk,
        text="Good news: the usage graph is live!",
    )

    reply = MentionReply.objects.get()
    assert reply.kind == ReplyKind.LOOP
    assert reply.replied_by == staff
    idea_link.refresh_from_db()
    assert idea_link.loop_closed_at is not None
    # Back to the idea's loop page.
    assert response["Location"] == reverse(
        "listening_inbox:loop", args=[idea_link.idea_id]
    )


def test_a_loop_reply_needs_a_link_of_this_mention(
    staff_client, staff, source, mention, idea_link
):
    other = make_mention(source, external_id="m2")

    send(staff_client, other, kind="loop", link=idea_link.pk)
    send(staff_client, mention, kind="loop", token="t2")

    assert not MentionReply.objects.exists()
    idea_link.refresh_from_db()
    assert idea_link.loop_closed_at is None


# --- suggestions ---------------------------------------------------------------


@pytest.fixture
def faq_page(home):
    page = FaqPage(
        title="Billing FAQ",
        slug="faq",
        items=json.dumps(
            [
                {
                    "type": "faq",
                    "value": {
                        "question": "How do I move house?",
                        "answer": "<p>Tell us your new address.</p>",
                        "keywords": "",
                    },
                },
                {
                    "type": "faq",
                    "value": {
                        "question": "How do I read my annual energy bill?",
                        "answer": "<p>The meter readings are on page 2.</p>"
                        "<p>The total is under <b>Te betalen</b>.</p>",
                        "keywords": "meter readings",
                    },
                },
            ]
        ),
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    semantic.index_ids(
        kind="faq", ids=[faq_object_id(page.pk, 0), faq_object_id(page.pk, 1)]
    )
    return page


@pytest.fixture
def questions_page(home):
    page = QuestionsIndexPage(title="Questions", slug="questions")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def billing(community_settings):
    return FocusArea.objects.get(settings=community_settings, slug="billing")


@pytest.fixture
def expert_answers(questions_page, billing, member, staff):
    """A verified answer, an unverified one, and a verified one that was
    hidden afterwards; all about annual bills."""
    expert = make_expert(billing, username="joost")
    verified_q = make_question(
        member, billing, title="Where are the meter readings on my annual bill?"
    )
    verified = make_answer(
        verified_q,
        expert.user,
        body="Your meter readings are listed on the second page of the annual bill.",
    )
    answer_verify(answer=verified, by=staff)
    plain_q = make_question(
        member, billing, title="Which total on my annual energy bill do I pay?"
    )
    unverified = make_answer(
        plain_q, expert.user, body="UNVERIFIED: the annual bill total is on page 3."
    )
    hidden_q = make_question(
        member, billing, title="Meter readings missing from my annual bill"
    )
    hidden = make_answer(
        hidden_q, expert.user, body="HIDDEN: annual bill meter readings are optional."
    )
    answer_verify(answer=hidden, by=staff)
    answer_set_hidden(answer=hidden, by=staff, hidden=True)
    # As the on-commit index tasks would.
    semantic.index_ids(kind="answer", ids=[verified.pk, unverified.pk, hidden.pk])
    return {"verified": verified, "unverified": unverified, "hidden": hidden}


@pytest.fixture
def earlier_reply(source, staff):
    earlier = make_mention(
        source, external_id="old", text="Where on my annual bill are the readings?"
    )
    reply = webcare.reply_record(
        mention=earlier,
        by=staff,
        text="Hi! The meter readings on your annual bill are on page 2.",
        channel=ReplyChannel.MANUAL,
    )
    semantic.index_ids(kind="reply", ids=[reply.pk])
    return reply


def by_source(suggestions):
    result = {}
    for s in suggestions:
        result.setdefault(s["source"], []).append(s)
    return result


def test_suggestions_come_from_faq_verified_answers_and_earlier_replies(
    mention, staff, faq_page, expert_answers, earlier_reply
):
    context = composer_context(mention, staff)

    found = by_source(context["suggestions"])
    faq = next(s for s in found["faq"] if "annual energy bill" in s["label"])
    assert "Billing FAQ" in faq["label"]
    # Plain text, paragraphs kept apart.
    assert faq["text"] == (
        "The meter readings are on page 2.\nThe total is under Te betalen."
    )
    assert faq["url"].startswith("http://testserver/en/faq/#faq-")

    (answer,) = found["answer"]
    verified = expert_answers["verified"]
    assert answer["text"] == verified.body
    assert "Where are the meter readings on my annual bill?" in answer["label"]
    assert answer["url"] == (
        "http://localhost:8000/en/questions/" + verified.question.path_segment
    )

    (reply,) = found["reply"]
    assert reply["text"] == earlier_reply.text
    assert "Eva" in reply["label"]


def test_unverified_and_hidden_answers_are_not_suggested(
    mention, staff, expert_answers
):
    texts = [s["text"] for s in composer_context(mention, staff)["suggestions"]]

    assert not any("UNVERIFIED" in t or "HIDDEN" in t for t in texts)


def test_an_answer_hidden_after_indexing_is_not_suggested(
    mention, staff, expert_answers
):
    # The index still says "visible": the database has the last word.
    verified = expert_answers["verified"]
    type(verified).objects.filter(pk=verified.pk).update(is_hidden=True)

    found = by_source(composer_context(mention, staff)["suggestions"])

    assert "answer" not in found


def test_replies_other_than_answers_are_not_suggested(source, mention, staff):
    other = make_mention(source, external_id="m9", text="Annual bill readings")
    loop = webcare.reply_record(
        mention=other,
        by=staff,
        text="Your meter readings on the annual bill: see page 2 (invitation)",
        channel=ReplyChannel.MANUAL,
        kind=ReplyKind.INVITATION,
    )
    semantic.index_ids(kind="reply", ids=[loop.pk])

    found = by_source(composer_context(mention, staff)["suggestions"])

    assert "reply" not in found


def test_a_reply_to_the_same_mention_is_not_suggested_back(mention, staff):
    own = webcare.reply_record(
        mention=mention,
        by=staff,
        text="Meter readings on the annual bill are on page 2.",
        channel=ReplyChannel.MANUAL,
    )
    semantic.index_ids(kind="reply", ids=[own.pk])

    assert composer_context(mention, staff)["suggestions"] == []


def test_an_unpublished_faq_page_is_not_suggested(mention, staff, faq_page):
    faq_page.unpublish()

    found = by_source(composer_context(mention, staff)["suggestions"])

    assert "faq" not in found


def test_composer_context_query_count_is_pinned(
    mention,
    staff,
    faq_page,
    expert_answers,
    earlier_reply,
    django_assert_max_num_queries,
):
    mention = Mention.objects.select_related("source").get(pk=mention.pk)
    webcare.webcare_settings()  # created with the defaults on first use
    # The site and its webcare settings, the FAQ pages, the site's root paths
    # (the site and its root's translations, cached afterwards), the answers,
    # the questions index and the replies.
    with django_assert_max_num_queries(8):
        context = composer_context(mention, staff)
    assert {s["source"] for s in context["suggestions"]} == {"faq", "answer", "reply"}


# --- indexing ------------------------------------------------------------------


def test_a_recorded_reply_is_indexed_on_commit(
    staff_client, mention, source, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(staff_client, mention, text="Your meter readings are on page 2.")
    reply = MentionReply.objects.get()
    other = make_mention(source, external_id="m2", text="where are my meter readings")

    found = by_source(composer_context(other, staff)["suggestions"])

    assert [s["text"] for s in found["reply"]] == [reply.text]


def test_publishing_a_faq_page_indexes_its_entries_and_unpublishing_removes_them(
    home, mention, staff, django_capture_on_commit_callbacks
):
    page = FaqPage(
        title="FAQ",
        slug="faq",
        items=json.dumps(
            [
                {
                    "type": "faq",
                    "value": {
                        "question": "Where are my meter readings?",
                        "answer": "<p>On page 2 of the annual bill.</p>",
                        "keywords": "",
                    },
                }
            ]
        ),
    )
    home.add_child(instance=page)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()

    assert "faq" in by_source(composer_context(mention, staff)["suggestions"])

    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()

    assert "faq" not in by_source(composer_context(mention, staff)["suggestions"])


# --- the composer --------------------------------------------------------------


def render_composer(mention, user, session=None, **extra):
    request = RequestFactory().get("/")
    request.user = user
    request.session = session if session is not None else {}
    return render_to_string(
        "listening/inbox/reply_composer.html",
        {"composer": composer_context(mention, user, **extra)},
        request=request,
    )


def test_composer_context_describes_the_network(mention, staff, source, webcare):
    webcare(tone_of_voice="Warm and short.")

    context = composer_context(mention, staff, kind="loop", link=7)

    assert context["network"] == "mastodon"
    assert context["char_limit"] == 500
    assert context["can_post"] is False  # no access token
    assert context["post_url"] == mention.url
    assert context["tone_of_voice"] == "Warm and short."
    assert ("kind", "loop") in context["hidden"]
    assert ("link", "7") in context["hidden"]
    assert context["action_url"] == reply_url(mention)
    # Mastodon notifies only the accounts a post mentions.
    assert context["initial_text"] == "@sanne@mastodon.example "


@pytest.mark.parametrize(
    ("kind", "limit"),
    [("bluesky", 300), ("x", 280), ("reddit", 5000), ("rss", 5000)],
)
def test_the_character_limit_follows_the_network(staff, kind, limit):
    source = Source.objects.create(name=kind, kind=kind)
    mention = make_mention(source, external_id=f"{kind}-1")

    assert composer_context(mention, staff)["char_limit"] == limit


def test_the_composer_renders_without_inline_script(mention, staff, faq_page):
    html = render_composer(mention, staff, initial_text="Hello <Sanne>")

    assert "Hello &lt;Sanne&gt;" in html
    assert 'name="action" value="confirm"' in html
    assert "I replied" in html
    assert "Copy text and open the post" in html
    assert "Post reply on" not in html  # no credentials
    assert "listening/composer.js" in html
    assert "<script>" not in html and "onclick" not in html
    assert "Use this text" in html
    assert "Tone of voice" in html


def test_the_composer_offers_posting_when_the_source_can_post(mention, staff, source):
    source.config = {"access_token": "secret"}
    source.save()
    mention.source.refresh_from_db()

    html = render_composer(mention, staff)

    assert "Post reply on Mastodon" in html
    assert 'name="action" value="post"' in html
    assert "secret" not in html


def test_the_composer_shows_the_kept_draft_again(mention, staff):
    session = {
        SESSION_DRAFT: {"mention": mention.pk, "text": "Not lost", "kind": "answer"}
    }

    html = render_composer(mention, staff, session=session, initial_text="New draft")

    assert "Not lost" in html
    assert "New draft" not in html


def test_the_composer_links_the_guidelines_page(mention, staff, home, webcare):
    from listening.pages import WebcareGuidelinesPage

    guidelines = WebcareGuidelinesPage(title="Webcare guidelines", slug="webcare")
    home.add_child(instance=guidelines)
    guidelines.save_revision().publish()
    webcare(guidelines_page=guidelines)

    html = render_composer(mention, staff)

    assert 'href="/en/webcare/"' in html


def test_the_workspace_shows_the_composer(staff_client, mention):
    response = staff_client.get(workspace_url(mention))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{reply_url(mention)}"' in html
    assert 'name="action" value="confirm"' in html
