"""After "Join" (issue 6, consent-first invitation): sign-up through allauth
turns the invited person's post into a draft they own; they edit and publish
it as an idea or a question; the ledger records joined and contributed; the
post counts on the idea as "heard on social"; a linked idea that changes
status prompts the staff member who linked it to close the loop."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from experts.models import Question
from ideas import services as idea_services
from ideas.models import Idea
from listening import consent, join
from listening.invite_views import SESSION_KEY
from listening.models import (
    ConsentEvent,
    ContributionDraft,
    Invitation,
    Mention,
    MentionLink,
    Person,
    Source,
)
from portal.notifications.models import Notification
from tests.factories import UserFactory, make_idea

pytestmark = pytest.mark.django_db

User = get_user_model()
SANNE = "@Sanne@mastodon.social"
POST = (
    "@vonk Please show my energy usage per week in the app. "
    "Now I only see months https://example.com/screenshot"
)
QUESTION_POST = "Why does the Vonk app log me out every single day? It is annoying."
PASSWORD = "a-Long-enough-pass-42"


@pytest.fixture
def ideas_page(home):
    from ideas.pages import IdeasIndexPage

    page = IdeasIndexPage(title="Ideas", slug="ideas", intro="Share and vote")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def questions_page(home):
    from experts.pages import QuestionsIndexPage

    page = QuestionsIndexPage(title="Questions", slug="questions", intro="Ask")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def source(db):
    return Source.objects.create(name="Mastodon", kind="mastodon")


def make_mention(source, *, text=POST, intent="idea", author=SANNE, n=1):
    return Mention.objects.create(
        source=source,
        external_id=f"p{n}",
        url=f"https://mastodon.social/@Sanne/{n}",
        author_handle=author,
        text=text,
        language="en",
        intent=intent,
        sentiment_score=0.3,
        posted_at=timezone.now() - timedelta(hours=n),
        cluster_key=f"c{n}",
    )


def offer(mention, staff):
    invitation = consent.invitation_offer(mention=mention, user=staff)
    assert isinstance(invitation, Invitation), invitation
    return invitation


@pytest.fixture
def invitation(home, source, staff):
    return offer(make_mention(source), staff)


@pytest.fixture
def question_invitation(home, source, staff):
    return offer(
        make_mention(source, text=QUESTION_POST, intent="question", n=2), staff
    )


def landing(invitation):
    return f"/en/invite/{consent.invitation_token(invitation)}/"


def draft_page(draft):
    return f"/en/invite/drafts/{draft.pk}/"


def _link_in(message) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def kinds(invitation):
    return list(
        ConsentEvent.objects.filter(invitation=invitation).values_list(
            "kind", flat=True
        )
    )


def signup(client, email="sanne@example.com"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


# --- joining through sign-up ---------------------------------------------------


def test_join_sign_up_and_confirm_lands_the_new_member_on_their_draft(
    client, invitation
):
    client.get(landing(invitation))
    response = client.post(landing(invitation), {"action": "join"})
    assert response.status_code == 302
    assert "/accounts/signup/" in response["Location"]

    assert signup(client).status_code == 302
    user = User.objects.get(email="sanne@example.com")
    draft = ContributionDraft.objects.get()
    assert draft.owner == user
    assert draft.invitation == invitation
    assert draft.kind == "idea"
    assert draft.title == "Please show my energy usage per week in the app."
    assert draft.body == POST
    assert draft.language == "en"
    assert draft.published_at is None
    invitation.refresh_from_db()
    assert invitation.status == "joined" and invitation.joined_at is not None
    assert kinds(invitation) == ["offered", "opened", "joined"]
    joined = ConsentEvent.objects.get(invitation=invitation, kind="joined")
    assert joined.actor == user
    assert Person.objects.get(pk=invitation.person_id).user == user
    assert SESSION_KEY not in client.session

    # The confirmation link, in the same browser: logged in, on the draft.
    assert len(mail.outbox) == 1
    confirm = _link_in(mail.outbox[0])
    assert client.get(confirm).status_code == 200
    response = client.post(confirm)
    assert response.status_code == 302
    assert response["Location"] == draft_page(draft)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Please show my energy usage per week in the app." in page.content


def test_confirming_in_another_browser_still_lands_on_the_drafts(client, invitation):
    client.post(landing(invitation), {"action": "join"})
    signup(client)
    other = Client()
    response = other.post(_link_in(mail.outbox[0]))
    assert response.status_code == 302  # not logged in: on to the login page
    response = other.post(
        reverse("account_login"),
        {"login": "sanne@example.com", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/invite/drafts/"
    assert b"Please show my energy usage" in other.get("/en/invite/drafts/").content


def test_an_explicit_next_wins_over_the_draft_landing(client, invitation):
    client.post(landing(invitation), {"action": "join"})
    signup(client)
    other = Client()
    other.post(_link_in(mail.outbox[0]))
    response = other.post(
        reverse("account_login") + "?next=/en/ideas/",
        {"login": "sanne@example.com", "password": PASSWORD, "next": "/en/ideas/"},
    )
    assert response["Location"] == "/en/ideas/"


def test_logging_in_instead_of_signing_up_joins_too(client, invitation, member):
    client.post(landing(invitation), {"action": "join"})
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": "x" * 0}
    )
    assert response.status_code == 200  # a wrong password joins nothing
    assert not ContributionDraft.objects.exists()
    from tests.factories import PASSWORD as MEMBER_PASSWORD

    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": MEMBER_PASSWORD},
    )
    draft = ContributionDraft.objects.get()
    assert draft.owner == member
    assert response["Location"] == draft_page(draft)


def test_a_logged_in_member_clicking_join_goes_straight_to_the_draft(
    client, invitation, member
):
    client.force_login(member)
    response = client.post(landing(invitation), {"action": "join"})
    draft = ContributionDraft.objects.get()
    assert response.status_code == 302
    assert response["Location"] == draft_page(draft)
    assert draft.owner == member
    invitation.refresh_from_db()
    assert invitation.status == "joined"
    assert Person.objects.get(pk=invitation.person_id).user == member
    # The link is used now.
    assert client.post(landing(invitation), {"action": "join"}).status_code == 410
    assert ContributionDraft.objects.count() == 1


@pytest.mark.parametrize("state", ["expired", "declined", "joined", "unknown"])
def test_an_unusable_invitation_in_the_session_creates_nothing(
    client, invitation, other_member, state
):
    client.post(landing(invitation), {"action": "join"})
    if state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    elif state == "declined":
        consent.invitation_decline(invitation)
    elif state == "joined":
        join.invitation_join(invitation=invitation, user=other_member)
    else:
        session = client.session
        session[SESSION_KEY] = [999999, int(time.time())]
        session.save()
    before = ContributionDraft.objects.count()
    assert signup(client).status_code == 302
    user = User.objects.get(email="sanne@example.com")
    assert ContributionDraft.objects.count() == before
    assert not ContributionDraft.objects.filter(owner=user).exists()
    assert not Person.objects.filter(user=user).exists()


def test_the_session_key_cannot_be_forged_into_a_join(client, invitation):
    session = client.session
    session[SESSION_KEY] = str(invitation.pk)  # not what "Join" stores
    session.save()
    signup(client)
    assert not ContributionDraft.objects.exists()


# --- the service ----------------------------------------------------------------


def test_an_old_join_click_in_a_shared_browser_joins_nobody(client, invitation):
    session = client.session
    session[SESSION_KEY] = [invitation.pk, int(time.time()) - 3 * 60 * 60]
    session.save()
    signup(client)
    assert not ContributionDraft.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == "offered"


def test_joining_twice_returns_the_same_draft_and_records_once(invitation, member):
    first = join.invitation_join(invitation=invitation, user=member)
    second = join.invitation_join(invitation=invitation, user=member)
    assert first.pk == second.pk
    assert kinds(invitation).count("joined") == 1


def test_someone_else_cannot_take_a_joined_invitation(invitation, member, other_member):
    from django.core.exceptions import PermissionDenied

    join.invitation_join(invitation=invitation, user=member)
    with pytest.raises(PermissionDenied):
        join.invitation_join(invitation=invitation, user=other_member)


def test_an_earlier_person_link_is_kept(invitation, member, other_member):
    Person.objects.filter(pk=invitation.person_id).update(user=other_member)
    join.invitation_join(invitation=invitation, user=member)
    assert Person.objects.get(pk=invitation.person_id).user == other_member


def test_a_question_post_becomes_a_draft_question(question_invitation, member):
    draft = join.invitation_join(invitation=question_invitation, user=member)
    assert draft.kind == "question"
    assert draft.title == "Why does the Vonk app log me out every single day?"


@pytest.mark.parametrize("intent", ["complaint", "praise", "lead", "other", ""])
def test_every_other_intent_becomes_a_draft_idea(home, source, staff, member, intent):
    invitation = offer(make_mention(source, intent=intent), staff)
    assert join.invitation_join(invitation=invitation, user=member).kind == "idea"


@pytest.mark.parametrize("gone", ["deleted", "pseudonymised"])
def test_a_gone_post_gives_an_empty_draft_idea(invitation, member, gone):
    if gone == "deleted":
        Mention.objects.all().delete()
    else:
        Mention.objects.update(
            pseudonymised_at=timezone.now(), author_handle="anon-1", text="x"
        )
    invitation.refresh_from_db()
    draft = join.invitation_join(invitation=invitation, user=member)
    assert (draft.kind, draft.title, draft.body) == ("idea", "", "")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Add dark mode. Please!", "Add dark mode."),
        ("Dark? Yes please, soon.", "Dark? Yes please, soon."),
        ("@vonk @eva Dark mode would be lovely. Really.", "Dark mode would be lovely."),
        ("One line\nsecond\tline", "One line second line"),
        ("https://example.com", "An idea I shared on social media"),
        ("", "An idea I shared on social media"),
        ("Ok", "An idea I shared on social media"),
    ],
)
def test_draft_titles_are_one_clean_line(text, expected):
    assert join.draft_title(text) == expected


def test_a_long_first_sentence_is_cut_at_a_word():
    title = join.draft_title("word " * 60)
    assert len(title) <= 101 and title.endswith("…") and "  " not in title


@pytest.mark.parametrize("kind", ["idea", "question"])
@pytest.mark.parametrize("language", ["en", "nl", "xx", ""])
def test_the_fallback_title_passes_the_title_rules(kind, language):
    # Ideas need 8 characters, questions 10.
    assert len(join.draft_title("", kind=kind, language=language)) >= 10


# --- the draft pages ------------------------------------------------------------


@pytest.fixture
def draft(invitation, member):
    return join.invitation_join(invitation=invitation, user=member)


def test_anonymous_visitors_are_sent_to_log_in(client, draft):
    for url in ("/en/invite/drafts/", draft_page(draft)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    response = client.post(draft_page(draft), {"action": "discard"})
    assert response.status_code == 302
    assert ContributionDraft.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("who", ["other_member", "staff", "expert"])
def test_nobody_but_the_owner_sees_a_draft(client, draft, other_member, staff, who):
    from experts.models import ExpertProfile

    user = {"other_member": other_member, "staff": staff}.get(who)
    if user is None:
        user = UserFactory(username="joost-expert")
        ExpertProfile.objects.create(user=user)
    client.force_login(user)
    assert client.get(draft_page(draft)).status_code == 404
    for action in ("publish", "discard", "save"):
        response = client.post(
            draft_page(draft),
            {"action": action, "kind": "idea", "title": "Taken over", "body": "x" * 30},
        )
        assert response.status_code == 404
    assert b"energy usage" not in client.get("/en/invite/drafts/").content
    draft.refresh_from_db()
    assert draft.published_at is None and draft.title != "Taken over"
    assert not Idea.objects.exists()


def test_the_owner_sees_their_drafts(
    client, draft, member, django_assert_max_num_queries
):
    client.force_login(member)
    client.get("/en/invite/drafts/")
    # One for the drafts; the rest is the site shell every page pays.
    with django_assert_max_num_queries(12):
        response = client.get("/en/invite/drafts/")
    assert response.status_code == 200
    assert b"Please show my energy usage per week" in response.content
    with django_assert_max_num_queries(12):
        response = client.get(draft_page(draft))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'value="publish"' in html and 'value="discard"' in html
    assert "https://example.com/screenshot" in html  # the original post


def test_saving_keeps_the_draft_private(client, draft, member):
    client.force_login(member)
    response = client.post(
        draft_page(draft),
        {
            "action": "save",
            "kind": "question",
            "title": "  Better\ntitle ",
            "body": "b",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.kind, draft.title, draft.body) == ("question", "Better title", "b")
    assert draft.published_at is None
    assert not Idea.objects.exists() and not Question.objects.exists()


def test_publishing_an_idea(client, draft, member, staff, ideas_page, invitation):
    client.force_login(member)
    response = client.post(
        draft_page(draft),
        {
            "action": "publish",
            "kind": "idea",
            "title": "Weekly energy usage in the app",
            "body": "Please show my energy usage per week, not only per month.",
        },
    )
    idea = Idea.objects.get()
    assert response.status_code == 302
    assert response["Location"] == idea.get_absolute_url()
    assert idea.author == member
    assert idea.title == "Weekly energy usage in the app"
    assert idea.language == "en"
    draft.refresh_from_db()
    assert draft.idea == idea and draft.published_at is not None
    invitation.refresh_from_db()
    assert invitation.status == "contributed" and invitation.contributed_at
    assert kinds(invitation)[-1] == "contributed"
    link = MentionLink.objects.get()
    assert (link.mention_id, link.idea, link.linked_by) == (
        invitation.mention_id,
        idea,
        staff,
    )
    page = client.get(response["Location"])
    assert b"Your idea is online" in page.content
    # The draft is no longer waiting; its page leads to the idea.
    assert b"energy usage" not in client.get("/en/invite/drafts/").content
    assert client.get(draft_page(draft))["Location"] == idea.get_absolute_url()


def test_publishing_a_question(
    client, question_invitation, member, questions_page, staff
):
    draft = join.invitation_join(invitation=question_invitation, user=member)
    client.force_login(member)
    response = client.post(
        draft_page(draft),
        {
            "action": "publish",
            "kind": "question",
            "title": draft.title,
            "body": draft.body,
        },
    )
    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == question.get_absolute_url()
    assert question.author == member
    assert not Idea.objects.exists()
    assert MentionLink.objects.get().question == question
    question_invitation.refresh_from_db()
    assert question_invitation.status == "contributed"


def test_an_idea_post_can_be_published_as_a_question(
    client, draft, member, questions_page
):
    client.force_login(member)
    client.post(
        draft_page(draft),
        {
            "action": "publish",
            "kind": "question",
            "title": "Can I see my usage per week?",
            "body": draft.body,
        },
    )
    assert Question.objects.get().title == "Can I see my usage per week?"
    assert not Idea.objects.exists()


@pytest.mark.parametrize(
    "kind, title, body, field",
    [
        ("idea", "Short", "Long enough description of the idea.", "title"),
        ("idea", "A fine title", "too short", "body"),
        ("question", "Short?", "Long enough description of the question.", "title"),
        ("idea", "x" * 190, "Long enough description of the idea.", "title"),
        ("idea", "", "", "title"),
    ],
)
def test_bad_text_shows_errors_and_creates_nothing(
    client, draft, member, invitation, kind, title, body, field
):
    client.force_login(member)
    response = client.post(
        draft_page(draft),
        {"action": "publish", "kind": kind, "title": title, "body": body},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Idea.objects.exists() and not Question.objects.exists()
    assert not MentionLink.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == "joined"
    draft.refresh_from_db()
    assert draft.published_at is None


def test_an_unknown_kind_is_a_form_error(client, draft, member):
    client.force_login(member)
    response = client.post(
        draft_page(draft),
        {
            "action": "publish",
            "kind": "poll",
            "title": "A fine title",
            "body": "b" * 30,
        },
    )
    assert response.status_code == 400
    assert "kind" in response.context["form"].errors


def test_publishing_twice_gives_one_idea(client, draft, member, ideas_page):
    data = {
        "action": "publish",
        "kind": "idea",
        "title": "Weekly energy usage in the app",
        "body": "Please show my energy usage per week, not only per month.",
    }
    client.force_login(member)
    first = client.post(draft_page(draft), data)
    second = client.post(draft_page(draft), data)
    assert Idea.objects.count() == 1
    assert first["Location"] == second["Location"]
    again = join.draft_publish(
        draft=draft, user=member, title="Other title here", body="Other body " * 3
    )
    assert again == Idea.objects.get()
    assert MentionLink.objects.count() == 1
    assert ConsentEvent.objects.filter(kind="contributed").count() == 1


def test_only_the_owner_can_publish_through_the_service(draft, other_member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        join.draft_publish(
            draft=draft,
            user=other_member,
            title="Weekly energy usage in the app",
            body="Please show my energy usage per week, not only per month.",
        )
    assert not Idea.objects.exists()


def test_a_link_by_someone_no_longer_staff_has_no_linker(
    draft, member, staff, ideas_page
):
    staff.is_staff = False
    staff.save()
    join.draft_publish(
        draft=draft,
        user=member,
        title="Weekly energy usage in the app",
        body="Please show my energy usage per week, not only per month.",
    )
    assert MentionLink.objects.get().linked_by is None


def test_discarding_a_draft(client, draft, member, invitation):
    client.force_login(member)
    response = client.post(draft_page(draft), {"action": "discard"})
    assert response.status_code == 302
    assert response["Location"] == "/en/invite/drafts/"
    assert not ContributionDraft.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == "joined"
    assert client.get(draft_page(draft)).status_code == 404


def test_draft_posts_need_a_csrf_token(draft, member):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(draft_page(draft), {"action": "discard"}).status_code == 403
    assert ContributionDraft.objects.exists()


# --- closing the loop -----------------------------------------------------------


def test_a_linked_idea_that_launches_prompts_the_linker(
    source, staff, django_capture_on_commit_callbacks
):
    from listening.webcare import mention_link

    idea = make_idea()
    mention_link(mention=make_mention(source), by=staff, idea=idea)
    with django_capture_on_commit_callbacks(execute=True):
        idea_services.idea_respond(idea=idea, by=staff, status="launched")
    prompt = Notification.objects.get(kind="listening.close_loop")
    assert prompt.recipient == staff
    assert f"/loop/{idea.pk}/" in prompt.url
    link = MentionLink.objects.get()
    assert link.loop_status == "launched" and link.loop_prompted_at


def test_posts_linked_to_a_merged_duplicate_count_on_the_idea_it_joined(
    source, staff, django_capture_on_commit_callbacks
):
    from ideas.services.merge import idea_merge
    from listening.webcare import mention_link

    duplicate = make_idea(title="Solar yield per hour please")
    target = make_idea(title="Solar yield per hour in the app")
    both = make_mention(source, n=1)
    mention_link(mention=both, by=staff, idea=duplicate)
    mention_link(mention=both, by=staff, idea=target)
    mention_link(mention=make_mention(source, n=2), by=staff, idea=duplicate)
    with django_capture_on_commit_callbacks(execute=True):
        idea_merge(source=duplicate, target=target, by=staff)
    assert MentionLink.objects.filter(idea=target).count() == 2
    assert not Notification.objects.filter(kind="listening.close_loop").exists()


def test_no_prompt_without_links_or_without_a_new_status(
    source, staff, django_capture_on_commit_callbacks
):
    from listening.webcare import mention_link

    unlinked = make_idea(title="An idea nobody linked")
    linked = make_idea()
    mention_link(mention=make_mention(source), by=staff, idea=linked)
    with django_capture_on_commit_callbacks(execute=True):
        idea_services.idea_respond(idea=unlinked, by=staff, status="launched")
        # A response without a new status is not a status change.
        idea_services.idea_respond(idea=linked, by=staff, response="Thanks!")
    assert not Notification.objects.filter(kind="listening.close_loop").exists()


def test_the_published_draft_closes_the_loop_with_whoever_invited(
    draft, member, staff, ideas_page, django_capture_on_commit_callbacks
):
    idea = join.draft_publish(
        draft=draft,
        user=member,
        title="Weekly energy usage in the app",
        body="Please show my energy usage per week, not only per month.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        idea_services.idea_respond(idea=idea, by=staff, status="planned")
    assert Notification.objects.get(kind="listening.close_loop").recipient == staff


# --- heard on social on the idea page --------------------------------------------


@pytest.fixture
def linked_idea(ideas_page, source, staff):
    from listening.webcare import mention_link

    idea = make_idea()
    for n in (1, 2, 3):
        mention_link(mention=make_mention(source, n=n), by=staff, idea=idea)
    return idea


def test_the_idea_page_counts_the_posts_for_everyone(client, linked_idea, member):
    url = linked_idea.get_absolute_url()
    for who in (None, member):
        if who:
            client.force_login(who)
        html = client.get(url).content.decode()
        assert "Heard on social" in html and "3 posts" in html
        assert "mastodon.social/@Sanne" not in html
        assert "/admin/listening/inbox/" not in html


def test_staff_see_the_posts_and_the_inbox_link(client, linked_idea, staff):
    client.force_login(staff)
    html = client.get(linked_idea.get_absolute_url()).content.decode()
    assert "3 posts" in html
    for n in (1, 2, 3):
        assert f"https://mastodon.social/@Sanne/{n}" in html
    inbox = reverse("listening_inbox:index")
    assert f"{inbox}?idea={linked_idea.pk}&amp;status=all" in html


def test_an_imported_javascript_address_never_becomes_a_link(
    client, linked_idea, staff
):
    Mention.objects.update(url="javascript:alert(document.cookie)")
    client.force_login(staff)
    html = client.get(linked_idea.get_absolute_url()).content.decode()
    assert "javascript:" not in html


def test_an_idea_without_links_shows_no_social_section(client, ideas_page):
    idea = make_idea()
    assert b"Heard on social" not in client.get(idea.get_absolute_url()).content


@pytest.mark.parametrize("role", ["member", "staff"])
def test_the_social_section_does_not_grow_the_queries(
    client, linked_idea, source, staff, member, role, django_assert_max_num_queries
):
    from listening.webcare import mention_link

    client.force_login(member if role == "member" else staff)
    url = linked_idea.get_absolute_url()
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(4, 14):
        mention_link(mention=make_mention(source, n=n), by=staff, idea=linked_idea)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert b"13 posts" in client.get(url).content
