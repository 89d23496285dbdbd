"""The mention workspace in the webcare inbox (issue 6): the mention with its
history, linking to an idea or a question, the consent-first invitation and
the close-the-loop page. Staff only; nothing is ever posted from here."""

from itertools import count

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from ideas.models import Idea
from listening import consent, reply_views, webcare
from listening.models import (
    ConsentEvent,
    Invitation,
    Mention,
    MentionLink,
    ReplyChannel,
    Source,
    Tracker,
)
from tests.experts.conftest import make_expert, make_question
from tests.factories import UserFactory, make_idea

pytestmark = pytest.mark.django_db

SANNE = "@Sanne@mastodon.social"
POST = "Dark mode in the Vonk app would be <b>great</b> at night"
_ids = count(1)

ROLES = ["anonymous", "member", "expert", "editor"]


def make_mention(source, text=POST, author=SANNE, **kw):
    n = next(_ids)
    kw.setdefault("language", "en")
    kw.setdefault("sentiment_score", 0.3)
    kw.setdefault("intent", "idea")
    return Mention.objects.create(
        source=source,
        external_id=f"ws-{n}",
        url=f"https://mastodon.test/@sanne/{n}",
        author_handle=author,
        text=text,
        cluster_key=f"ws{n}",
        **kw,
    )


@pytest.fixture
def source(db):
    return Source.objects.create(
        name="Mastodon", kind="mastodon", url="https://mastodon.test/"
    )


