"""Anyone may ask for their handle's data to be exported or erased; staff run
it from the admin (Listening → Privacy requests) or the command line."""

import io
import json
import re
import time

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from experts.models import ExpertProfile
from listening import privacy, services
from listening.connectors import RawMention
from listening.imports import mentions_import
from listening.models import (
    Mention,
    MentionCorrection,
    PrivacyRequest,
    Source,
    Tracker,
)
from listening.webhook import webhook_sign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/admin/listening/privacy/"
SECRET = "privacy-test-secret-0123456789abcdefghij"  # noqa: S105
SANNE = "@Sanne@mastodon.social"


@pytest.fixture
def vonk():
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


@pytest.fixture
def mastodon():
    return Source.objects.create(
        name="Mastodon", kind="mastodon", url="https://mastodon.test/"
    )


@pytest.fixture
def hook():
    return Source.objects.create(
        name="Helpdesk push", kind="webhook", config={"secret": SECRET}
    )


def raw(n, author=SANNE, text="Vonk fixed my meter reading in a day"):
    return RawMention(
        external_id=f"post-{n}",
        text=f"{text} ({n})",
        url=f"https://mastodon.test/@sanne/{n}",
        author_handle=author,
        author_name="Sanne de Vries",
        author_url="https://mastodon.test/@sanne",
        author_followers=120,
        raw={"reblogs_count": 2},
    )


@pytest.fixture
def sanne_everywhere(mastodon, hook, vonk):
    """Sanne posted on Mastodon (twice) and through the helpdesk webhook,
    written differently each time; Joost posted once."""
    services.mention_upsert_batch(
        source=mastodon,
        raw_mentions=[raw(1), raw(2, author="sanne@mastodon.social")],
    )
    services.mention_upsert_batch(
        source=hook,
        raw_mentions=[
            raw(3, author="@SANNE@Mastodon.Social "),
            raw(4, author="@joost@mastodon.social"),
        ],
    )
    return Mention.objects.filter(author_handle__icontains="sanne")


# --- handles ---------------------------------------------------------------


def test_one_handle_written_several_ways_normalises_and_hashes_the_same():
    forms = [
        "@Sanne@mastodon.social",
        "sanne@mastodon.social",
        "  @SANNE@Mastodon.Social ",
        "＠sanne@mastodon.social",  # full-width @ (NFKC)
    ]
    assert {privacy.handle_normalise(f) for f in forms} == {"sanne@mastodon.social"}
    assert len({privacy.handle_hash(f) for f in forms}) == 1
    digest = privacy.handle_hash(SANNE)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert privacy.handle_hash("@joost@mastodon.social") != digest
    assert privacy.handle_pseudonym(SANNE)[5:] not in digest  # other key


def test_hash_depends_on_the_secret_key(settings):
    before = privacy.handle_hash(SANNE)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"  # noqa: S105
    assert privacy.handle_hash(SANNE) != before


def test_masked_hints_look_like_this():
    assert privacy.handle_mask(SANNE) == "@sa…@mastodon.social"
    assert privacy.handle_mask("@user1") == "@us…"
    assert privacy.handle_mask("ab") == "@a…"
    assert privacy.handle_mask("x.bsky.social") == "@x.…"
    assert privacy.handle_mask("@a") == "@…"


handle_chars = st.characters(categories=("Ll", "Lu", "Nd"), include_characters="._-")


@given(
    local=st.text(handle_chars, min_size=1, max_size=40),
    domain=st.one_of(st.just(""), st.text(handle_chars, min_size=1, max_size=40)),
    at=st.booleans(),
)
def test_a_masked_hint_never_contains_the_handle(local, domain, at):
    handle = ("@" if at else "") + local + (f"@{domain}" if domain else "")
    normalised = privacy.handle_normalise(handle)
    hint = privacy.handle_mask(handle)
    assert len(hint) <= 64
    shown = hint.partition("…")[0]
    if normalised:
        assert normalised not in hint
        assert privacy.handle_normalise(shown) != normalised.partition("@")[0]


