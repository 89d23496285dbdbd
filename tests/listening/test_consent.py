"""The consent ledger (listening/consent.py): who may be invited, what each
refusal says, staff overrides, opt-outs that last, and invitation tokens."""

import re
import time
from datetime import timedelta
from itertools import count
from unittest import mock

import pytest
from django.core import signing
from django.utils import timezone

from listening import consent, privacy
from listening.enrichment.sensitivity import is_sensitive, sensitive_topics
from listening.models import (
    ConsentEvent,
    Invitation,
    Mention,
    OptOut,
    Person,
    PersonHandle,
    PrivacyRequest,
    Source,
)
from listening.webcare import webcare_settings

pytestmark = pytest.mark.django_db

SANNE = "@Sanne@mastodon.social"
_ids = count(1)


@pytest.fixture
def mastodon():
    return Source.objects.create(
        name="Mastodon", kind="mastodon", url="https://mastodon.test/"
    )


def mention(source, author=SANNE, text="Vonk should add a weekly usage graph", **kw):
    n = next(_ids)
    kw.setdefault("language", "en")
    kw.setdefault("sentiment_score", 0.3)
    return Mention.objects.create(
        source=source,
        external_id=f"post-{n}",
        author_handle=author,
        text=text,
        cluster_key=f"c{n}",
        **kw,
    )


def kinds(**filters):
    return list(ConsentEvent.objects.filter(**filters).values_list("kind", flat=True))


# --- people and handles ------------------------------------------------------


def test_a_handle_is_stored_only_as_a_keyed_hash(mastodon):
    person = consent.person_for_handle("mastodon", SANNE)
    assert consent.person_for_handle("mastodon", " sanne@Mastodon.Social ") == person
    handle = PersonHandle.objects.get()
    assert handle.handle_hash == privacy.handle_hash(SANNE)
    assert "sanne" not in handle.handle_hash
    with pytest.raises(ValueError):
        consent.person_for_handle("mastodon", " @ ")


def test_linking_two_handles_merges_people_and_keeps_their_history(mastodon, staff):
    invitation = consent.invitation_offer(mention=mention(mastodon), user=staff)
    other = consent.person_for_handle("bluesky", "sanne.bsky.social")
    consent.optout_record(handle="sanne.bsky.social", via="staff")
    assert Person.objects.count() == 2
    person = consent.handles_link(SANNE, "sanne.bsky.social", "mastodon", "bluesky")
    assert Person.objects.count() == 1
    assert not Person.objects.filter(pk=other.pk).exists()
    assert set(person.handles.values_list("network", flat=True)) == {
        "mastodon",
        "bluesky",
    }
    invitation.refresh_from_db()
    assert invitation.person == person
    assert ConsentEvent.objects.filter(person=person).count() == 2
    # Linking again changes nothing.
    assert consent.handles_link("sanne.bsky.social", SANNE) == person


# --- the checks, one by one ----------------------------------------------------


def test_a_fine_post_may_be_invited(mastodon):
    assert consent.invitation_check(mention=mention(mastodon)) is None


def test_opted_out_is_refused_and_cannot_be_overridden(mastodon, staff):
    consent.optout_record(handle=SANNE, via="link")
    m = mention(mastodon)
    refusal = consent.invitation_check(mention=m)
    assert refusal.code == "opted_out"
    assert not refusal.overridable
    assert refusal.message == "This person asked never to be invited."
    result = consent.invitation_offer(mention=m, user=staff, override_reason="Sure")
    assert isinstance(result, consent.Refusal)
    assert result.code == "opted_out"
    assert not Invitation.objects.exists()
    assert kinds() == ["opted_out", "refused"]


def test_an_opt_out_of_another_handle_of_the_person_counts(mastodon):
    consent.handles_link(SANNE, "sanne.bsky.social", "mastodon", "bluesky")
    consent.optout_record(handle="@Sanne.bsky.social", network="bluesky", via="api")
    assert consent.invitation_check(mention=mention(mastodon)).code == "opted_out"


