"""Mentions nobody engaged with expire after LISTENING_RETENTION_DAYS: their
author data is pseudonymised, or they are deleted, as configured."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from listening import privacy, services, tasks
from listening.apps import retention_settings_check
from listening.connectors import RawMention
from listening.models import Mention, MentionCorrection, Source, Tracker

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 3, 20, tzinfo=UTC)


@pytest.fixture
def vonk():
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


@pytest.fixture
def mastodon():
    return Source.objects.create(
        name="Mastodon", kind="mastodon", url="https://mastodon.test/"
    )


@pytest.fixture
def forum():
    return Source.objects.create(name="Forum", kind="rss", url="https://forum.test/")


def store(source, n, *, author="@sanne@mastodon.social", days_old=91, raw=None):
    """Store one mention the way a poll does, fetched `days_old` days ago."""
    services.mention_upsert_batch(
        source=source,
        raw_mentions=[
            RawMention(
                external_id=f"{source.pk}-{n}",
                text=f"Vonk helped me with my meter reading, post {n}",
                url=f"https://mastodon.test/@sanne/{n}",
                author_handle=author,
                author_name="Sanne de Vries",
                author_url="https://mastodon.test/@sanne",
                author_followers=120,
                raw=raw
                if raw is not None
                else {
                    "id": str(n),
                    "uri": f"https://mastodon.test/users/sanne/statuses/{n}",
                    "url": f"https://mastodon.test/@sanne/{n}",
                    "reblogs_count": 3,
                    "favourites_count": 7,
                    "replies_count": 1,
                },
            )
        ],
    )
    mention = Mention.objects.get(source=source, external_id=f"{source.pk}-{n}")
    Mention.objects.filter(pk=mention.pk).update(
        fetched_at=NOW - timedelta(days=days_old)
    )
    mention.refresh_from_db()
    return mention


def test_only_mentions_past_the_retention_period_expire(mastodon, vonk):
    young = store(mastodon, 1, days_old=89)
    old = store(mastodon, 2, days_old=91)

    counts = privacy.mentions_expire(now=NOW)

    assert counts["pseudonymised"] == 1
    assert counts["deleted"] == 0
    young.refresh_from_db()
    old.refresh_from_db()
    assert young.pseudonymised_at is None
    assert young.author_handle == "@sanne@mastodon.social"
    assert old.pseudonymised_at == NOW


def test_retention_days_come_from_settings(mastodon, vonk, settings):
    settings.LISTENING_RETENTION_DAYS = 30
    recent = store(mastodon, 1, days_old=31)
    privacy.mentions_expire(now=NOW)
    recent.refresh_from_db()
    assert recent.pseudonymised_at == NOW


def test_pseudonymising_keeps_the_post_but_not_who_wrote_it(mastodon, vonk):
    mention = store(mastodon, 1)
    text, cluster, influence = mention.text, mention.cluster_key, mention.influence

    privacy.mentions_expire(now=NOW)

    mention.refresh_from_db()
    assert mention.author_handle.startswith("anon-")
    assert len(mention.author_handle) == len("anon-") + 12
    assert mention.author_name == ""
    assert mention.author_url == ""
    assert mention.author_followers is None
    assert mention.url == ""  # post links carry the handle
    assert mention.raw == {
        "reblogs_count": 3,
        "favourites_count": 7,
        "replies_count": 1,
    }
    assert "sanne" not in str(mention.raw).lower()
    # What reports need stays.
    assert (mention.text, mention.cluster_key, mention.influence) == (
        text,
        cluster,
        influence,
    )
    assert list(mention.trackers.all()) == [vonk]


def test_raw_without_counts_becomes_empty(forum, vonk):
    mention = store(forum, 1, raw={"id": "x", "link": "https://forum.test/p/1"})
    privacy.mentions_expire(now=NOW)
    mention.refresh_from_db()
    assert mention.raw == {}


def test_engaged_mentions_never_expire(mastodon, vonk):
    engaged = store(mastodon, 1, days_old=400)
    privacy.mention_engage(engaged)

    counts = privacy.mentions_expire(now=NOW)

    assert counts["pseudonymised"] == 0
    engaged.refresh_from_db()
    assert engaged.author_handle == "@sanne@mastodon.social"
    assert engaged.pseudonymised_at is None


def test_engaging_twice_keeps_the_first_time(mastodon, vonk):
    mention = store(mastodon, 1)
    privacy.mention_engage(mention, now=NOW - timedelta(days=1))
    privacy.mention_engage(mention, now=NOW)
    mention.refresh_from_db()
    assert mention.engaged_at == NOW - timedelta(days=1)


def test_pseudonym_is_stable_across_runs_and_sources(mastodon, forum, vonk):
    first = store(mastodon, 1, author="@Sanne@mastodon.social", days_old=100)
    privacy.mentions_expire(now=NOW - timedelta(days=5))
    # A later run, another source, the same author written another way.
    second = store(forum, 1, author="sanne@mastodon.social", days_old=95)
    other = store(forum, 2, author="@joost@mastodon.social", days_old=95)
    privacy.mentions_expire(now=NOW)

    first.refresh_from_db()
    second.refresh_from_db()
    other.refresh_from_db()
    assert first.author_handle == second.author_handle
    assert first.author_handle == privacy.handle_pseudonym("sanne@mastodon.social")
    assert other.author_handle.startswith("anon-")
    assert other.author_handle != first.author_handle


def test_a_second_run_changes_nothing(mastodon, vonk):
    store(mastodon, 1)
    store(mastodon, 2, author="")
    assert privacy.mentions_expire(now=NOW)["pseudonymised"] == 2
    before = list(Mention.objects.values_list("pk", "author_handle", "raw", "url"))

    again = privacy.mentions_expire(now=NOW + timedelta(hours=1))

    assert again["pseudonymised"] == 0
    assert again["batches"] == 0
    assert list(Mention.objects.values_list("pk", "author_handle", "raw", "url")) == (
        before
    )
    # A mention without an author stays without one.
    assert Mention.objects.filter(author_handle="").count() == 1


def test_two_runs_acting_on_the_same_batch_pseudonymise_each_row_once(mastodon, vonk):
    """Two workers that read the same batch before either wrote: the second
    one's conditional UPDATE matches nothing, so no handle is hashed twice."""
    mention = store(mastodon, 1)
    cutoff = NOW - timedelta(days=settings.LISTENING_RETENTION_DAYS)
    batch = [mention.pk]

    assert privacy._pseudonymise(batch, cutoff, NOW) == 1
    handle = Mention.objects.get(pk=mention.pk).author_handle
    assert privacy._pseudonymise(batch, cutoff, NOW + timedelta(minutes=1)) == 0

    mention.refresh_from_db()
    assert mention.author_handle == handle
    assert mention.pseudonymised_at == NOW


