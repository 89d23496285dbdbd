"""Shared fixtures of the security suites: the five roles and a small world.

`roles` gives a logged-in Django test client per role (anonymous, member,
expert, paused expert and staff); `world` builds one of every kind of object
the URL patterns point at, so a test can fill any `<int:...>` in a route.
tests/security/test_hostile_input.py and the authorization matrix share them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from tests.factories import StaffFactory, UserFactory

ROLES = ("anonymous", "member", "expert", "paused_expert", "staff")

# A fixed CSRF secret: a CSRF-checking client sends it as cookie and header,
# so POSTs reach the view and the matrix tests authorization, not CSRF.
CSRF_TOKEN = "s" * 32


@dataclass
class Role:
    """One role: its user (None when anonymous) and how to make a client."""

    name: str
    user: object | None
    cookies: dict[str, str] = field(default_factory=dict)

    def client(self, *, enforce_csrf_checks: bool = False, csrf: bool = True):
        """A fresh client with this role's session (a logout by an earlier
        request cannot leak into the next one)."""
        client = Client(enforce_csrf_checks=enforce_csrf_checks)
        for name, value in self.cookies.items():
            client.cookies[name] = value
        if enforce_csrf_checks and csrf:
            client.cookies["csrftoken"] = CSRF_TOKEN
            client.defaults["HTTP_X_CSRFTOKEN"] = CSRF_TOKEN
        return client


def _make_expert(username: str, status: str, focus_area):
    from experts.models import ExpertProfile, ExpertStatus

    user = UserFactory(username=username, display_name=username.title())
    profile = ExpertProfile.objects.create(
        user=user,
        status=status,
        daily_cap=5,
        paused_until=(
            timezone.now() + timedelta(days=7)
            if status == ExpertStatus.PAUSED
            else None
        ),
    )
    if focus_area is not None:
        profile.focus_areas.set([focus_area])
    return profile


@pytest.fixture
def security_site(community_settings):
    """Home (English and Dutch), the ideas and questions pages, a focus area."""
    from experts.pages import QuestionsIndexPage
    from ideas.pages import IdeasIndexPage
    from listening.pages import WebcareGuidelinesPage
    from portal.pages.models import FaqPage, FocusArea, StandardPage

    home = community_settings.site.root_page.specific
    ideas_page = IdeasIndexPage(title="Ideas", slug="ideas", intro="Share and vote")
    home.add_child(instance=ideas_page)
    ideas_page.save_revision().publish()
    questions_page = QuestionsIndexPage(
        title="Questions", slug="questions", intro="Ask our customer experts"
    )
    home.add_child(instance=questions_page)
    questions_page.save_revision().publish()
    content = {}
    for name, page in {
        "standard_page": StandardPage(title="About", slug="about", intro="Us"),
        "faq_page": FaqPage(title="FAQ", slug="faq", intro="Answers"),
        "guidelines_page": WebcareGuidelinesPage(
            title="Webcare guidelines", slug="webcare-guidelines", intro="Tone"
        ),
    }.items():
        home.add_child(instance=page)
        page.save_revision().publish()
        content[name] = page
    return SimpleNamespace(
        **content,
        home=home,
        ideas_page=ideas_page,
        questions_page=questions_page,
        settings=community_settings,
        focus_area=FocusArea.objects.get(settings=community_settings, slug="billing"),
    )


@pytest.fixture
def role_users(security_site):
    """The users behind the roles: a member, an active expert, a paused expert
    (ExpertProfile.status == paused, with a date to come back) and staff."""
    from experts.models import ExpertStatus

    area = security_site.focus_area
    return {
        "anonymous": None,
        "member": UserFactory(username="sanne", display_name="Sanne"),
        "expert": _make_expert("joost", ExpertStatus.ACTIVE, area).user,
        "paused_expert": _make_expert("amira", ExpertStatus.PAUSED, area).user,
        "staff": StaffFactory(username="eva", display_name="Eva"),
    }


@pytest.fixture
def roles(role_users) -> dict[str, Role]:
    """A `Role` per name in ROLES; `roles["member"].client()` is logged in."""
    result = {}
    for name, user in role_users.items():
        cookies = {}
        if user is not None:
            client = Client()
            client.force_login(user)
            cookies = {k: morsel.value for k, morsel in client.cookies.items()}
        result[name] = Role(name=name, user=user, cookies=cookies)
    return result


@pytest.fixture
def anonymous_client(roles):
    return roles["anonymous"].client()


@pytest.fixture
def member_role_client(roles):
    return roles["member"].client()


@pytest.fixture
def expert_role_client(roles):
    return roles["expert"].client()


@pytest.fixture
def paused_expert_role_client(roles):
    return roles["paused_expert"].client()


@pytest.fixture
def staff_role_client(roles):
    return roles["staff"].client()


def _png() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8Dw"
        "HwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    )


@pytest.fixture
def world(security_site, role_users):  # noqa: PLR0915 (one of each, in order)
    """One object of every kind a URL pattern can point at.

    The member owns the idea, the question, the draft and the notification;
    the private case belongs to another member ("asker"), so the member role
    is an outsider to it. The active expert wrote the answer.
    """
    from django_comments_xtd.models import XtdComment
    from wagtail.documents.models import Document
    from wagtail.images.models import Image
    from wagtail.models import Collection

    from experts.models import ExpertApplication, ExpertLevel, ExpertProfile
    from experts.services import answer_post, question_ask, question_make_private
    from ideas.models import VoteBurst
    from ideas.services.merge import idea_merge
    from listening.consent import invitation_offer, invitation_token
    from listening.models import (
        ContributionDraft,
        ImportJob,
        Invitation,
        Mention,
        PrivacyRequest,
        Source,
        SpikeAlert,
        Tracker,
    )
    from portal.notifications.models import Notification
    from portal.notifications.services import unsubscribe_token_make
    from tests.factories import make_idea

    member = role_users["member"]
    expert = role_users["expert"]
    staff = role_users["staff"]
    area = security_site.focus_area
    now = timezone.now()
    asker = UserFactory(username="asker", display_name="Asker")
    applicant = UserFactory(username="applicant", display_name="Applicant")

    idea = make_idea(author=member, title="Dark mode in the Vonk app")
    merged_away = make_idea(author=asker, title="Night theme for the mobile app")
    merge = idea_merge(source=merged_away, target=idea, by=staff)

    question = question_ask(
        author=member,
        title="How do I read my annual energy bill?",
        body="The annual statement shows three totals; which one do I pay?",
        focus_area=area,
    )
    answer = answer_post(
        question=question,
        author=expert,
        body="The amount under 'Te betalen' is what you pay after advances.",
    )
    private_question = question_ask(
        author=asker,
        title="My meter number is wrong on my bill",
        body="Please fix meter 123, my address is on the last invoice.",
        focus_area=area,
    )
    case = question_make_private(question=private_question, by=staff, reason="account")
    application = ExpertApplication.objects.create(
        user=applicant, motivation="I know the bills", guidelines_accepted_at=now
    )
    level = ExpertLevel.objects.order_by("pk").first() or ExpertLevel.objects.create(
        name="Helper", min_points=0
    )
    comment = XtdComment.objects.create(
        content_type=ContentType.objects.get_for_model(idea),
        object_pk=str(idea.pk),
        site=Site.objects.get_current(),
        user=member,
        user_name=member.public_name,
        user_email=member.email,
        comment="I would use this every evening.",
        ip_address="127.0.0.1",
    )

    source = Source.objects.create(
        name="Vonk on Mastodon",
        kind="mastodon",
        url="https://mastodon.example",
        config={"secret": "webhook-secret"},
    )
    webhook = Source.objects.create(
        name="Helpdesk push", kind="webhook", config={"secret": "s" * 40}
    )
    tracker = Tracker.objects.create(name="Brand", kind="brand", any_terms="vonk")
    mention = Mention.objects.create(
        source=source,
        external_id="m1",
        url="https://mastodon.example/@piet/m1",
        author_handle="@piet@mastodon.example",
        text="Vonk support fixed my meter within a day, great service",
        language="en",
        cluster_key="m1",
    )
    mention.trackers.add(tracker)
    offered = invitation_offer(mention=mention, user=staff)
    invitation = offered if isinstance(offered, Invitation) else None
    job = ImportJob.objects.create(
        source=source,
        file=ContentFile(b"text\nhello vonk\n", name="mentions.csv"),
        original_name="mentions.csv",
        format="csv",
        preset="generic",
        size=16,
        created_by=staff,
    )
    alert = SpikeAlert.objects.create(
        tracker=tracker,
        kind="volume",
        window_start=now - timedelta(hours=1),
        window_end=now,
        observed=40,
        expected=4.0,
        p_value=0.0001,
    )
    privacy_request = PrivacyRequest.objects.create(
        kind="erase", handle_hash="0" * 64, handle_hint="@pi…", requested_by=staff
    )
    draft = ContributionDraft.objects.create(
        owner=member, kind="idea", title="A draft idea", body="From a mention"
    )
    notification = Notification.objects.create(
        recipient=member, kind="test", title="Hello", body="A notification"
    )
    burst = VoteBurst.objects.create(idea=idea, new_account_votes=12, window_minutes=60)

    collection = Collection.get_first_root_node()
    image = Image.objects.create(
        title="Logo",
        file=ContentFile(_png(), name="logo.png"),
        width=1,
        height=1,
        collection=collection,
    )
    document = Document.objects.create(
        title="Terms",
        file=ContentFile(b"terms", name="terms.txt"),
        collection=collection,
    )

    return SimpleNamespace(
        site=security_site,
        home=security_site.home,
        ideas_page=security_site.ideas_page,
        questions_page=security_site.questions_page,
        standard_page=security_site.standard_page,
        faq_page=security_site.faq_page,
        guidelines_page=security_site.guidelines_page,
        focus_area=area,
        users=role_users,
        asker=asker,
        applicant=applicant,
        idea=idea,
        merged_idea=merged_away,
        merge=merge,
        question=question,
        answer=answer,
        private_question=private_question,
        case=case,
        application=application,
        expert_profile=ExpertProfile.objects.get(user=expert),
        level=level,
        comment=comment,
        source=source,
        webhook_source=webhook,
        tracker=tracker,
        mention=mention,
        invitation=invitation,
        invitation_token=invitation_token(invitation) if invitation else "bad",
        import_job=job,
        alert=alert,
        privacy_request=privacy_request,
        draft=draft,
        notification=notification,
        unsubscribe_token=unsubscribe_token_make(user=member),
        vote_burst=burst,
        collection=collection,
        image=image,
        document=document,
    )
