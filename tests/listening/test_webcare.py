"""Webcare services: the SLA clock, assigning, statuses, replies, links and
closing the loop (listening/webcare.py), and the site settings behind them."""

from datetime import timedelta
from itertools import count

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ideas.services.submit import idea_submit
from listening import consent, webcare
from listening.connectors import RawMention
from listening.inbox import InboxFilterForm, inbox_queryset, sla_state
from listening.models import Mention, MentionReply, Source, Tracker
from listening.pages import WebcareSettings
from listening.services import mention_correct, mention_upsert_batch
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
_ids = count(1)


@pytest.fixture
def mastodon():
    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    return Source.objects.create(
        name="Mastodon", kind="mastodon", url="https://mastodon.test/"
    )


def mention(source, text="Vonk should add a weekly usage graph", **kw):
    n = next(_ids)
    kw.setdefault("language", "en")
    kw.setdefault("due_at", timezone.now() + timedelta(hours=24))
    return Mention.objects.create(
        source=source,
        external_id=f"post-{n}",
        author_handle="@sanne@mastodon.social",
        text=text,
        cluster_key=f"c{n}",
        **kw,
    )


def raw(text, n):
    return RawMention(
        external_id=f"ext-{n}",
        text=text,
        author_handle="@kim@mastodon.social",
        url=f"https://mastodon.test/@kim/{n}",
        posted_at=timezone.now(),
    )


# --- the SLA clock -------------------------------------------------------------


def test_the_clock_starts_on_arrival_with_the_target_for_the_intent(mastodon):
    before = timezone.now()
    mention_upsert_batch(
        source=mastodon,
        raw_mentions=[
            raw("Vonk, my bill is wrong again and nobody answers. Terrible!", 1),
            raw("How do I connect my Vonk meter to the app?", 2),
        ],
    )
    complaint = Mention.objects.get(external_id="ext-1")
    question = Mention.objects.get(external_id="ext-2")
    assert complaint.intent == "complaint"
    assert question.intent == "question"
    assert timedelta(minutes=59) < complaint.due_at - before < timedelta(minutes=61)
    assert (
        timedelta(hours=23, minutes=59)
        < question.due_at - before
        < timedelta(hours=24, minutes=1)
    )


def test_targets_come_from_the_site_settings(mastodon, webcare):
    webcare(sla_complaint=15, sla_question=120)
    before = timezone.now()
    mention_upsert_batch(
        source=mastodon,
        raw_mentions=[raw("Vonk, my bill is wrong again. Terrible service!", 3)],
    )
    m = Mention.objects.get()
    assert timedelta(minutes=14) < m.due_at - before < timedelta(minutes=16)


def test_correcting_the_intent_moves_the_deadline(mastodon, staff):
    mention_upsert_batch(
        source=mastodon,
        raw_mentions=[raw("How do I connect my Vonk meter to the app?", 4)],
    )
    m = Mention.objects.get()
    mention_correct(mention=m, field="intent", value="complaint", user=staff)
    m.refresh_from_db()
    assert m.due_at == m.fetched_at + timedelta(hours=1)


def test_sla_state(mastodon):
    now = timezone.now()
    m = mention(mastodon, due_at=now - timedelta(minutes=5))
    assert sla_state(m, now) == "overdue"
    m.due_at = now + timedelta(minutes=5)
    assert sla_state(m, now) == "due"
    m.first_response_at = now
    assert sla_state(m, now) == "met"
    m.first_response_at = now + timedelta(minutes=10)
    assert sla_state(m, now) == "missed"
    m.first_response_at, m.status = None, "ignored"
    assert sla_state(m, now) == ""


# --- assigning and statuses ----------------------------------------------------


