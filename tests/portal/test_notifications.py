import pytest
from django.core import mail

from portal.notifications.models import Notification
from portal.notifications.services import (
    notification_digest_deliver,
    notification_send,
    unsubscribe_token_make,
)

pytestmark = pytest.mark.django_db


def test_notification_is_emailed_after_commit(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        n = notification_send(
            recipient=member,
            kind="idea.status",
            title="Your idea is planned",
            url="/x/",
        )
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your idea is planned"
    assert "/notifications/unsubscribe/" in mail.outbox[0].body
    headers = mail.outbox[0].extra_headers
    assert headers["List-Unsubscribe"].startswith("<http")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    n.refresh_from_db()
    assert n.emailed_at is not None


def test_delivering_twice_sends_one_email(member, django_capture_on_commit_callbacks):
    from portal.notifications.services import notification_email_deliver

    with django_capture_on_commit_callbacks(execute=True):
        n = notification_send(recipient=member, kind="k", title="Once")
    assert notification_email_deliver(notification_id=n.pk) is False
    assert len(mail.outbox) == 1


def test_category_preference_switches_a_kind_off(member):
    prefs = member.notification_preferences
    prefs.notify_status_changes = False
    prefs.save()
    n = notification_send(
        recipient=member, kind="idea.status", title="x", category="status"
    )
    assert n is None


def test_onsite_only_member_gets_no_email(member, django_capture_on_commit_callbacks):
    prefs = member.notification_preferences
    prefs.email_enabled = False
    prefs.save()
    with django_capture_on_commit_callbacks(execute=True):
        n = notification_send(recipient=member, kind="k", title="Quiet")
    assert n.show_onsite and not n.email_due
    assert mail.outbox == []


def test_daily_digest_bundles_pending_notifications(
    member, django_capture_on_commit_callbacks
):
    prefs = member.notification_preferences
    prefs.email_frequency = "daily"
    prefs.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=member, kind="k", title="First")
        notification_send(recipient=member, kind="k", title="Second")
    assert mail.outbox == []
    assert notification_digest_deliver(frequency="daily") == 1
    assert len(mail.outbox) == 1
    assert "First" in mail.outbox[0].body and "Second" in mail.outbox[0].body
    assert notification_digest_deliver(frequency="daily") == 0


def test_erased_or_inactive_member_gets_nothing(member):
    member.is_active = False
    member.save()
    assert notification_send(recipient=member, kind="k", title="x") is None


def test_notification_list_is_private(client, member, other_member, home):
    notification_send(recipient=member, kind="k", title="For Sanne only")
    assert client.get("/en/notifications/").status_code == 302
    client.force_login(other_member)
    assert b"For Sanne only" not in client.get("/en/notifications/").content
    client.force_login(member)
    response = client.get("/en/notifications/")
    assert b"For Sanne only" in response.content


def test_mark_all_read(member_client, member, home):
    notification_send(recipient=member, kind="k", title="x")
    assert member_client.get("/en/notifications/read/").status_code == 405
    member_client.post("/en/notifications/read/")
    assert not Notification.objects.filter(recipient=member, read_at=None).exists()


def test_unread_count_shows_in_the_header(member_client, member, home):
    notification_send(recipient=member, kind="k", title="x")
    response = member_client.get("/en/")
    assert b'class="badge"' in response.content


def test_unsubscribe_link_needs_a_click_and_a_valid_token(client, member, home):
    token = unsubscribe_token_make(user=member)
    url = f"/en/notifications/unsubscribe/{token}/"
    assert client.get(url).status_code == 200
    member.notification_preferences.refresh_from_db()
    assert member.notification_preferences.email_enabled
    client.post(url)
    member.notification_preferences.refresh_from_db()
    assert not member.notification_preferences.email_enabled
    forged = f"/en/notifications/unsubscribe/{member.pk}:forged/"
    assert client.post(forged).status_code == 404


def test_notification_list_query_count_is_pinned(
    member_client, member, home, django_assert_max_num_queries
):
    for n in range(30):
        notification_send(recipient=member, kind="k", title=f"n{n}")
    member_client.get("/en/notifications/")  # creates the site settings row once
    with django_assert_max_num_queries(13):
        assert member_client.get("/en/notifications/").status_code == 200