@pytest.fixture
def mention(home, source):
    m = make_mention(source)
    m.trackers.add(Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk"))
    return m


@pytest.fixture
def ideas_page(home):
    from ideas.pages import IdeasIndexPage

    page = IdeasIndexPage(title="Ideas", slug="ideas")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def questions_page(home):
    from experts.pages import QuestionsIndexPage

    page = QuestionsIndexPage(title="Questions", slug="questions")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def idea(ideas_page, member):
    return make_idea(author=member, title="Dark mode in the Vonk app")


@pytest.fixture
def question(questions_page, member):
    return make_question(
        member,
        title="How do I switch the Vonk app to dark mode?",
        body="I read the app at night and the white screen is far too bright.",
    )


@pytest.fixture
def composer_calls(monkeypatch):
    """Record what the workspace asks of the reply composer (owned by
    listening/reply_views.py), and keep its template out of these tests."""
    calls = []

    def fake(mention, user, initial_text="", **extra):
        calls.append({"mention": mention.pk, "initial_text": initial_text, **extra})
        return {}

    monkeypatch.setattr(reply_views, "composer_context", fake)
    return calls


def _client(role, member):
    client = Client()
    if role == "member":
        client.force_login(member)
    elif role == "expert":
        client.force_login(make_expert(username="joost-expert").user)
    elif role == "editor":
        # Wagtail admin access, but not staff.
        user = UserFactory(username="edith-editor")
        user.user_permissions.add(
            Permission.objects.get(
                codename="access_admin", content_type__app_label="wagtailadmin"
            )
        )
        client.force_login(user)
    return client


def ws(mention):
    return reverse("listening_inbox:mention", args=[mention.pk])


def link_url(mention):
    return reverse("listening_inbox:link", args=[mention.pk])


def invite_url(mention):
    return reverse("listening_inbox:invite", args=[mention.pk])


def loop_url(idea):
    return reverse("listening_inbox:loop", args=[idea.pk])


# --- permissions --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_see_the_workspace_and_the_loop_page(role, member, mention, idea):
    client = _client(role, member)
    for url in (ws(mention), loop_url(idea)):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert POST not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_can_link_or_invite(role, member, mention, idea):
    client = _client(role, member)
    response = client.post(link_url(mention), {"idea": idea.pk})
    assert response.status_code in (302, 403)
    response = client.post(invite_url(mention))
    assert response.status_code in (302, 403)
    assert not MentionLink.objects.exists()
    assert not Invitation.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_staff_see_the_workspace(staff_client, mention, composer_calls):
    response = staff_client.get(ws(mention))
    assert response.status_code == 200
    assert composer_calls == [
        {"mention": mention.pk, "initial_text": "", "next": ws(mention)}
    ]


def test_an_unknown_mention_or_idea_is_404(staff_client, composer_calls):
    assert staff_client.get("/admin/listening/inbox/999999/").status_code == 404
    assert staff_client.get("/admin/listening/inbox/loop/999999/").status_code == 404
    assert staff_client.post("/admin/listening/inbox/999999/link/").status_code == 404


def test_the_forms_need_the_csrf_token(staff, mention, idea):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.post(link_url(mention), {"idea": idea.pk}).status_code == 403
    assert client.post(invite_url(mention)).status_code == 403
    assert not MentionLink.objects.exists()
    assert not Invitation.objects.exists()


# --- the workspace ----------------------------------------------------------------


@pytest.fixture
def worked(mention, idea, question, staff):
    """A mention with a reply, two links and an invitation."""
    webcare.reply_record(
        mention=mention,
        by=staff,
        text="Thanks Sanne, we hear you!",
        channel=ReplyChannel.POSTED,
        external_id="r1",
        external_url="https://mastodon.test/@vonk/r1",
    )
    webcare.mention_link(mention=mention, by=staff, idea=idea)
    webcare.mention_link(mention=mention, by=staff, question=question)
    invitation = consent.invitation_offer(mention=mention, user=staff)
    assert isinstance(invitation, Invitation)
    return mention


WORKSPACE_QUERIES = 22  # the reply composer is stubbed: its own queries come on top


def test_the_workspace_shows_the_mention_and_its_history_in_pinned_queries(
    staff_client,
    staff,
    worked,
    idea,
    question,
    composer_calls,
    django_assert_max_num_queries,
):
    with django_assert_max_num_queries(WORKSPACE_QUERIES):
        response = staff_client.get(ws(worked))
    assert response.status_code == 200
    html = response.content.decode()
    # The post, escaped, with its labels and a safe link to the original.
    assert "would be &lt;b&gt;great&lt;/b&gt; at night" in html
    assert "<b>great</b>" not in html
    assert f'<a href="{worked.url}" target="_blank" rel="noopener noreferrer">' in html
    for shown in (SANNE, "Mastodon", "Vonk", "Idea or suggestion", "Invited"):
        assert shown in html
    # Replies: who, what and the posted link.
    assert "Thanks Sanne, we hear you!" in html
    assert 'href="https://mastodon.test/@vonk/r1"' in html
    assert "Posted through the network" in html
    # Links: public pages and admin pages.
    assert idea.get_absolute_url() in html
    assert f"/admin/snippets/ideas/idea/edit/{idea.pk}/" in html
    assert question.get_absolute_url() in html
    assert f"/admin/expertcare/questions/{question.pk}/" in html
    assert loop_url(idea) in html
    # The invitation: its state and the drafted text to copy; no second offer.
    invitation = Invitation.objects.get()
    assert "Offered" in html
    assert "/invite/" in html and "/optout/" in html
    assert 'data-action="w-clipboard#copy"' in html
    assert f'action="{invite_url(worked)}"' not in html
    # Staff act on it from here and come back here.
    assert (
        'action="{}"'.format(reverse("listening_inbox:status", args=[worked.pk]))
        in html
    )
    assert 'name="status" value="closed"' in html
    assert 'name="status" value="ignored"' in html
    assert f'name="next" value="{ws(worked)}"' in html
    assert invitation.reply_text.split(" ")[0] in html


def test_more_history_costs_no_more_queries(
    staff_client,
    staff,
    worked,
    ideas_page,
    composer_calls,
    django_assert_max_num_queries,
):
    for n in range(4):
        webcare.reply_record(
            mention=worked, by=staff, text=f"Reply {n}", channel=ReplyChannel.MANUAL
        )
        other = make_idea(title=f"Another idea number {n}")
        webcare.mention_link(mention=worked, by=staff, idea=other)
    with django_assert_max_num_queries(WORKSPACE_QUERIES):
        response = staff_client.get(ws(worked))
    assert "Another idea number 3" in response.content.decode()


def test_assign_to_me_is_offered_when_someone_else_has_it(
    staff_client, mention, composer_calls
):
    html = staff_client.get(ws(mention)).content.decode()
    assert (
        'action="{}"'.format(reverse("listening_inbox:assign", args=[mention.pk]))
        in html
    )
    assert "Assign to me" in html


def test_the_sla_clock_shows_the_deadline_in_the_staff_members_time_zone(
    staff_client, staff, mention, composer_calls
):
    from datetime import UTC, datetime

    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(staff)
    profile.current_time_zone = "America/New_York"
    profile.save()
    Mention.objects.filter(pk=mention.pk).update(
        due_at=datetime(2020, 1, 15, 12, 30, tzinfo=UTC)
    )
    html = staff_client.get(ws(mention)).content.decode()
    assert "15 Jan 2020 07:30 EST" in html
    assert 'data-sla="overdue"' in html
    assert "Overdue" in html


def test_the_workspace_links_the_guidelines_and_the_next_mention(
    staff_client, home, source, mention, composer_calls
):
    from listening.pages import WebcareGuidelinesPage

    guide = WebcareGuidelinesPage(title="Webcare guidelines", slug="webcare")
    home.add_child(instance=guide)
    guide.save_revision().publish()
    webcare.webcare_settings().__class__.objects.update(guidelines_page=guide)
    from django.utils import timezone

    later = make_mention(source, text="Another one", due_at=timezone.now())
    closed = make_mention(source, text="Done", status="closed")
    html = staff_client.get(ws(mention)).content.decode()
    assert 'href="/en/webcare/"' in html
    assert f'href="{ws(later)}" rel="next"' in html
    assert ws(closed) not in html


# --- linking --------------------------------------------------------------------


def test_similar_public_ideas_and_questions_are_suggested(
    staff_client, mention, idea, question, member, composer_calls
):
    hidden = make_idea(author=member, title="Dark mode in the Vonk app, hidden")
    Idea.objects.filter(pk=hidden.pk).update(is_hidden=True)
    from portal import semantic

    semantic.index_ids(kind="idea", ids=[hidden.pk])
    html = staff_client.get(ws(mention)).content.decode()
    suggested = html[html.index('id="ws-suggested-ideas"') :]
    assert f'name="idea" value="{idea.pk}"' in suggested
    assert f'name="idea" value="{hidden.pk}"' not in html
    assert f'name="question" value="{question.pk}"' in html
    assert "Link to this idea" in html and "Link to this question" in html


def test_the_search_box_finds_public_ideas_and_questions_by_title_or_number(
    staff_client, mention, idea, question, member, composer_calls
):
    private = make_question(member, title="Dark mode private case for my account")
    from experts.models import Question

    Question.objects.filter(pk=private.pk).update(is_private=True)
    html = staff_client.get(ws(mention), {"find": "DARK MODE"}).content.decode()
    found = html[html.index('id="ws-found"') :]
    assert f'name="idea" value="{idea.pk}"' in found
    assert f'name="question" value="{question.pk}"' in found
    assert f'name="question" value="{private.pk}"' not in found
    html = staff_client.get(ws(mention), {"find": str(idea.pk)}).content.decode()
    assert f'name="idea" value="{idea.pk}"' in html[html.index('id="ws-found"') :]


def test_linking_to_an_idea_drafts_a_reply_to_vote_for_it(
    staff_client, staff, mention, idea, composer_calls
):
    response = staff_client.post(link_url(mention), {"idea": idea.pk})
    link = MentionLink.objects.get()
    assert (link.mention, link.idea, link.linked_by) == (mention, idea, staff)
    assert response.status_code == 302
    assert response["Location"] == f"{ws(mention)}?compose=link&link={link.pk}"
    mention.refresh_from_db()
    assert mention.status == "linked"

    html = staff_client.get(response["Location"]).content.decode()
    assert "Linked to the idea" in html
    draft = composer_calls[-1]["initial_text"]
    assert (
        f"you can vote for it here: http://localhost:8000{idea.get_absolute_url()}"
        in draft
    )
    assert draft in html.replace("&#x27;", "'")  # shown while no composer exists


def test_linking_to_a_question_drafts_a_reply_with_the_answer(
    staff_client, mention, question, composer_calls
):
    response = staff_client.post(link_url(mention), {"question": question.pk})
    link = MentionLink.objects.get()
    assert link.question == question
    staff_client.get(response["Location"])
    draft = composer_calls[-1]["initial_text"]
    assert (
        f"here is the answer: http://localhost:8000{question.get_absolute_url()}"
        in draft
    )


def test_the_draft_points_to_the_page_in_the_posters_language(
    staff_client, source, ideas_page, idea, composer_calls
):
    from wagtail.models import Locale

    dutch = ideas_page.copy_for_translation(Locale.objects.get(language_code="nl"))
    dutch.save_revision().publish()
    nl = make_mention(source, text="Donkere modus in de Vonk app graag", language="nl")
    response = staff_client.post(link_url(nl), {"idea": idea.pk})
    staff_client.get(response["Location"])
    draft = composer_calls[-1]["initial_text"]
    assert f"http://localhost:8000/nl/ideas/{idea.pk}-" in draft


def test_linking_twice_keeps_one_link(staff_client, mention, idea, composer_calls):
    staff_client.post(link_url(mention), {"idea": idea.pk})
    response = staff_client.post(link_url(mention), {"idea": idea.pk})
    assert response.status_code == 302
    assert MentionLink.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"is_hidden": True}, "is hidden or merged"),
        ({"status": "merged"}, "is hidden or merged"),
    ],
)
def test_hidden_and_merged_ideas_cannot_be_linked(
    staff_client, mention, idea, member, change, error, composer_calls
):
    if change.get("status") == "merged":
        change["merged_into"] = make_idea(author=member, title="The original")
    Idea.objects.filter(pk=idea.pk).update(**change)
    response = staff_client.post(link_url(mention), {"idea": idea.pk}, follow=True)
    assert error in response.content.decode()
    assert not MentionLink.objects.exists()