def test_a_mention_engaged_during_the_run_is_left_alone(mastodon, vonk):
    mention = store(mastodon, 1)
    cutoff = NOW - timedelta(days=settings.LISTENING_RETENTION_DAYS)
    batch = [mention.pk]  # read by the expiry run ...
    privacy.mention_engage(mention)  # ... then staff replied

    assert privacy._pseudonymise(batch, cutoff, NOW) == 0
    mention.refresh_from_db()
    assert mention.author_handle == "@sanne@mastodon.social"


def test_small_batches_cover_every_expired_mention(mastodon, forum, vonk):
    for n in range(5):
        store(mastodon, n, author=f"@user{n}@mastodon.test")
        store(forum, n, author=f"@user{n}@mastodon.test", days_old=10)

    counts = privacy.mentions_expire(now=NOW, batch_size=2)

    assert counts["pseudonymised"] == 5
    assert counts["batches"] == 3
    assert Mention.objects.filter(pseudonymised_at__isnull=True).count() == 5


def test_delete_action_deletes_mentions_with_their_links(
    mastodon, vonk, settings, staff
):
    settings.LISTENING_RETENTION_ACTION = "delete"
    old = store(mastodon, 1)
    kept = store(mastodon, 2, days_old=89)
    through = Mention.trackers.through
    assert through.objects.filter(mention_id=old.pk).exists()

    counts = privacy.mentions_expire(now=NOW)

    assert counts == {
        "action": "delete",
        "cutoff": (NOW - timedelta(days=90)).isoformat(),
        "batches": 1,
        "pseudonymised": 0,
        "deleted": 1,
    }
    assert list(Mention.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not through.objects.filter(mention_id=old.pk).exists()
    assert privacy.mentions_expire(now=NOW)["deleted"] == 0


def test_delete_action_keeps_engaged_mentions_and_their_corrections(
    mastodon, vonk, settings, staff
):
    settings.LISTENING_RETENTION_ACTION = "delete"
    mention = store(mastodon, 1, days_old=200)
    MentionCorrection.objects.create(
        mention=mention, field="intent", previous="other", value="praise"
    )
    privacy.mention_engage(mention)

    assert privacy.mentions_expire(now=NOW)["deleted"] == 0
    assert MentionCorrection.objects.filter(mention=mention).exists()


def test_an_unknown_retention_action_fails_loudly(settings, mastodon, vonk):
    store(mastodon, 1)
    settings.LISTENING_RETENTION_ACTION = "anonymise"

    errors = retention_settings_check()
    assert [e.id for e in errors] == ["listening.E001"]
    assert "listening.E001" in {e.id for e in checks.run_checks()}
    with pytest.raises(ImproperlyConfigured):
        privacy.mentions_expire(now=NOW)
    assert Mention.objects.filter(pseudonymised_at__isnull=True).count() == 1


def test_retention_days_below_one_fail_the_check(settings):
    settings.LISTENING_RETENTION_DAYS = 0
    assert [e.id for e in retention_settings_check()] == ["listening.E002"]


def test_the_default_settings_pass_the_check():
    assert retention_settings_check() == []


def test_the_task_runs_the_expiry(mastodon, vonk):
    store(mastodon, 1, days_old=10_000)
    result = tasks.expire_mentions.apply().get()
    assert result["pseudonymised"] == 1
    assert tasks.expire_mentions.acks_late is True


def test_beat_runs_the_expiry_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["listening-expire-mentions"]
    assert entry["task"] == "listening.expire_mentions"
    assert entry["schedule"].hour == {3}
    assert entry["schedule"].minute == {20}


def test_expiry_queries_do_not_grow_with_the_batch(
    mastodon, vonk, django_assert_max_num_queries
):
    for n in range(40):
        store(mastodon, n, author=f"@user{n % 7}@mastodon.test")
    # One read of the batch's ids, one of its rows, one UPDATE, one empty read
    # to end, plus the savepoint.
    with django_assert_max_num_queries(6):
        counts = privacy.mentions_expire(now=NOW)
    assert counts["pseudonymised"] == 40