def test_assigning_moves_new_mentions_to_assigned_and_back(mastodon, staff):
    colleague = StaffFactory(username="colleague")
    a, b = mention(mastodon), mention(mastodon, status="closed")
    assert webcare.mention_assign(mentions=[a, b.pk], assignee=colleague, by=staff) == 2
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.status, a.assignee) == ("assigned", colleague)
    assert (b.status, b.assignee) == ("closed", colleague)
    assert a.engaged_at is not None
    webcare.mention_assign(mentions=[a], assignee=None, by=staff)
    a.refresh_from_db()
    assert (a.status, a.assignee) == ("new", None)


def test_only_staff_assign_and_only_to_staff(mastodon, staff, member):
    m = mention(mastodon)
    with pytest.raises(PermissionDenied):
        webcare.mention_assign(mentions=[m], assignee=staff, by=member)
    with pytest.raises(ValidationError):
        webcare.mention_assign(mentions=[m], assignee=member, by=staff)
    with pytest.raises(ValidationError):
        webcare.mention_assign(mentions=list(range(1, 502)), assignee=staff, by=staff)


def test_close_ignore_and_reopen(mastodon, staff):
    a, b = mention(mastodon), mention(mastodon, assignee=staff, status="assigned")
    assert webcare.mention_set_status(mentions=[a, b], status="closed", by=staff) == 2
    assert set(Mention.objects.values_list("status", flat=True)) == {"closed"}
    assert webcare.mention_set_status(mentions=[a, b], status="new", by=staff) == 2
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.status, b.status) == ("new", "assigned")
    with pytest.raises(ValidationError):
        webcare.mention_set_status(mentions=[a], status="responded", by=staff)


# --- replies --------------------------------------------------------------------


def test_a_reply_records_who_when_what_and_the_first_response_once(mastodon, staff):
    m = mention(mastodon)
    Mention.objects.filter(pk=m.pk).update(
        fetched_at=timezone.now() - timedelta(minutes=30)
    )
    m.refresh_from_db()
    reply = webcare.reply_record(
        mention=m, by=staff, text=" Thanks, we are on it! ", channel="manual"
    )
    assert (reply.text, reply.replied_by, reply.channel) == (
        "Thanks, we are on it!",
        staff,
        "manual",
    )
    m.refresh_from_db()
    assert m.status == "responded"
    assert m.assignee == staff
    assert 29 * 60 <= m.first_response_seconds <= 31 * 60
    first = m.first_response_at
    webcare.reply_record(mention=m, by=staff, text="One more thing", channel="manual")
    m.refresh_from_db()
    assert m.first_response_at == first
    assert MentionReply.objects.count() == 2
    assert sla_state(m) == "met"


def test_bad_replies_are_refused(mastodon, staff, member):
    m = mention(mastodon)
    with pytest.raises(ValidationError):
        webcare.reply_record(mention=m, by=staff, text="  ", channel="manual")
    with pytest.raises(ValidationError):
        webcare.reply_record(mention=m, by=staff, text="x" * 5001, channel="manual")
    with pytest.raises(ValidationError):
        webcare.reply_record(mention=m, by=staff, text="ok", channel="pigeon")
    with pytest.raises(PermissionDenied):
        webcare.reply_record(mention=m, by=member, text="ok", channel="manual")
    assert not MentionReply.objects.exists()


# --- links and closing the loop -------------------------------------------------


@pytest.fixture
def idea(home, member):
    return idea_submit(
        author=member,
        title="A weekly usage graph",
        body="Show my usage per week so I can compare.",
    )


def test_linking_is_idempotent_and_moves_the_status(mastodon, staff, idea):
    m = mention(mastodon)
    link = webcare.mention_link(mention=m, by=staff, idea=idea)
    assert webcare.mention_link(mention=m, by=staff, idea=idea) == link
    m.refresh_from_db()
    assert m.status == "linked"
    assert idea.social_links.count() == 1
    with pytest.raises(ValidationError):
        webcare.mention_link(mention=m, by=staff)


