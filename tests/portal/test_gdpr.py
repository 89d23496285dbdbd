import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django_comments_xtd.models import XtdComment
from rest_framework.authtoken.models import Token

from portal.notifications.models import Notification
from portal.notifications.services import notification_send
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _comment(user, target, text="I love the new app"):
    return XtdComment.objects.create(
        content_type=ContentType.objects.get_for_model(target),
        object_pk=str(target.pk),
        site=Site.objects.get_current(),
        user=user,
        user_name=user.public_name,
        user_email=user.email,
        comment=text,
        ip_address="127.0.0.1",
    )


def test_export_requires_login_and_post(client, member, home):
    assert client.post("/en/settings/privacy/export/").status_code == 302
    client.force_login(member)
    assert client.get("/en/settings/privacy/export/").status_code == 405


def test_export_contains_everything_about_the_member(member_client, member, home):
    _comment(member, home)
    notification_send(recipient=member, kind="test", title="Hello Sanne")
    response = member_client.post("/en/settings/privacy/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["profile"]["email"] == member.email
    assert data["email_addresses"][0]["email"] == member.email
    assert data["comments"][0]["comment"] == "I love the new app"
    assert data["notifications"][0]["title"] == "Hello Sanne"
    assert "notification_preferences" in data


def test_export_contains_only_the_members_own_data(
    member_client, member, other_member, home
):
    _comment(other_member, home, text="Someone else's words")
    data = json.loads(member_client.post("/en/settings/privacy/export/").content)
    assert data["comments"] == []
    assert other_member.email not in json.dumps(data)


def test_delete_needs_the_confirmation_word_and_password(member_client, member, home):
    response = member_client.post(
        "/en/settings/privacy/delete/", {"confirmation": "yes", "password": "nope"}
    )
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.is_active and not member.is_erased


def test_delete_pseudonymises_contributions_and_removes_personal_data(
    member_client, member, home
):
    comment = _comment(member, home)
    Token.objects.create(user=member)
    notification_send(recipient=member, kind="test", title="Hi")
    email = member.email
    response = member_client.post(
        "/en/settings/privacy/delete/",
        {"confirmation": "DELETE", "password": PASSWORD},
    )
    assert response.status_code == 302

    member.refresh_from_db()
    assert member.is_erased and not member.is_active
    assert member.email == "" and member.display_name == "" and member.bio == ""
    assert member.public_name == "Former member"
    assert not member.has_usable_password()
    assert not EmailAddress.objects.filter(email=email).exists()
    assert not Token.objects.filter(user=member).exists()
    assert not Notification.objects.filter(recipient=member).exists()

    comment.refresh_from_db()
    assert comment.comment == "I love the new app"
    assert comment.user_id == member.pk
    assert comment.user_name == "Former member"
    assert comment.user_email == "" and comment.ip_address is None

    # The session is gone and the old credentials no longer work.
    assert member_client.get("/en/settings/profile/").status_code == 302
    response = member_client.post(
        "/en/accounts/login/", {"login": email, "password": PASSWORD}
    )
    assert member_client.get("/en/settings/profile/").status_code == 302


def test_erased_member_has_no_public_profile(client, member, home):
    from portal.accounts.services import user_erase

    username = member.username
    user_erase(user=member)
    assert client.get(f"/en/members/{username}/").status_code == 404
    assert client.get(f"/en/members/{member.username}/").status_code == 404


def test_an_app_can_register_its_own_export_and_erase(member, home):
    from portal.accounts import gdpr
    from portal.accounts.services import user_data_export, user_erase

    seen = []
    gdpr.register_exporter("votes", lambda user: [{"idea": 1}])
    gdpr.register_eraser("votes", lambda user: seen.append(user.pk))
    try:
        assert user_data_export(user=member)["votes"] == [{"idea": 1}]
        user_erase(user=member)
        assert seen == [member.pk]
    finally:
        gdpr._exporters.pop("votes")
        gdpr._erasers.pop("votes")