@pytest.mark.parametrize("change", [{"is_hidden": True}, {"is_private": True}])
def test_hidden_and_private_questions_cannot_be_linked(
    staff_client, mention, question, change, composer_calls
):
    from experts.models import Question

    Question.objects.filter(pk=question.pk).update(**change)
    response = staff_client.post(
        link_url(mention), {"question": question.pk}, follow=True
    )
    assert "is hidden or a private case" in response.content.decode()
    assert not MentionLink.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Choose one idea or one question."),
        ({"idea": "1", "question": "1"}, "Choose one idea or one question."),
        ({"idea": "999999"}, "That idea does not exist."),
        ({"question": "999999"}, "That question does not exist."),
        ({"idea": "abc"}, "Choose what to link."),
    ],
)
def test_bad_link_requests_say_what_is_wrong(
    staff_client, mention, data, error, composer_calls
):
    response = staff_client.post(link_url(mention), data, follow=True)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not MentionLink.objects.exists()


# --- invitations -------------------------------------------------------------------


def test_offering_an_invitation_drafts_the_reply_for_staff_to_post(
    staff_client, staff, mention, composer_calls
):
    response = staff_client.post(invite_url(mention))
    invitation = Invitation.objects.get()
    assert invitation.offered_by == staff
    assert response.status_code == 302
    assert response["Location"] == f"{ws(mention)}?compose=invitation"

    html = staff_client.get(response["Location"]).content.decode()
    assert "Nothing has been sent" in html
    assert "/invite/" in invitation.reply_text
    assert "/optout/" in invitation.reply_text
    assert composer_calls[-1]["kind"] == "invitation"
    assert composer_calls[-1]["initial_text"] == invitation.reply_text
    assert "Offer invitation" not in html  # the state is shown instead