def test_a_status_change_prompts_the_linker_to_close_the_loop(
    mastodon, staff, idea, django_capture_on_commit_callbacks
):
    from portal.notifications.models import Notification

    m = mention(mastodon)
    link = webcare.mention_link(mention=m, by=staff, idea=idea)
    assert webcare.loop_prompt(idea=idea, to_status="launched") == 1
    note = Notification.objects.get(recipient=staff, kind="listening.close_loop")
    assert "A weekly usage graph" in note.title
    assert str(idea.pk) in note.url
    link.refresh_from_db()
    assert (link.loop_status, link.loop_closed_at) == ("launched", None)
    webcare.loop_close(link=link, by=staff, text="It is live now!", channel="manual")
    link.refresh_from_db()
    assert link.loop_closed_at is not None
    assert MentionReply.objects.get().kind == "loop"
    # Once closed, a later change prompts nobody for that link.
    assert webcare.loop_prompt(idea=idea, to_status="declined") == 0


def test_an_invitation_moves_the_mention_to_invited(mastodon, staff):
    m = mention(mastodon, sentiment_score=0.4)
    consent.invitation_offer(mention=m, user=staff)
    m.refresh_from_db()
    assert m.status == "invited"


# --- the inbox filters ----------------------------------------------------------


def test_the_inbox_shows_what_waits_by_default_soonest_due_first(mastodon, staff):
    now = timezone.now()
    later = mention(mastodon, due_at=now + timedelta(hours=5))
    sooner = mention(mastodon, due_at=now + timedelta(minutes=5))
    mention(mastodon, status="closed")
    form = InboxFilterForm({})
    assert form.is_valid()
    assert list(inbox_queryset(form.cleaned_data)) == [sooner, later]
    form = InboxFilterForm({"status": ["all"], "sort": "-due"})
    assert form.is_valid()
    assert len(inbox_queryset(form.cleaned_data)) == 3


def test_inbox_filters(mastodon, staff):
    now = timezone.now()
    mine = mention(mastodon, assignee=staff, status="assigned", intent="complaint")
    overdue = mention(mastodon, due_at=now - timedelta(minutes=1), language="nl")
    lead = mention(mastodon, is_lead=True, influence=70)

    def run(**params):
        form = InboxFilterForm(params, user=staff)
        assert form.is_valid(), form.errors
        return list(inbox_queryset(form.cleaned_data, user=staff))

    assert run(assignee="me") == [mine]
    assert set(run(assignee="none")) == {overdue, lead}
    assert run(overdue=True) == [overdue]
    assert run(language="nl") == [overdue]
    assert run(intent="complaint") == [mine]
    assert run(lead=True) == [lead]
    assert run(influence=50) == [lead]
    tracker = Tracker.objects.get()
    lead.trackers.add(tracker)
    assert run(tracker=tracker.pk) == [lead]
    assert not InboxFilterForm({"sort": "password"}).is_valid()
    assert not InboxFilterForm({"assignee": "drop table"}).is_valid()


# --- settings -------------------------------------------------------------------


def test_invitation_texts_must_carry_the_invite_and_optout_links(home):
    cfg = webcare.webcare_settings()
    cfg.invite_text_en = "Join us at {invite_url}"
    with pytest.raises(ValidationError) as error:
        cfg.full_clean()
    assert "invite_text_en" in error.value.message_dict
    cfg.invite_text_en = "Join {invite_url} or stop {optout_url} {oops}"
    with pytest.raises(ValidationError):
        cfg.full_clean()
    cfg.invite_text_en = "Hi {handle}: {invite_url} (stop: {optout_url})"
    cfg.full_clean()


def test_defaults_follow_the_issue(home):
    cfg = WebcareSettings()
    assert (cfg.sla_complaint, cfg.sla_question, cfg.sla_other) == (60, 1440, 1440)
    assert cfg.invite_max_per_person == 1


