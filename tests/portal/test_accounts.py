import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def _link_in(message) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_sign_up_sends_verification_and_confirming_logs_in(client, home):
    response = client.post(
        "/en/accounts/signup/",
        {
            "email": "new.member@example.com",
            "password1": "a-Long-enough-pass-42",
            "password2": "a-Long-enough-pass-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.member@example.com")
    assert user.language == "en"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    confirm_path = _link_in(mail.outbox[0])

    page = client.get(confirm_path)
    assert page.status_code == 200
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get("/en/settings/profile/").status_code == 200


def test_sign_up_in_dutch_stores_dutch_as_language(client, home):
    client.post(
        "/nl/accounts/signup/",
        {
            "email": "lid@example.nl",
            "password1": "Een-lang-wachtwoord-42",
            "password2": "Een-lang-wachtwoord-42",
        },
    )
    assert User.objects.get(email="lid@example.nl").language == "nl"


def test_sign_up_rejects_bad_input_with_field_errors(client, home):
    response = client.post(
        "/en/accounts/signup/",
        {"email": "not-an-email", "password1": "short", "password2": "other"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="not-an-email").exists()
    assert response.context["form"].errors


def test_unverified_member_cannot_log_in(client, home):
    UserFactory(username="pending", email="pending@example.com", verified=False)
    response = client.post(
        "/en/accounts/login/", {"login": "pending@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "confirm-email" in response.url or "verification" in response.url
    assert client.get("/en/settings/profile/").status_code == 302


def test_verified_member_logs_in_and_out(client, member, home):
    response = client.post(
        "/en/accounts/login/", {"login": member.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/en/settings/profile/").status_code == 200
    client.post("/en/accounts/logout/")
    assert client.get("/en/settings/profile/").status_code == 302


def test_wrong_password_is_refused(client, member, home):
    response = client.post(
        "/en/accounts/login/", {"login": member.email, "password": "wrong"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors


def test_repeated_failed_logins_lock_the_account_out(client, member, home, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _ in range(3):
        client.post("/en/accounts/login/", {"login": member.email, "password": "x"})
    response = client.post(
        "/en/accounts/login/", {"login": member.email, "password": PASSWORD}
    )
    assert response.status_code in (200, 429)
    assert client.get("/en/settings/profile/").status_code == 302


def test_password_reset_sends_a_link(client, member, home):
    response = client.post("/en/accounts/password/reset/", {"email": member.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_profile_edit_requires_login(client, home):
    response = client.get("/en/settings/profile/")
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_member_updates_profile_and_avatar(member_client, member, home):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (20, 20), "green").save(buffer, format="PNG")
    avatar = SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")
    response = member_client.post(
        "/en/settings/profile/",
        {
            "display_name": "Sanne V.",
            "bio": "Solar fan",
            "language": "nl",
            "avatar": avatar,
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.display_name == "Sanne V."
    assert member.language == "nl"
    assert member.avatar.name.endswith(".png")


def test_profile_rejects_a_file_that_is_not_an_image(member_client, member, home):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("me.png", b"<script>alert(1)</script>", "image/png")
    response = member_client.post(
        "/en/settings/profile/",
        {"display_name": "x", "bio": "", "language": "", "avatar": fake},
    )
    assert response.status_code == 200
    assert "avatar" in response.context["form"].errors


def test_profile_escapes_html_in_bio(client, member, home):
    member.bio = "<script>alert('x')</script>"
    member.save()
    response = client.get(reverse("accounts:profile", args=[member.username]))
    assert response.status_code == 200
    assert b"<script>alert" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_public_profile_is_visible_to_anyone(client, member, home):
    response = client.get(f"/en/members/{member.username}/")
    assert response.status_code == 200
    assert member.display_name.encode() in response.content
    assert member.email.encode() not in response.content


def test_public_profile_of_inactive_member_is_not_found(client, member, home):
    member.is_active = False
    member.save()
    assert client.get(f"/en/members/{member.username}/").status_code == 404


def test_notification_preferences_are_saved(member_client, member, home):
    response = member_client.post(
        "/en/settings/notifications/",
        {
            "email_enabled": "on",
            "email_frequency": "daily",
            "onsite_enabled": "on",
            "notify_replies": "on",
        },
    )
    assert response.status_code == 302
    prefs = member.notification_preferences
    prefs.refresh_from_db()
    assert prefs.email_frequency == "daily"
    assert prefs.notify_status_changes is False


def test_notification_preferences_reject_unknown_frequency(member_client, home):
    response = member_client.post(
        "/en/settings/notifications/", {"email_frequency": "hourly"}
    )
    assert response.status_code == 200
    assert "email_frequency" in response.context["form"].errors


@pytest.mark.parametrize(
    "path",
    ["/en/settings/profile/", "/en/settings/notifications/", "/en/settings/privacy/"],
)
def test_settings_pages_for_anonymous_member_and_staff(
    client, member, staff, home, path
):
    assert client.get(path).status_code == 302
    client.force_login(member)
    assert client.get(path).status_code == 200
    client.force_login(staff)
    assert client.get(path).status_code == 200


def test_member_language_preference_decides_the_redirect(client, member, home):
    member.language = "nl"
    member.save()
    client.force_login(member)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response.url.startswith("/nl/")


def test_browser_language_decides_for_visitors(client, home):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="nl-NL,nl;q=0.9")
    assert response.url.startswith("/nl/")
    client.cookies.clear()
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB")
    assert response.url.startswith("/en/")


def test_social_providers_are_offered_only_when_configured(client, home, db):
    from allauth.socialaccount.models import SocialApp
    from django.contrib.sites.models import Site as DjangoSite

    page = client.get("/en/accounts/login/")
    assert b"GitHub" not in page.content
    app = SocialApp.objects.create(
        provider="github", name="GitHub", client_id="id", secret="s"
    )
    app.sites.add(DjangoSite.objects.get_current())
    page = client.get("/en/accounts/login/")
    assert b"GitHub" in page.content