# --- export ----------------------------------------------------------------


def test_export_holds_everything_stored_about_the_author(sanne_everywhere, staff):
    mention = sanne_everywhere.get(external_id="post-1")
    MentionCorrection.objects.create(
        mention=mention,
        field="intent",
        previous="other",
        value="praise",
        corrected_by=staff,
    )

    data = privacy.handle_export(handle="sanne@mastodon.social", user=staff)

    assert json.loads(json.dumps(data)) == data  # JSON-safe
    assert data["count"] == 3
    assert data["handle"] == "@sa…@mastodon.social"
    assert {m["source"]["kind"] for m in data["mentions"]} == {"mastodon", "webhook"}
    first = next(m for m in data["mentions"] if m["external_id"] == "post-1")
    assert first["author_handle"] == SANNE
    assert first["author_name"] == "Sanne de Vries"
    assert first["author_url"] == "https://mastodon.test/@sanne"
    assert first["author_followers"] == 120
    assert first["url"] == "https://mastodon.test/@sanne/1"
    assert first["text"].startswith("Vonk fixed my meter")
    assert first["language"] == "en"
    assert first["fetched_at"]
    assert first["sentiment"]["label"] in ("positive", "neutral", "negative")
    assert first["intent"]
    assert first["trackers"] == ["Vonk"]
    assert first["raw"] == {"reblogs_count": 2}
    assert first["corrections"] == [
        {
            "field": "intent",
            "previous": "other",
            "value": "praise",
            "created_at": first["corrections"][0]["created_at"],
        }
    ]
    assert "joost" not in json.dumps(data)


def test_export_is_logged_without_the_handle(sanne_everywhere, staff):
    privacy.handle_export(handle=SANNE, user=staff, note="ticket 42")
    request = PrivacyRequest.objects.get()
    assert request.kind == "export"
    assert request.mentions == 3
    assert request.handle_hash == privacy.handle_hash(SANNE)
    assert request.handle_hint == "@sa…@mastodon.social"
    assert request.requested_by == staff
    assert request.note == "ticket 42"
    assert "sanne@" not in request.handle_hint.lower()
    assert Mention.objects.count() == 4  # an export changes nothing


def test_export_finds_mentions_that_were_already_pseudonymised(
    sanne_everywhere, settings
):
    from datetime import timedelta

    from django.utils import timezone

    Mention.objects.filter(external_id="post-1").update(
        fetched_at=timezone.now()
        - timedelta(days=settings.LISTENING_RETENTION_DAYS + 1)
    )
    privacy.mentions_expire()
    data = privacy.handle_export(handle=SANNE)
    assert data["count"] == 3
    anon = next(m for m in data["mentions"] if m["external_id"] == "post-1")
    assert anon["author_handle"].startswith("anon-")


def test_export_of_an_empty_handle_is_refused():
    with pytest.raises(ValueError):
        privacy.handle_export(handle=" @ ")
    assert not PrivacyRequest.objects.exists()


# --- erase -----------------------------------------------------------------


def test_erase_removes_the_author_across_sources(sanne_everywhere, staff):
    mention = sanne_everywhere.get(external_id="post-1")
    MentionCorrection.objects.create(
        mention=mention, field="intent", previous="other", value="praise"
    )
    through = Mention.trackers.through

    erased = privacy.handle_erase(handle="sanne@mastodon.social", user=staff)

    assert erased == 3
    assert list(Mention.objects.values_list("author_handle", flat=True)) == [
        "@joost@mastodon.social"
    ]
    assert not MentionCorrection.objects.exists()
    assert through.objects.count() == 1
    request = PrivacyRequest.objects.get()
    assert (request.kind, request.mentions, request.requested_by) == (
        "erase",
        3,
        staff,
    )
    assert request.handle_hash == privacy.handle_hash(SANNE)
    assert "sanne" not in request.handle_hint


def test_erasing_twice_erases_nothing_more(sanne_everywhere):
    assert privacy.handle_erase(handle=SANNE) == 3
    assert privacy.handle_erase(handle=SANNE) == 0
    assert Mention.objects.count() == 1