def test_invited_before_is_refused_even_from_another_post_or_handle(mastodon, staff):
    assert isinstance(
        consent.invitation_offer(mention=mention(mastodon), user=staff), Invitation
    )
    again = consent.invitation_offer(mention=mention(mastodon), user=staff)
    assert again.code == "invited_before"
    assert again.message == "This person has been invited before."
    consent.handles_link(SANNE, "sanne.bsky.social")
    bluesky = Source.objects.create(name="Bluesky", kind="bluesky")
    refusal = consent.invitation_check(
        mention=mention(bluesky, author="sanne.bsky.social")
    )
    assert refusal.code == "invited_before"


def test_the_maximum_per_person_is_a_site_setting(mastodon, staff, webcare):
    webcare(invite_max_per_person=2, invite_cooldown_days=0)
    for _ in range(2):
        result = consent.invitation_offer(mention=mention(mastodon), user=staff)
        assert isinstance(result, Invitation)
    result = consent.invitation_offer(mention=mention(mastodon), user=staff)
    assert result.code == "invited_before"


@pytest.mark.parametrize(
    ("text", "score", "detail"),
    [
        ("Vonk is the worst company ever", -0.8, "sentiment"),
        ("Vonk billed me after my father passed away", 0.0, "death"),
        ("Het incassobureau van Vonk belt elke dag", 0.1, "debt"),
    ],
)
def test_sensitive_posts_are_refused(mastodon, text, score, detail):
    refusal = consent.invitation_check(
        mention=mention(mastodon, text=text, sentiment_score=score)
    )
    assert refusal.code == "sensitive"
    assert refusal.overridable
    assert detail in refusal.detail


def test_the_sentiment_floor_is_a_site_setting(mastodon, webcare):
    m = mention(mastodon, sentiment_score=-0.6)
    assert consent.invitation_check(mention=m).code == "sensitive"
    webcare(sentiment_floor=-0.9)
    assert consent.invitation_check(mention=m) is None


def test_a_second_invitation_waits_for_the_cooldown(mastodon, staff, webcare):
    webcare(invite_max_per_person=2, invite_cooldown_days=30)
    assert isinstance(
        consent.invitation_offer(mention=mention(mastodon), user=staff), Invitation
    )
    refusal = consent.invitation_offer(mention=mention(mastodon), user=staff)
    assert (refusal.code, refusal.detail) == ("invited_before", "cooldown")
    Invitation.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert isinstance(
        consent.invitation_offer(mention=mention(mastodon), user=staff), Invitation
    )


def test_extra_sensitive_words_from_the_site_settings(mastodon, webcare):
    m = mention(mastodon, text="Vonk, mijn faillissement loopt nog", sentiment_score=0)
    assert consent.invitation_check(mention=m) is None
    webcare(sensitive_terms="faillissement\nbankroet")
    refusal = consent.invitation_check(mention=m)
    assert (refusal.code, refusal.detail) == ("sensitive", "custom")


def test_sensitive_subjects_can_be_switched_off_but_not_the_floor(mastodon, webcare):
    webcare(block_sensitive_topics=False)
    about_death = mention(mastodon, text="Vonk billed me after my father passed away")
    assert consent.invitation_check(mention=about_death) is None
    angry = mention(mastodon, sentiment_score=-0.9)
    assert consent.invitation_check(mention=angry).code == "sensitive"


def test_the_drafted_text_comes_from_the_site_settings(mastodon, staff, webcare):
    webcare(invite_text_en="Hey {handle}! Join us: {invite_url} / stop: {optout_url}")
    invitation = consent.invitation_offer(mention=mention(mastodon), user=staff)
    assert invitation.reply_text.startswith("Hey @")
    assert "/optout/" in invitation.reply_text