def test_posting_the_offer_again_never_makes_a_second_invitation(
    staff_client, mention, composer_calls
):
    staff_client.post(invite_url(mention))
    response = staff_client.post(invite_url(mention), follow=True)
    assert Invitation.objects.count() == 1
    assert "already drafted" in response.content.decode()


def test_an_opted_out_person_is_refused_with_the_reason(
    staff_client, mention, composer_calls
):
    consent.optout_record(handle=SANNE, via="link")
    response = staff_client.post(invite_url(mention))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This person asked never to be invited." in html
    assert 'id="ws-override"' not in html  # this refusal cannot be overridden
    assert not Invitation.objects.exists()
    # A reason does not open this door either.
    staff_client.post(invite_url(mention), {"override_reason": "They seem keen"})
    assert not Invitation.objects.exists()
    assert not ConsentEvent.objects.filter(kind="override").exists()


@pytest.fixture
def sensitive(home, source):
    return make_mention(
        source, text="Vonk is the worst company ever", sentiment_score=-0.8
    )


def test_a_sensitive_post_is_refused_until_staff_override_with_a_reason(
    staff_client, staff, sensitive, composer_calls
):
    response = staff_client.post(invite_url(sensitive))
    html = response.content.decode()
    assert "emotional or about a sensitive subject" in html
    assert 'id="ws-override"' in html
    assert "Override and draft" in html
    assert not Invitation.objects.exists()

    reason = "They asked us publicly how to join the panel."
    response = staff_client.post(invite_url(sensitive), {"override_reason": reason})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.override_reason == reason
    event = ConsentEvent.objects.get(kind="override")
    assert event.actor == staff
    assert reason in event.reason
    html = staff_client.get(response["Location"]).content.decode()
    assert reason in html
    assert composer_calls[-1]["initial_text"] == invitation.reply_text


def test_an_override_without_a_reason_stays_refused(
    staff_client, sensitive, composer_calls
):
    response = staff_client.post(invite_url(sensitive), {"override_reason": "  "})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Write why you override this refusal." in html
    assert 'aria-invalid="true"' in html
    assert not Invitation.objects.exists()
    assert not ConsentEvent.objects.filter(kind="override").exists()


