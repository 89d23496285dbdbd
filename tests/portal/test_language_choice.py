"""Which language a member gets: their saved preference, then the browser,
then the site's default. Emails follow the recipient's language, whoever
caused them."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _landing(client, **headers) -> str:
    response = client.get("/", **headers)
    assert response.status_code == 302, response
    return response.url


# --- the page language --------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("nl-NL,nl;q=0.9,en;q=0.5", "/nl/"),
        ("nl-BE", "/nl/"),
        ("en-GB,en;q=0.9", "/en/"),
        ("fr-FR,de;q=0.8,nl;q=0.3", "/nl/"),
    ],
)
def test_a_visitor_gets_the_first_browser_language_we_speak(
    client, home, accept_language, expected
):
    assert _landing(client, HTTP_ACCEPT_LANGUAGE=accept_language) == expected


def test_a_visitor_whose_browser_we_cannot_serve_gets_the_site_default(client, home):
    assert _landing(client, HTTP_ACCEPT_LANGUAGE="fr-FR,de;q=0.8") == "/en/"
    assert _landing(client) == "/en/"


def test_the_site_default_is_a_setting(client, home, settings):
    settings.LANGUAGE_CODE = "nl"

    assert _landing(client, HTTP_ACCEPT_LANGUAGE="ja") == "/nl/"


def test_a_members_saved_language_beats_the_browser(client, home):
    member = UserFactory(language="nl")
    client.force_login(member)

    assert _landing(client, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9") == "/nl/"

    # The cookie keeps it for the pages they visit after signing out.
    response = client.get("/nl/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"
    client.post("/nl/accounts/logout/")
    assert "_auth_user_id" not in client.session
    assert _landing(client, HTTP_ACCEPT_LANGUAGE="en-GB") == "/nl/"


def test_a_members_saved_language_beats_an_old_language_cookie(client, home):
    member = UserFactory(language="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    client.force_login(member)

    assert _landing(client, HTTP_ACCEPT_LANGUAGE="nl") == "/en/"


def test_a_member_without_a_saved_language_follows_the_browser(client, home):
    member = UserFactory(language="")
    client.force_login(member)

    assert _landing(client, HTTP_ACCEPT_LANGUAGE="nl-NL") == "/nl/"
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_a_link_with_a_language_shows_that_language(client, home):
    """A shared /en/ link stays English, even for a member who prefers Dutch."""
    client.force_login(UserFactory(language="nl"))

    english = client.get("/en/")
    dutch = client.get("/nl/")

    assert english.status_code == dutch.status_code == 200
    assert english["Content-Language"] == "en"
    assert dutch["Content-Language"] == "nl"
    assert '<html lang="nl">' in dutch.content.decode()
    assert "Naar de inhoud" in dutch.content.decode()
    assert "Skip to content" in english.content.decode()


def test_a_page_without_a_language_goes_to_the_members_language(client, home):
    client.force_login(UserFactory(language="nl"))

    response = client.get("/settings/profile/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert response.url == "/nl/settings/profile/"


def test_saving_the_profile_language_changes_the_landing_language(client, home):
    member = UserFactory(language="en")
    client.force_login(member)
    response = client.post(
        "/en/settings/profile/",
        {"display_name": "Sanne", "bio": "", "language": "nl"},
    )
    assert response.status_code == 302

    assert _landing(client, HTTP_ACCEPT_LANGUAGE="en") == "/nl/"


def test_the_language_switcher_offers_both_languages(client, home):
    html = client.get("/nl/").content.decode()

    assert 'action="/i18n/setlang/"' in html
    assert re.search(r'<option value="en"(?![^>]*selected)[^>]*>', html)
    assert re.search(r'<option value="nl"[^>]*selected[^>]*>', html)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_staff_get_the_admin_in_their_saved_language(client, home, language):
    client.force_login(StaffFactory(language=language))

    response = client.get(
        "/admin/", HTTP_ACCEPT_LANGUAGE="en" if language == "nl" else "nl"
    )

    assert response.status_code == 200
    assert f'<html lang="{language}"' in response.content.decode()


def test_api_messages_follow_the_members_language_without_a_prefix(client, home):
    client.force_login(UserFactory(language="nl"))

    response = client.patch(
        "/api/v1/me/", {"language": "klingon"}, content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert response.json() == {"language": ['"klingon" is een ongeldige keuze.']}


@pytest.mark.parametrize(
    ("status", "dutch"),
    [
        (400, "Ongeldig verzoek"),
        (403, "Geen toegang"),
        (404, "Pagina niet gevonden"),
        (500, "Er ging iets mis"),
    ],
)
def test_error_pages_are_in_the_pages_language(rf, home, status, dutch):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import BadRequest, PermissionDenied
    from django.http import Http404
    from django.views import defaults

    request = rf.get("/nl/missing/")
    request.user = AnonymousUser()
    views = {
        400: lambda: defaults.bad_request(request, BadRequest()),
        403: lambda: defaults.permission_denied(request, PermissionDenied()),
        404: lambda: defaults.page_not_found(request, Http404()),
        500: lambda: defaults.server_error(request),
    }
    with translation.override("nl"):
        response = views[status]()

    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="nl">' in html
    assert f"<h1>{dutch}</h1>" in html


# --- emails in the recipient's language ---------------------------------------


def _dutch(text: str) -> str:
    with translation.override("nl"):
        dutch = gettext(text)
    assert dutch != text, f"{text!r} has no Dutch translation"
    return dutch


def _only_email_to(user):
    sent = [m for m in mail.outbox if m.to == [user.email]]
    assert len(sent) == 1, [m.subject for m in mail.outbox]
    return sent[0]


def _assert_dutch_notification_email(message, title: str) -> None:
    assert message.subject == title
    assert "Hoi " in message.body
    assert "Je krijgt deze e-mail vanwege je meldingsvoorkeuren." in message.body
    assert "Hello " not in message.body
    assert "notification preferences" not in message.body


def test_an_idea_status_email_is_in_the_followers_language(
    home, django_capture_on_commit_callbacks
):
    from ideas.models import IdeaStatus
    from ideas.pages import IdeasIndexPage
    from ideas.services import idea_follow, idea_respond
    from tests.factories import make_idea

    page = IdeasIndexPage(title="Ideas", slug="ideas", intro="Share and vote")
    home.add_child(instance=page)
    page.save_revision().publish()
    idea = make_idea(title="Dark mode in the Vonk app")
    follower = UserFactory(language="nl")
    idea_follow(idea=idea, user=follower)
    english_staff = StaffFactory(language="en")

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        idea_respond(idea=idea, by=english_staff, status=IdeaStatus.PLANNED)

    message = _only_email_to(follower)
    status = _dutch("Planned")
    _assert_dutch_notification_email(
        message, f"“Dark mode in the Vonk app” is nu: {status}"
    )


def test_an_expert_application_email_is_in_the_applicants_language(
    home, django_capture_on_commit_callbacks
):
    from experts.models import ExpertApplication
    from experts.notifications import application_decided_notify
    from experts.pages import QuestionsIndexPage

    page = QuestionsIndexPage(title="Questions", slug="questions", intro="Ask")
    home.add_child(instance=page)
    page.save_revision().publish()
    applicant = UserFactory(language="nl")
    application = ExpertApplication.objects.create(
        user=applicant,
        motivation="I install heat pumps for a living.",
        guidelines_accepted_at=timezone.now(),
        status="approved",
    )

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        assert application_decided_notify(application_id=application.pk) == 1

    message = _only_email_to(applicant)
    _assert_dutch_notification_email(message, _dutch("Welcome to the expert team!"))


def test_a_listening_alert_email_is_in_each_staff_members_language(
    db, django_capture_on_commit_callbacks
):
    from listening.models import Source
    from listening.services import sources_alert_broken

    dutch_staff = StaffFactory(language="nl")
    english_staff = StaffFactory(language="en")
    source = Source.objects.create(
        name="Mastodon", kind="mastodon", url="https://mastodon.test/"
    )
    Source.objects.filter(pk=source.pk).update(
        consecutive_failures=3, last_error="HTTP 503"
    )
    later = timezone.now() + timedelta(days=3)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        assert sources_alert_broken(now=later) == [source.pk]

    dutch = _only_email_to(dutch_staff)
    _assert_dutch_notification_email(dutch, "Bron “Mastodon” werkt al een tijd niet")
    english = _only_email_to(english_staff)
    assert english.subject == "Source “Mastodon” has been failing"
    assert "Hello " in english.body


def test_emails_to_members_without_a_saved_language_use_the_site_default(
    home, settings, django_capture_on_commit_callbacks
):
    from experts.models import ExpertApplication
    from experts.notifications import application_decided_notify

    settings.LANGUAGE_CODE = "nl"
    applicant = UserFactory(language="")
    application = ExpertApplication.objects.create(
        user=applicant,
        motivation="I install heat pumps for a living.",
        guidelines_accepted_at=timezone.now(),
        status="declined",
    )

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        assert application_decided_notify(application_id=application.pk) == 1

    message = _only_email_to(applicant)
    _assert_dutch_notification_email(message, _dutch("About your expert application"))


def test_a_close_the_loop_prompt_is_in_the_linkers_language(
    home, django_capture_on_commit_callbacks
):
    from listening import webcare
    from listening.models import Mention, Source
    from tests.factories import make_idea

    linker = StaffFactory(language="nl")
    source = Source.objects.create(name="Mastodon", kind="mastodon")
    mention = Mention.objects.create(
        source=source,
        external_id="post-1",
        author_handle="@sanne@mastodon.social",
        text="Vonk should add dark mode",
        cluster_key="c1",
        language="en",
        due_at=timezone.now() + timedelta(hours=24),
    )
    idea = make_idea(title="Dark mode in the Vonk app")
    webcare.mention_link(mention=mention, by=linker, idea=idea)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        assert webcare.loop_prompt(idea=idea, to_status="launched") == 1

    message = _only_email_to(linker)
    launched = _dutch("Launched").lower()
    _assert_dutch_notification_email(
        message,
        f"Terugkoppelen: “Dark mode in the Vonk app” is nu {launched}",
    )
    assert "Je hebt 1 bericht van sociale media aan dit idee gekoppeld" in message.body


def test_a_password_reset_email_is_in_the_members_language(client, home):
    member = UserFactory(language="nl")
    EmailAddress.objects.filter(user=member).update(verified=True)

    response = client.post("/en/accounts/password/reset/", {"email": member.email})

    assert response.status_code == 302
    message = _only_email_to(member)
    assert message.subject == "Nieuw wachtwoord"
    assert "Password Reset" not in message.subject


# --- demo content ---------------------------------------------------------------


def test_every_demo_page_and_kind_of_content_exists_in_english_and_dutch(client):
    from django.core.management import call_command
    from wagtail.models import Locale, Page

    from experts.models import Question
    from ideas.models import Idea
    from listening.models import Mention

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Staff, so the staff-only webcare guidelines are readable too.
    client.force_login(StaffFactory())
    nl = Locale.objects.get(language_code="nl")
    english = Page.objects.live().filter(locale__language_code="en", depth__gt=1)

    assert english.count() >= 8
    for page in english.specific():
        dutch = page.get_translation_or_none(nl)
        assert dutch is not None and dutch.live, f"{page.title!r} has no Dutch page"
        assert dutch.title != page.title, f"Dutch {page.title!r} has the English title"
        response = client.get(dutch.url)
        assert response.status_code == 200, dutch.url
        html = response.content.decode()
        assert '<html lang="nl">' in html
        assert f">{dutch.title}<" in html
    # What members wrote is in the language they wrote it in: both are there.
    for model in (Idea, Question, Mention):
        languages = set(model.objects.values_list("language", flat=True))
        assert {"en", "nl"} <= languages, (model.__name__, languages)