def test_staff_override_a_sensitive_refusal_with_a_recorded_reason(
    mastodon, staff, member
):
    m = mention(
        mastodon, text="My mother died and Vonk still helped", sentiment_score=0.2
    )
    assert consent.invitation_offer(mention=m, user=staff).code == "sensitive"
    # A reason is required, and only staff may override.
    assert consent.invitation_offer(
        mention=m, user=staff, override_reason="  "
    ).code == ("sensitive")
    assert (
        consent.invitation_offer(mention=m, user=member, override_reason="ok").code
        == "sensitive"
    )
    invitation = consent.invitation_offer(
        mention=m, user=staff, override_reason="She thanked us; a kind invite is fine"
    )
    assert isinstance(invitation, Invitation)
    assert invitation.override_reason == "She thanked us; a kind invite is fine"
    override = ConsentEvent.objects.get(kind="override")
    assert override.actor == staff
    assert override.invitation == invitation
    assert "death" in override.reason and "kind invite" in override.reason
    assert kinds() == ["refused", "refused", "refused", "override", "offered"]


def test_a_mention_without_author_is_refused(mastodon, staff):
    m = mention(mastodon, author="")
    assert consent.invitation_check(mention=m).code == "no_author"
    # Even an override cannot invite nobody.
    sad = mention(mastodon, author="", text="grief", sentiment_score=-0.9)
    result = consent.invitation_offer(mention=sad, user=staff, override_reason="x")
    assert result.code == "no_author"
    assert not Invitation.objects.exists()


def test_an_expired_pseudonymised_mention_has_no_author(mastodon):
    m = mention(mastodon, author=privacy.handle_pseudonym(SANNE))
    Mention.objects.filter(pk=m.pk).update(pseudonymised_at=timezone.now())
    m.refresh_from_db()
    assert consent.invitation_check(mention=m).code == "no_author"


def test_checks_run_in_order(mastodon, staff):
    m = mention(mastodon, text="grief", sentiment_score=-0.9)
    assert consent.invitation_check(mention=m).code == "sensitive"
    consent.invitation_offer(mention=mention(mastodon), user=staff)
    assert consent.invitation_check(mention=m).code == "invited_before"
    consent.optout_record(handle=SANNE, via="staff")
    assert consent.invitation_check(mention=m).code == "opted_out"


# --- the offer ----------------------------------------------------------------


def test_an_offer_drafts_a_reply_with_invite_and_opt_out_links(mastodon, staff):
    m = mention(mastodon)
    invitation = consent.invitation_offer(mention=m, user=staff)
    assert invitation.status == "offered"
    assert invitation.offered_by == staff
    assert invitation.language == "en"
    # The token in the text leads back to this invitation (it carries the
    # time it was signed, so it is not compared character for character).
    token = re.search(r"/en/invite/([^/\s]+)/", invitation.reply_text).group(1)
    assert consent.invitation_from_token(token) == (invitation, "")
    assert "/en/optout/" in invitation.reply_text
    assert invitation.reply_text.startswith("Hi @sanne,")
    assert invitation.handle_hash == privacy.handle_hash(SANNE)
    assert len(invitation.nonce) == 32
    m.refresh_from_db()
    assert m.engaged_at is not None  # kept past retention
    assert kinds() == ["offered"]


def test_a_dutch_post_gets_a_dutch_draft(mastodon, staff):
    m = mention(mastodon, text="Vonk zou een grafiek moeten tonen", language="nl")
    invitation = consent.invitation_offer(mention=m, user=staff)
    assert invitation.reply_text.startswith("Hoi @sanne,")
    assert "/nl/invite/" in invitation.reply_text
    assert "/nl/optout/" in invitation.reply_text


def test_an_offer_takes_a_bounded_number_of_queries(
    mastodon, staff, django_assert_max_num_queries
):
    m = Mention.objects.select_related("source").get(pk=mention(mastodon).pk)
    webcare_settings()  # the site's settings row exists from the first use on
    with django_assert_max_num_queries(19):
        consent.invitation_offer(mention=m, user=staff)


# --- opt-outs -------------------------------------------------------------------