def test_an_erased_author_stays_out_of_later_fetches(sanne_everywhere, mastodon):
    privacy.handle_erase(handle=SANNE)

    counts = services.mention_upsert_batch(
        source=mastodon,
        raw_mentions=[
            raw(10, author="@sanne@MASTODON.social"),
            raw(11, author="@amira@mastodon.social"),
        ],
    )

    assert counts == {"stored": 1, "duplicates": 0, "unmatched": 1, "suppressed": 1}
    assert not Mention.objects.filter(author_handle__icontains="sanne").exists()
    assert Mention.objects.filter(author_handle="@amira@mastodon.social").exists()


def test_an_export_does_not_suppress_anything(sanne_everywhere, mastodon):
    privacy.handle_export(handle=SANNE)
    counts = services.mention_upsert_batch(source=mastodon, raw_mentions=[raw(10)])
    assert counts == {"stored": 1, "duplicates": 0, "unmatched": 0}


def test_suppression_is_one_query_per_batch(
    sanne_everywhere, mastodon, django_assert_num_queries
):
    privacy.handle_erase(handle=SANNE)
    batch = [raw(n, author=f"@user{n}@mastodon.test") for n in range(20, 60)]
    with django_assert_num_queries(1):
        assert privacy.handles_suppressed(r.author_handle for r in batch) == set()


def test_suppression_survives_a_secret_key_rotation(sanne_everywhere, settings):
    old_key = settings.SECRET_KEY
    privacy.handle_erase(handle=SANNE)
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789abcdef"  # noqa: S105
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert privacy.handles_suppressed([SANNE]) == {SANNE}


def _signed_post(client, source, body):
    body = json.dumps(body).encode()
    timestamp = str(int(time.time()))
    return client.post(
        f"/hooks/listening/{source.pk}/",
        data=body,
        content_type="application/json",
        HTTP_X_SEED_TIMESTAMP=timestamp,
        HTTP_X_SEED_SIGNATURE=webhook_sign(
            secret=SECRET, timestamp=timestamp, body=body
        ),
    )


def test_an_erased_author_stays_out_of_webhook_deliveries(
    client, sanne_everywhere, hook
):
    privacy.handle_erase(handle=SANNE)
    response = _signed_post(
        client,
        hook,
        {
            "mentions": [
                {
                    "id": "ticket-9",
                    "text": "Vonk support fixed my meter in a day",
                    "author": "@sanne@mastodon.social",
                },
                {
                    "id": "ticket-10",
                    "text": "Vonk support fixed my meter in a day too",
                    "author": "@amira@mastodon.social",
                },
            ]
        },
    )
    assert response.status_code == 200
    assert response.json()["stored"] == 1
    assert response.json()["unmatched"] == 1
    assert not Mention.objects.filter(external_id="ticket-9").exists()


def test_an_erased_author_stays_out_of_imports(sanne_everywhere):
    privacy.handle_erase(handle=SANNE)
    csv = (
        b"id,text,author\n"
        b"row-1,Vonk raised my bill again,sanne@mastodon.social\n"
        b"row-2,Vonk raised my bill again?,@amira@mastodon.social\n"
    )

    report = mentions_import(
        source="Upload: generic",
        stream=io.BytesIO(csv),
        format="csv",
        preset="generic",
    )

    assert report.imported == 1
    assert report.unmatched == 1
    assert not Mention.objects.filter(external_id="row-1").exists()


def test_erase_also_removes_pseudonymised_mentions_of_the_author(
    sanne_everywhere, settings
):
    from datetime import timedelta

    from django.utils import timezone

    Mention.objects.update(
        fetched_at=timezone.now()
        - timedelta(days=settings.LISTENING_RETENTION_DAYS + 1)
    )
    privacy.mentions_expire()
    assert not Mention.objects.filter(author_handle__icontains="sanne").exists()

    assert privacy.handle_erase(handle=SANNE) == 3
    assert Mention.objects.count() == 1  # Joost's, pseudonymised