def test_the_guidelines_page_is_for_staff_only(home, client, member):
    from listening.pages import WebcareGuidelinesPage

    page = WebcareGuidelinesPage(
        title="Webcare guidelines", slug="webcare", body="<p>Be kind.</p>"
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    assert client.get(page.url).status_code == 404
    client.force_login(member)
    assert client.get(page.url).status_code == 404
    client.force_login(StaffFactory(username="care"))
    response = client.get(page.url)
    assert response.status_code == 200
    assert "Be kind." in response.content.decode()


def test_drafts_are_exported_and_erased_with_the_account(member):
    from listening.models import ContributionDraft, Person
    from portal.accounts.services import user_data_export, user_erase

    person = Person.objects.create(user=member)
    ContributionDraft.objects.create(
        owner=member, kind="idea", title="Dark mode", body="Please"
    )
    data = user_data_export(user=member)
    assert data["listening"]["drafts"][0]["title"] == "Dark mode"
    assert data["listening"]["joined_through_an_invitation"] is True
    user_erase(user=member)
    assert not ContributionDraft.objects.exists()
    person.refresh_from_db()
    assert person.user is None


def test_staff_edit_the_webcare_settings_in_the_admin(home, client):
    from listening.webcare import webcare_settings

    client.force_login(StaffFactory(username="lead", is_superuser=True))
    cfg = webcare_settings()
    url = f"/admin/settings/listening/webcaresettings/{cfg.site_id}/"
    response = client.get(url)
    assert response.status_code == 200
    assert "invite_text_nl" in response.content.decode()


def test_a_response_target_is_at_least_a_minute(home):
    cfg = webcare.webcare_settings()
    cfg.sla_complaint = 0
    with pytest.raises(ValidationError) as error:
        cfg.full_clean()
    assert "sla_complaint" in error.value.message_dict


def test_the_guidelines_page_stays_out_of_public_search(home, client):
    from listening.pages import WebcareGuidelinesPage

    page = WebcareGuidelinesPage(
        title="Webcare guidelines",
        slug="webcare",
        intro="Internal: how we answer angry customers",
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    response = client.get("/en/search/", {"q": "webcare"})
    assert response.status_code == 200
    assert "angry customers" not in response.content.decode()
    assert "Webcare guidelines" not in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"assignee": "²"},
        {"assignee": "9" * 25},
        {"idea": "9" * 25},
        {"assignee": "-1"},
    ],
)
def test_odd_ids_in_the_inbox_filters_are_errors_not_crashes(params, staff):
    form = InboxFilterForm(params, user=staff)
    assert not form.is_valid()


@pytest.mark.parametrize("params", ["assignee=%C2%B2", "idea=" + "9" * 25])
def test_the_inbox_and_the_api_answer_odd_ids_without_a_500(client, staff, params):
    client.force_login(staff)
    assert client.get(f"/admin/listening/inbox/?{params}").status_code == 400
    assert client.get(f"/api/v1/mentions/?{params}").status_code == 400


def test_db_id():
    from portal.core.text import db_id

    assert [db_id(v) for v in ("12", " 7 ", 5, "²", "1" * 19, "0", True, None)] == [
        12,
        7,
        5,
        None,
        None,
        None,
        None,
        None,
    ]


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_default_invitation_fits_a_bluesky_reply(settings, staff, language):
    settings.WAGTAILADMIN_BASE_URL = "https://community.vonk-energie.nl"
    bluesky = Source.objects.create(name="Bluesky", kind="bluesky")
    m = Mention.objects.create(
        source=bluesky,
        external_id="at://did:plc:x/app.bsky.feed.post/1",
        author_handle="annabelle.bsky.social",
        text="Vonk should add a weekly usage graph",
        language=language,
        sentiment_score=0.3,
        cluster_key="bsky1",
    )
    invitation = consent.invitation_offer(mention=m, user=staff)
    assert "/invite/" in invitation.reply_text
    assert len(invitation.reply_text) <= 300