def test_an_opt_out_is_idempotent_and_the_same_for_unknown_handles(mastodon):
    assert consent.optout_record(handle="nobody@nowhere.test", via="api") is None
    consent.person_for_handle("mastodon", SANNE)
    assert consent.optout_record(handle=SANNE, network="mastodon", via="link") is None
    assert consent.optout_record(handle=SANNE, via="link") is None
    assert OptOut.objects.count() == 2
    assert kinds() == ["opted_out", "opted_out"]
    with pytest.raises(ValueError):
        consent.optout_record(handle="", via="api")


def test_an_opt_out_ends_open_invitations(mastodon, staff):
    invitation = consent.invitation_offer(mention=mention(mastodon), user=staff)
    consent.optout_record(handle=SANNE, via="link")
    invitation.refresh_from_db()
    assert invitation.status == "opted_out"
    token = consent.invitation_token(invitation)
    assert consent.invitation_from_token(token) == (None, "used")


def test_opt_outs_survive_erasure_and_retention(mastodon, staff, settings):
    invitation = consent.invitation_offer(mention=mention(mastodon), user=staff)
    consent.optout_record(handle=SANNE, via="link")
    mention(mastodon, author="someone@else.test")
    privacy.handle_erase(handle=SANNE)
    settings.LISTENING_RETENTION_DAYS = 0
    settings.LISTENING_RETENTION_ACTION = "delete"
    privacy.mentions_expire(now=timezone.now() + timedelta(days=1))
    assert not Mention.objects.exists()
    assert PrivacyRequest.objects.filter(kind="erase").count() == 1
    assert OptOut.objects.filter(handle_hash=privacy.handle_hash(SANNE)).exists()
    invitation.refresh_from_db()
    assert invitation.mention is None
    assert invitation.reply_text == ""  # the draft named the handle
    assert ConsentEvent.objects.count() == 2
    # A re-import of the same person's posts is still refused.
    assert consent.invitation_check(mention=mention(mastodon)).code == "opted_out"


# --- tokens and steps -------------------------------------------------------------


@pytest.fixture
def invitation(mastodon, staff):
    return consent.invitation_offer(mention=mention(mastodon), user=staff)


def test_a_valid_token_finds_its_invitation(invitation):
    found, reason = consent.invitation_from_token(consent.invitation_token(invitation))
    assert (found, reason) == (invitation, "")


@pytest.mark.parametrize(
    "token",
    ["", "not-a-token", "eyJpIjoxfQ:1abc:forged", "a" * 500],
)
def test_a_forged_token_grants_nothing(invitation, token):
    assert consent.invitation_from_token(token) == (None, "forged")


def test_a_token_signed_for_something_else_is_forged(invitation):
    other = signing.TimestampSigner(salt="other").sign(
        f"{invitation.pk}.{invitation.nonce}"
    )
    assert consent.invitation_from_token(other) == (None, "forged")


def test_a_token_with_the_wrong_nonce_is_unknown(invitation):
    signer = signing.TimestampSigner(salt=consent.INVITATION_SALT)
    token = signer.sign(f"{invitation.pk}.{'0' * 32}")
    assert consent.invitation_from_token(token) == (None, "unknown")
    token = signer.sign(f"{10**9}.{invitation.nonce}")
    assert consent.invitation_from_token(token) == (None, "unknown")
    # Signed, but not an invitation's shape.
    assert consent.invitation_from_token(signer.sign("x.y")) == (None, "forged")


def test_the_token_is_short_enough_for_a_bluesky_reply(invitation):
    assert len(consent.invitation_token(invitation)) <= 90