def test_an_overlong_override_reason_is_refused(
    staff_client, sensitive, composer_calls
):
    response = staff_client.post(invite_url(sensitive), {"override_reason": "x" * 2001})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


# --- closing the loop ------------------------------------------------------------


@pytest.fixture
def launched(staff, source, idea):
    """An idea that launched, linked from three posts; one loop is closed."""
    links = []
    for n, language in enumerate(["en", "nl", "en"]):
        m = make_mention(source, text=f"Post {n} about dark mode", language=language)
        links.append(webcare.mention_link(mention=m, by=staff, idea=idea))
    Idea.objects.filter(pk=idea.pk).update(status="launched")
    idea.refresh_from_db()
    webcare.loop_close(
        link=links[2], by=staff, text="It launched!", channel=ReplyChannel.MANUAL
    )
    return idea, links


def test_the_loop_page_drafts_an_update_for_each_open_link_in_pinned_queries(
    staff_client, launched, composer_calls, django_assert_max_num_queries
):
    idea, links = launched
    with django_assert_max_num_queries(14):
        response = staff_client.get(loop_url(idea))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dark mode in the Vonk app" in html
    assert "Launched" in html
    for n in range(3):
        assert f"Post {n} about dark mode" in html
    assert "Loop closed" in html
    drafts = {call["link"]: call for call in composer_calls}
    assert set(drafts) == {links[0].pk, links[1].pk}
    assert all(call["kind"] == "loop" for call in drafts.values())
    url = f"http://localhost:8000{idea.get_absolute_url()}"
    assert drafts[links[0].pk]["next"] == f"{loop_url(idea)}#loop-link-{links[0].pk}"
    assert drafts[links[0].pk]["initial_text"] == (
        f"{SANNE} Update: the idea you wrote about, “Dark mode in the Vonk app”, "
        f"is now launched: {url}"
    )
    assert drafts[links[0].pk]["initial_text"] in html


def test_an_idea_without_links_has_nothing_to_close(staff_client, idea, composer_calls):
    response = staff_client.get(loop_url(idea))
    assert response.status_code == 200
    assert "No social posts are linked to this idea." in response.content.decode()


# --- with the real reply composer ---------------------------------------------------


def test_the_real_composer_starts_with_the_link_draft(
    staff_client, mention, idea, django_assert_max_num_queries
):
    response = staff_client.post(link_url(mention), {"idea": idea.pk})
    with django_assert_max_num_queries(25):
        page = staff_client.get(response["Location"])
    html = page.content.decode()
    composer = html[html.index('id="ws-reply"') : html.index('id="ws-link"')]
    assert 'name="text"' in composer
    assert "you can vote for it here: http://localhost:8000/en/ideas/" in composer
    assert 'name="kind" value="answer"' in composer
    assert f'name="next" value="{ws(mention)}"' in composer


def test_the_real_composer_posts_the_invitation_as_an_invitation(staff_client, mention):
    response = staff_client.post(invite_url(mention))
    html = staff_client.get(response["Location"]).content.decode()
    composer = html[html.index('id="ws-reply"') : html.index('id="ws-link"')]
    assert 'name="kind" value="invitation"' in composer
    assert "/invite/" in composer and "/optout/" in composer


def test_the_real_composers_on_the_loop_page_close_each_link(
    staff_client, launched, django_assert_max_num_queries
):
    idea, links = launched
    with django_assert_max_num_queries(21):
        html = staff_client.get(loop_url(idea)).content.decode()
    for link in links[:2]:
        assert f'name="link" value="{link.pk}"' in html
    assert f'name="link" value="{links[2].pk}"' not in html
    assert html.count('name="kind" value="loop"') == 2
    assert "is now launched: http://localhost:8000/en/ideas/" in html


def test_staff_assign_a_colleague_from_the_workspace(client, staff):
    from listening.models import Mention, Source
    from tests.factories import StaffFactory

    colleague = StaffFactory(username="colleague", display_name="Joost")
    source = Source.objects.create(name="Feed", kind="rss")
    mention = Mention.objects.create(
        source=source, external_id="w1", text="Vonk, help", cluster_key="w1"
    )
    client.force_login(staff)
    page = client.get(f"/admin/listening/inbox/{mention.pk}/").content.decode()
    assert "Joost" in page
    client.post(
        f"/admin/listening/inbox/{mention.pk}/assign/",
        {"assignee": colleague.pk, "next": f"/admin/listening/inbox/{mention.pk}/"},
    )
    mention.refresh_from_db()
    assert mention.assignee == colleague