# --- admin -----------------------------------------------------------------


def _expert_client(client):
    user = UserFactory(username="joost-expert")
    ExpertProfile.objects.create(user=user)
    client.force_login(user)
    return client


def test_visitors_are_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_members_cannot_run_privacy_requests(member_client, sanne_everywhere):
    assert member_client.get(URL).status_code in (302, 403)
    response = member_client.post(URL, {"handle": SANNE, "action": "export"})
    assert response.status_code in (302, 403)
    assert not PrivacyRequest.objects.exists()


def test_experts_cannot_run_privacy_requests(client, sanne_everywhere):
    expert = _expert_client(client)
    assert expert.get(URL).status_code in (302, 403)
    response = expert.post(URL, {"handle": SANNE, "action": "erase", "confirm": "on"})
    assert response.status_code in (302, 403)
    assert Mention.objects.count() == 4


def test_admin_users_who_are_not_staff_cannot_erase(client, sanne_everywhere):
    editor = UserFactory(username="editor")
    editor.user_permissions.add(
        Permission.objects.get(
            codename="access_admin", content_type__app_label="wagtailadmin"
        )
    )
    client.force_login(editor)
    response = client.post(URL, {"handle": SANNE, "action": "erase", "confirm": "on"})
    assert response.status_code in (302, 403)
    assert Mention.objects.count() == 4
    assert not PrivacyRequest.objects.exists()


def test_staff_see_the_form_and_the_log(
    staff_client, staff, django_assert_max_num_queries
):
    for n in range(30):
        PrivacyRequest.objects.create(
            kind="erase" if n % 2 else "export",
            handle_hash=privacy.handle_hash(f"@user{n}@mastodon.test"),
            handle_hint=privacy.handle_mask(f"@user{n}@mastodon.test"),
            mentions=n,
            requested_by=staff,
        )
    with django_assert_max_num_queries(10):
        response = staff_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "@us…@mastodon.test" in html
    assert "user1@" not in html
    assert staff.public_name in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "<label" in html and 'for="id_handle"' in html


def test_the_log_page_costs_the_same_with_more_requests(
    staff_client, staff, django_assert_max_num_queries
):
    def fill(count):
        PrivacyRequest.objects.bulk_create(
            PrivacyRequest(
                kind="export",
                handle_hash=f"{n:064x}",
                handle_hint="@us…",
                requested_by=UserFactory(),
            )
            for n in range(count)
        )

    fill(3)
    with django_assert_max_num_queries(10) as few:
        staff_client.get(URL)
    fill(60)
    with django_assert_max_num_queries(10) as many:
        staff_client.get(URL)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_listening_menu_offers_privacy_requests(staff_client):
    assert URL in staff_client.get("/admin/").content.decode()