def test_an_expired_token_grants_nothing(invitation):
    token = consent.invitation_token(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert consent.invitation_from_token(token) == (None, "expired")
    # The signature's own age limit applies too (a token older than any
    # validity the settings allow).
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    with mock.patch("time.time", return_value=time.time() - 400 * 86400):
        old_token = consent.invitation_token(invitation)
    assert consent.invitation_from_token(old_token) == (None, "expired")


def test_steps_are_recorded_once_and_a_used_token_grants_nothing(invitation):
    token = consent.invitation_token(invitation)
    assert consent.invitation_open(invitation)
    assert not consent.invitation_open(invitation)
    assert consent.invitation_decline(invitation)
    assert not consent.invitation_decline(invitation)
    assert not consent.invitation_optout(invitation)
    assert consent.invitation_from_token(token) == (None, "used")
    invitation.refresh_from_db()
    assert invitation.status == "declined"
    assert invitation.opened_at and invitation.declined_at
    assert kinds(invitation=invitation) == ["offered", "opened", "declined"]


def test_never_ask_again_opts_out_every_handle_of_the_person(invitation, mastodon):
    consent.handles_link(SANNE, "sanne.bsky.social")
    assert consent.invitation_optout(invitation)
    assert OptOut.objects.count() == 2
    assert kinds(invitation=invitation) == ["offered", "opted_out"]
    assert consent.invitation_check(mention=mention(mastodon)).code == "opted_out"


# --- the sensitivity word list (a pure function) --------------------------------


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("My dad passed away last week", ["death"]),
        ("Mijn moeder is overleden", ["death"]),
        ("Still grieving, and your app logs me out", ["grief"]),
        ("Gecondoleerd met je verlies", ["grief"]),
        ("I was diagnosed with cancer in May", ["illness"]),
        ("ik lig in het ziekenhuis", ["illness"]),
        ("thinking about suicide", ["suicide"]),
        ("Sorry, zelfmoordgedachten", ["suicide"]),
        ("A debt collector keeps calling", ["debt"]),
        ("de deurwaarder stond voor de deur", ["debt"]),
        ("Going through a divorce, need to split the contract", ["divorce"]),
        ("Na de echtscheiding wil ik het contract splitsen", ["divorce"]),
        ("The funeral of my mother was cancer-related", ["illness", "death"]),
    ],
)
def test_sensitive_topics_in_english_and_dutch(text, topics):
    assert sensitive_topics(text) == topics
    assert is_sensitive(text)


@pytest.mark.parametrize(
    "text",
    [
        "Great coffee, Vonk!",
        "Deadline today, the meter reading app is slow",
        "De dieselprijs is hoog",
        "Ik wil een grafiek van mijn verbruik",
        "",
    ],
)
def test_ordinary_posts_are_not_sensitive(text):
    assert sensitive_topics(text) == []
    assert not is_sensitive(text)


def test_never_ask_again_ends_the_persons_other_open_invitations(
    mastodon, staff, webcare
):
    webcare(invite_max_per_person=2, invite_cooldown_days=0)
    first = consent.invitation_offer(mention=mention(mastodon), user=staff)
    second = consent.invitation_offer(mention=mention(mastodon), user=staff)
    assert consent.invitation_optout(first)
    second.refresh_from_db()
    assert second.status == "opted_out"
    token = consent.invitation_token(second)
    assert consent.invitation_from_token(token) == (None, "used")


def test_people_invited_apart_and_linked_later_are_not_invited_again(mastodon, staff):
    bluesky = Source.objects.create(name="Bluesky", kind="bluesky")
    consent.invitation_offer(mention=mention(mastodon), user=staff)
    consent.invitation_offer(
        mention=mention(bluesky, author="sanne.bsky.social"), user=staff
    )
    person = consent.handles_link(SANNE, "sanne.bsky.social")
    assert person.invitations.count() == 2  # both happened before the link
    again = consent.invitation_offer(
        mention=mention(bluesky, author="sanne.bsky.social"), user=staff
    )
    assert again.code == "invited_before"


@pytest.mark.parametrize("network", ["reddit", ""])
def test_a_reddit_name_typed_without_u_slash_is_opted_out(network):
    reddit = Source.objects.create(name="Reddit", kind="reddit")
    m = mention(reddit, author="u/Kim_Vonkfan")
    consent.optout_record(handle="Kim_Vonkfan", network=network, via="link")
    assert consent.invitation_check(mention=m).code == "opted_out"


def test_an_x_opt_out_does_not_add_a_reddit_form():
    consent.optout_record(handle="kim", network="x", via="link")
    assert OptOut.objects.count() == 1