def test_staff_export_downloads_a_json_file(staff_client, staff, sanne_everywhere):
    response = staff_client.post(
        URL, {"handle": "sanne@mastodon.social", "action": "export", "note": "t-7"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert re.fullmatch(
        r'attachment; filename="listening-export-\d{4}-\d{2}-\d{2}\.json"',
        response["Content-Disposition"],
    )
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["count"] == 3
    assert PrivacyRequest.objects.get().requested_by == staff


def test_staff_preview_shows_what_an_erasure_would_remove(
    staff_client, sanne_everywhere
):
    response = staff_client.post(
        URL, {"handle": SANNE, "action": "erase", "preview": "1"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 mentions by @sa…@mastodon.social are stored." in html
    assert "Mastodon: 2" in html
    assert "Helpdesk push: 1" in html
    assert Mention.objects.count() == 4
    assert not PrivacyRequest.objects.exists()


def test_staff_erase_needs_the_confirmation(staff_client, sanne_everywhere):
    response = staff_client.post(URL, {"handle": SANNE, "action": "erase"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "confirm the erasure" in html
    assert "3 mentions by" in html
    assert Mention.objects.count() == 4
    assert not PrivacyRequest.objects.exists()


def test_staff_erase_with_confirmation(staff_client, staff, sanne_everywhere):
    response = staff_client.post(
        URL,
        {"handle": SANNE, "action": "erase", "confirm": "on", "note": "mail 3 Nov"},
        follow=True,
    )
    assert response.redirect_chain[-1] == (URL, 302)
    html = response.content.decode()
    assert "Erased 3 mentions by @sa…@mastodon.social" in html
    assert Mention.objects.count() == 1
    request = PrivacyRequest.objects.get()
    assert (request.kind, request.mentions, request.requested_by) == (
        "erase",
        3,
        staff,
    )


def test_a_blank_handle_is_refused(staff_client, sanne_everywhere):
    response = staff_client.post(URL, {"handle": " @ ", "action": "export"})
    assert response.status_code == 200
    assert "Enter a handle." in response.content.decode()
    assert not PrivacyRequest.objects.exists()


def test_posts_without_a_csrf_token_are_refused(staff, sanne_everywhere):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(URL, {"handle": SANNE, "action": "erase", "confirm": "on"})
    assert response.status_code == 403
    assert Mention.objects.count() == 4


# --- command line ----------------------------------------------------------


def test_command_exports_to_stdout_and_erases_with_yes(sanne_everywhere, tmp_path):
    out = io.StringIO()
    call_command("listening_privacy", "export", SANNE, stdout=out)
    assert json.loads(out.getvalue())["count"] == 3

    path = tmp_path / "export.json"
    call_command(
        "listening_privacy",
        "export",
        SANNE,
        "--output",
        str(path),
        stderr=io.StringIO(),
    )
    assert json.loads(path.read_text())["count"] == 3

    out = io.StringIO()
    call_command("listening_privacy", "erase", SANNE, "--yes", stdout=out)
    assert "Erased 3 mentions by @sa…@mastodon.social" in out.getvalue()
    assert PrivacyRequest.objects.filter(kind="erase", requested_by=None).count() == 1


def test_command_will_not_erase_without_yes(sanne_everywhere, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    with pytest.raises(CommandError, match="3 mentions by .* would be erased"):
        call_command("listening_privacy", "erase", SANNE)
    assert Mention.objects.count() == 4


def test_command_needs_a_handle():
    with pytest.raises(CommandError):
        call_command("listening_privacy", "export")


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        ("u/Sanne", "/u/sanne"),  # Reddit: how a user is linked
        ("u/Sanne", "U/Sanne"),
        ("@Straße@mastodon.social", "strasse@mastodon.social"),  # case folding
        ("@ｓａｎｎｅ@mastodon.social", "@sanne@mastodon.social"),  # full width
    ],
)
def test_erase_finds_stored_handles_in_any_equivalent_form(
    vonk, mastodon, stored, asked
):
    services.mention_upsert_batch(source=mastodon, raw_mentions=[raw(1, author=stored)])
    assert privacy.handle_erase(handle=asked, user=None) == 1
    assert not Mention.objects.exists()


def test_a_reddit_name_never_matches_the_same_name_elsewhere(vonk, mastodon):
    services.mention_upsert_batch(
        source=mastodon,
        raw_mentions=[raw(1, author="u/sanne"), raw(2, author="@sanne")],
    )
    assert privacy.handle_erase(handle="u/sanne", user=None) == 1
    assert list(Mention.objects.values_list("author_handle", flat=True)) == ["@sanne"]


def test_a_post_stored_by_a_racing_fetch_is_removed_by_the_second_pass(
    vonk, mastodon, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        privacy.handle_erase(handle=SANNE, user=None)
    # A batch that checked suppression before the erasure commits afterwards.
    Mention.objects.create(
        source=mastodon, external_id="late", text="Vonk late post", author_handle=SANNE
    )
    for callback in callbacks:
        callback()  # eager: the sweep runs now (countdown is ignored)
    assert not Mention.objects.filter(external_id="late").exists()
    # Nothing else is touched, and a sweep for an unknown hash does nothing.
    assert privacy.erasure_sweep(hashed="0" * 64) == 0
