"""The authorization matrix: every URL, every role, the status it must get.

Every URL pattern of the root resolver (admin, Django admin, the API, the
language-prefixed pages, allauth, comments, hooks ...) and every route of our
Wagtail page types is requested as anonymous, member, expert, paused expert
and staff, with GET and (through a CSRF-checking client that sends a valid
token) POST. Each pattern has an access class in ACCESS; each class says what
each role gets. A pattern without a class fails the test, so a new URL cannot
be added without deciding who may use it. A 500 never passes.

All mismatches are collected and reported together, one line each.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import LocalePrefixPattern
from django.utils import translation
from wagtail.models import Page, get_page_models

from .conftest import ROLES

pytestmark = pytest.mark.django_db

LOGIN_PATHS = (
    "/en/accounts/login/",
    "/nl/accounts/login/",
    "/admin/login/",
    "/django-admin/login/",
)

# --- Outcomes ----------------------------------------------------------------
# What a response means for authorization:
#   "login"  a redirect to one of the login pages (not signed in, or not allowed
#            into the admin)
#   "401"    the API's "authenticate first" (with a WWW-Authenticate challenge)
#   "403"    refused
#   "404"    hidden: private or someone else's object, as if it did not exist
#   "200"    served
#   "ok"     the view ran past its permission check: any status below 500
#            that is none of the above (a redirect after an action, a form
#            error, 400 for a bad body, 405 for a wrong method, ...)
#   "in"     got past the login: anything but "login", "401" or an error
#            (staff in Wagtail's and Django's own admin, where some views
#            answer 403/404 to the world's made-up ids)
#   "any"    not checked beyond "no server error" (third-party flows whose
#            answer depends on state the world does not set up)

P, L, D, H, OK, IN, ANY = "200", "login", "403", "404", "ok", "in", "any"


@dataclass(frozen=True)
class Access:
    """What each role gets, as (anonymous, member, expert, paused, staff)."""

    get: tuple[str, str, str, str, str]
    post: tuple[str, str, str, str, str]
    doc: str


ACCESS_CLASSES: dict[str, Access] = {
    "public": Access(
        get=(P, P, P, P, P),
        post=(OK, OK, OK, OK, OK),
        doc="Anyone may read it: public pages, feeds, the public profile.",
    ),
    "public-redirect": Access(
        get=(OK, OK, OK, OK, OK),
        post=(OK, OK, OK, OK, OK),
        doc="An old or wrong slug: redirects anyone to the canonical address.",
    ),
    "public-post-only": Access(
        get=(OK, OK, OK, OK, OK),
        post=(OK, OK, OK, OK, OK),
        doc="An action open to anyone (the language switch); GET redirects.",
    ),
    "member": Access(
        get=(L, P, P, P, P),
        post=(L, OK, OK, OK, OK),
        doc="Any signed-in member; the anonymous visitor is sent to log in.",
    ),
    "member-post-only": Access(
        get=(L, OK, OK, OK, OK),
        post=(L, OK, OK, OK, OK),
        doc="A member's POST-only action on their own account (delete it, "
        "export it, mark all read): 405 on GET once signed in.",
    ),
    "member-action": Access(
        get=(OK, OK, OK, OK, OK),
        post=(L, OK, OK, OK, OK),
        doc="A POST action of a signed-in member (vote, follow, flag, helpful, "
        "answer); GET is refused (405) or redirects back, for anyone.",
    ),
    "member-action-settings": Access(
        get=(L, OK, OK, OK, OK),
        post=(L, OK, OK, OK, OK),
        doc="A POST action on the member's own settings (export, mark read): "
        "anonymous to the login even on GET.",
    ),
    "asker-action": Access(
        get=(OK, OK, OK, OK, OK),
        post=(L, OK, D, D, OK),
        doc="Accepting an answer: the asker (the member role) and staff; the "
        "experts, who did not ask, are refused with 403.",
    ),
    "not-expert-page": Access(
        get=(L, P, OK, OK, P),
        post=(L, OK, OK, OK, OK),
        doc="Applying to the programme: members see the form, experts (active "
        "or paused) are sent to their expert settings.",
    ),
    "expert-page": Access(
        get=(L, OK, P, P, OK),
        post=(L, OK, OK, OK, OK),
        doc="An expert's own settings (pause, resume, leave): experts, active "
        "or paused; others are sent on.",
    ),
    "owner": Access(
        get=(L, P, H, H, H),
        post=(L, OK, H, H, H),
        doc="Only the owner (the member role owns the world's draft); others "
        "get 404, as if it did not exist.",
    ),
    "staff-action": Access(
        get=(OK, OK, OK, OK, OK),
        post=(L, D, D, D, OK),
        doc="A moderation action on a public page (verify an answer): staff "
        "only, others are refused with 403.",
    ),
    "case": Access(
        get=(L, H, H, H, P),
        post=(L, H, H, H, OK),
        doc="A private case: the asker and staff only (the member role is not "
        "the asker), everyone else gets 404.",
    ),
    "guidelines": Access(
        get=(H, H, H, H, P),
        post=(H, H, H, H, OK),
        doc="A staff-only page in the page tree: 404 for all but staff.",
    ),
    "wagtail-admin": Access(
        get=(L, L, L, L, IN),
        post=(L, L, L, L, ANY),
        doc="The Wagtail admin (ours and Wagtail's): a non-staff user is sent "
        "to the admin login; staff get the view (any non-error status, as "
        "some take ids of objects the world does not have).",
    ),
    "wagtail-admin-ours": Access(
        get=(L, L, L, L, P),
        post=(L, L, L, L, OK),
        doc="Our own admin pages (inbox, expertcare, insight, ideas console): "
        "non-staff to the admin login, staff 200.",
    ),
    "wagtail-admin-ours-action": Access(
        get=(L, L, L, L, OK),
        post=(L, L, L, L, OK),
        doc="Our own admin POST actions: non-staff to the admin login; for "
        "staff GET is 405 or redirects back.",
    ),
    "wagtail-admin-public": Access(
        get=(P, OK, OK, OK, OK),
        post=(OK, OK, OK, OK, OK),
        doc="The admin's own login, password reset and static helpers.",
    ),
    "django-admin": Access(
        get=(L, L, L, L, IN),
        post=(L, L, L, L, ANY),
        doc="The Django admin: staff only, everyone else to its login.",
    ),
    "django-admin-public": Access(
        get=(OK, OK, OK, OK, OK),
        post=(OK, OK, OK, OK, OK),
        doc="The Django admin's login and logout.",
    ),
    "api-public": Access(
        get=(P, P, P, P, P),
        post=("401", OK, OK, OK, OK),
        doc="Public API reads; a write (here 405) needs a member first.",
    ),
    "api-open": Access(
        get=(P, P, P, P, P),
        post=(OK, OK, OK, OK, OK),
        doc="Open API reads without any authentication (the schema, its docs, "
        "the focus areas); a POST is 405 for anyone.",
    ),
    "api-public-action": Access(
        get=(OK, OK, OK, OK, OK),
        post=(OK, OK, OK, OK, OK),
        doc="A public API action (the opt-out); GET is 405.",
    ),
    "api-member": Access(
        get=("401", P, P, P, P),
        post=("401", OK, OK, OK, OK),
        doc="API for signed-in members: 401 with a challenge for anonymous.",
    ),
    "api-member-read": Access(
        get=(P, P, P, P, P),
        post=("401", OK, OK, OK, OK),
        doc="Public API reads where writing (POST) needs a member.",
    ),
    "api-member-action": Access(
        get=("401", OK, OK, OK, OK),
        post=("401", OK, OK, OK, OK),
        doc="An API action of a member (vote, accept, helpful); GET is 405.",
    ),
    "api-asker-action": Access(
        get=("401", OK, OK, OK, OK),
        post=("401", OK, D, D, OK),
        doc="Accepting an answer through the API: the asker and staff only.",
    ),
    "api-staff": Access(
        get=("401", D, D, D, OK),
        post=("401", D, D, D, OK),
        doc="Staff-only API (listening, moderation): 401 anonymous, 403 others.",
    ),
    "comments-post": Access(
        get=(OK, OK, OK, OK, OK),
        post=(OK, OK, OK, OK, OK),
        doc="Posting a comment (rate limited). The moderator drops comments "
        "from anonymous visitors (tests/portal/test_comments.py); an empty "
        "POST is a 400 for everyone.",
    ),
    "comments-moderation": Access(
        get=(L, D, D, D, OK),
        post=(L, D, D, D, OK),
        doc="django-comments' delete/approve: the moderate permission only.",
    ),
    "comments-api-off": Access(
        get=(H, H, H, H, H),
        post=(H, H, H, H, H),
        doc="django-comments-xtd's JSON API, switched off (portal.urls).",
    ),
    "comments-xtd": Access(
        get=(ANY, ANY, ANY, ANY, ANY),
        post=(ANY, ANY, ANY, ANY, ANY),
        doc="django-comments-xtd's own pages (confirm, mute, reply, like, "
        "flag): not an authorization boundary of ours; no server errors.",
    ),
    "allauth": Access(
        get=(ANY, ANY, ANY, ANY, ANY),
        post=(ANY, ANY, ANY, ANY, ANY),
        doc="allauth's flows (login, sign-up, reset, social, 2FA): allauth "
        "decides; no server errors.",
    ),
    "allauth-member": Access(
        get=(L, OK, OK, OK, OK),
        post=(L, OK, OK, OK, OK),
        doc="allauth's account pages (email, password, 2FA): members only.",
    ),
    "allauth-member-2fa-set": Access(
        get=(L, H, H, H, H),
        post=(L, H, H, H, H),
        doc="allauth's pages for an authenticator the member does not have "
        "(no TOTP in the world): 404 once signed in.",
    ),
    "allauth-member-2fa-view": Access(
        get=(L, H, H, H, H),
        post=(L, OK, OK, OK, OK),
        doc="The recovery codes page: 404 without an authenticator; it takes "
        "no POST (405).",
    ),
    "webhook": Access(
        get=(OK, OK, OK, OK, OK),
        post=("401", "401", "401", "401", "401"),
        doc="The listening webhook: no session matters, only the source's "
        "HMAC signature; unsigned POSTs are refused with 401.",
    ),
    "missing": Access(
        get=(H, H, H, H, H),
        post=(H, H, H, H, H),
        doc="A password form for a page or document restriction the world "
        "does not have: 404 for everyone.",
    ),
    "document": Access(
        get=(P, P, P, P, P),
        post=(ANY, ANY, ANY, ANY, ANY),
        doc="Wagtail documents: served to anyone unless a collection is "
        "private (none is in the world).",
    ),
    "media": Access(
        get=(H, H, H, H, H),
        post=(H, H, H, H, H),
        doc="Uploaded media (a missing file in the world: 404 for all).",
    ),
    "staff-deliberate-error": Access(
        get=(L, L, L, L, "500"),
        post=(L, L, L, L, "500"),
        doc="Wagtail's 'failwhale' page raises on purpose for staff, to test "
        "error reporting; everyone else goes to the login.",
    ),
}

# --- Which class each URL pattern has ------------------------------------
# Keys are the route texts of get_resolver() (with "en/" for the language
# prefix), or "page:<PageClass>" and "page:<PageClass>:<route>" for pages.
# Exact keys first; then the prefix rules below for third-party families.

ACCESS: dict[str, str] = {
    # -- project URLs outside the language prefix
    "hooks/listening/<int:source_id>/": "webhook",
    "health/": "public",
    "i18n/setlang/": "public-post-only",
    "comments/post/": "comments-post",
    "^comments/api/": "comments-api-off",
    "^comments/.+\\.[a-z0-9]+/?$": "comments-api-off",
    "^media/(?P<path>.*)$": "media",
    # -- API
    "api/v1/schema/": "api-open",
    "api/v1/docs/": "api-open",
    "api/v1/me/": "api-member",
    "api/v1/focus-areas/": "api-open",
    "api/v1/ideas/": "api-member-read",
    "api/v1/ideas/similar/": "api-public",
    "api/v1/ideas/<int:idea_id>/": "api-public",
    "api/v1/ideas/<int:idea_id>/vote/": "api-member-action",
    "api/v1/ideas/<int:idea_id>/status/": "api-staff",
    "api/v1/ideas/<int:idea_id>/merge/": "api-staff",
    "api/v1/questions/": "api-member-read",
    "api/v1/questions/<int:question_id>/": "api-public",
    "api/v1/questions/<int:question_id>/answers/": "api-member-action",
    "api/v1/answers/<int:answer_id>/accept/": "api-asker-action",
    "api/v1/answers/<int:answer_id>/helpful/": "api-member-action",
    "api/v1/answers/<int:answer_id>/verify/": "api-staff",
    "api/v1/experts/": "api-public",
    "api/v1/mentions/": "api-staff",
    "api/v1/mentions/<int:pk>/": "api-staff",
    "api/v1/mentions/<int:pk>/correct/": "api-staff",
    "api/v1/mentions/<int:pk>/assign/": "api-staff",
    "api/v1/mentions/<int:pk>/reply/": "api-staff",
    "api/v1/mentions/<int:pk>/link/": "api-staff",
    "api/v1/mentions/<int:pk>/invite/": "api-staff",
    "api/v1/mentions/import/": "api-staff",
    "api/v1/mentions/imports/<int:job_id>/": "api-staff",
    "api/v1/optouts/": "api-public-action",
    "api/v1/sources/": "api-staff",
    "api/v1/trackers/": "api-staff",
    # -- language-prefixed pages of ours
    "en/settings/profile/": "member",
    "en/settings/notifications/": "member",
    "en/settings/privacy/": "member",
    "en/settings/privacy/export/": "member-action-settings",
    "en/settings/privacy/delete/": "member-post-only",
    "en/members/<str:username>/": "public",
    "en/notifications/": "member",
    "en/notifications/read/": "member-action-settings",
    "en/notifications/unsubscribe/<str:token>/": "public",
    "en/search/": "public",
    "en/invite/drafts/": "member",
    "en/invite/drafts/<int:pk>/": "owner",
    "en/invite/<str:token>/": "public",
    "en/optout/": "public",
    "en/_util/authenticate_with_password/<int:page_view_restriction_id>/"
    "<int:page_id>/": "missing",
    "en/_util/login/": "public",
    # -- our pages (Wagtail page types and their routes)
    "page:HomePage": "public",
    "page:StandardPage": "public",
    "page:FaqPage": "public",
    "page:WebcareGuidelinesPage": "guidelines",
    "page:IdeasIndexPage:": "public",
    "page:IdeasIndexPage:new/": "member",
    "page:IdeasIndexPage:similar/": "public",
    "page:IdeasIndexPage:in-action/": "public",
    "page:IdeasIndexPage:roadmap/": "public",
    "page:IdeasIndexPage:feed/": "public",
    "page:IdeasIndexPage:feed/status/": "public",
    "page:IdeasIndexPage:<int:idea_id>/": "public",
    "page:IdeasIndexPage:<int:idea_id>-<slug:slug>/": "public",
    "page:IdeasIndexPage:<int:idea_id>/vote/": "member-action",
    "page:IdeasIndexPage:<int:idea_id>/follow/": "member-action",
    "page:IdeasIndexPage:<int:idea_id>/flag/": "member-action",
    "page:QuestionsIndexPage:": "public",
    "page:QuestionsIndexPage:ask/": "member",
    "page:QuestionsIndexPage:similar/": "public",
    "page:QuestionsIndexPage:<int:question_id>/": "public",
    "page:QuestionsIndexPage:<int:question_id>-<slug:slug>/": "public-redirect",
    "page:QuestionsIndexPage:<int:question_id>/answer/": "member-action",
    "page:QuestionsIndexPage:<int:question_id>/private/": "case",
    "page:QuestionsIndexPage:answers/<int:answer_id>/accept/": "asker-action",
    "page:QuestionsIndexPage:answers/<int:answer_id>/helpful/": "member-action",
    "page:QuestionsIndexPage:answers/<int:answer_id>/verify/": "staff-action",
    "page:QuestionsIndexPage:experts/": "public",
    "page:QuestionsIndexPage:experts/apply/": "not-expert-page",
    "page:QuestionsIndexPage:experts/me/": "expert-page",
    "page:QuestionsIndexPage:experts/<str:username>/": "public",
    # -- Wagtail admin pages that are not behind the admin login
    "admin/login/": "wagtail-admin-public",
    "admin/password_reset/": "wagtail-admin-public",
    "admin/password_reset/done/": "wagtail-admin-public",
    "admin/password_reset/confirm/<uidb64>/<token>/": "wagtail-admin-public",
    "admin/password_reset/complete/": "wagtail-admin-public",
    "admin/jsi18n/": "wagtail-admin-public",
    "admin/sprite/": "wagtail-admin-public",
    "admin/failwhale/": "staff-deliberate-error",
    # -- the Django admin's own open pages
    "django-admin/login/": "django-admin-public",
    "django-admin/logout/": "django-admin-public",
    # -- allauth pages for signed-in members only
    "en/accounts/email/": "allauth-member",
    "en/accounts/password/change/": "allauth-member",
    "en/accounts/password/set/": "allauth-member",
    "en/accounts/reauthenticate/": "allauth-member",
    "en/accounts/3rdparty/": "allauth-member",
    "en/accounts/2fa/": "allauth-member",
    "en/accounts/2fa/reauthenticate/": "allauth-member",
    "en/accounts/2fa/totp/activate/": "allauth-member",
    "en/accounts/2fa/totp/deactivate/": "allauth-member-2fa-set",
    "en/accounts/2fa/recovery-codes/": "allauth-member-2fa-view",
    "en/accounts/2fa/recovery-codes/generate/": "allauth-member",
    "en/accounts/2fa/recovery-codes/download/": "allauth-member-2fa-set",
    "comments/delete/<int:comment_id>/": "comments-moderation",
    "comments/approve/<int:comment_id>/": "comments-moderation",
    "documents/^(\\d+)/(.*)$": "document",
    "documents/authenticate_with_password/<int:restriction_id>/": "missing",
}

# Our own admin views, explicitly: staff 200 on GET (the "-action" ones take
# POST only). Anything else under admin/ is Wagtail's (see PREFIX_RULES).
OUR_ADMIN_PAGES = [
    "admin/insight/",
    "admin/insight/<slug:slug>/",
    "admin/ideas-console/merges/",
    "admin/expertcare/queue/",
    "admin/expertcare/applications/<int:application_id>/decide/",
    "admin/expertcare/questions/<int:question_id>/",
    "admin/expertcare/cases/<int:case_id>/",
    "admin/listening/privacy/",
    "admin/listening/corrections/<int:mention_id>/",
    "admin/listening/imports/",
    "admin/listening/imports/<int:job_id>/",
    "admin/listening/inbox/",
    "admin/listening/inbox/conversion/",
    "admin/listening/inbox/<int:pk>/",
    "admin/listening/inbox/loop/<int:idea_pk>/",
    "admin/listening/spikes/",
    "admin/listening/spikes/<int:alert_id>/",
]
OUR_ADMIN_ACTIONS = [
    "admin/ideas-console/<int:idea_id>/respond/",
    "admin/ideas-console/<int:idea_id>/merge/",
    "admin/ideas-console/<int:idea_id>/ban/",
    "admin/ideas-console/<int:idea_id>/<str:what>/toggle/",
    "admin/ideas-console/merges/<int:merge_id>/undo/",
    "admin/expertcare/experts/<int:profile_id>/status/",
    "admin/expertcare/questions/<int:question_id>/route/",
    "admin/expertcare/questions/<int:question_id>/private/",
    "admin/expertcare/questions/<int:question_id>/idea/",
    "admin/expertcare/questions/<int:question_id>/hide/",
    "admin/expertcare/answers/<int:answer_id>/verify/",
    "admin/expertcare/answers/<int:answer_id>/hide/",
    "admin/expertcare/cases/<int:case_id>/resolve/",
    "admin/listening/inbox/bulk/",
    "admin/listening/inbox/<int:pk>/assign/",
    "admin/listening/inbox/<int:pk>/status/",
    "admin/listening/inbox/<int:pk>/link/",
    "admin/listening/inbox/<int:pk>/reply/",
    "admin/listening/inbox/<int:pk>/invite/",
    "admin/listening/spikes/<int:alert_id>/acknowledge/",
]
ACCESS.update(dict.fromkeys(OUR_ADMIN_PAGES, "wagtail-admin-ours"))
ACCESS.update(dict.fromkeys(OUR_ADMIN_ACTIONS, "wagtail-admin-ours-action"))

# Whole families of third-party URLs, by prefix. Each family sits behind one
# gate (Wagtail's admin login, the Django admin's, allauth, comments-xtd),
# and every pattern in it is still requested by every role.
PREFIX_RULES: list[tuple[str, str]] = [
    ("admin/", "wagtail-admin"),
    ("django-admin/", "django-admin"),
    ("en/accounts/", "allauth"),
    ("comments/api/", "comments-api-off"),
    ("comments/", "comments-xtd"),
    ("documents/", "document"),
]

# Prefixes whose patterns must each be listed by hand (ours): a new one there
# fails until someone classifies it.
OWN_PREFIXES = (
    "api/v1/",
    "hooks/",
    "en/settings/",
    "en/members/",
    "en/notifications/",
    "en/search/",
    "en/invite/",
    "en/optout/",
    "admin/insight/",
    "admin/ideas-console/",
    "admin/expertcare/",
    "admin/listening/",
    "page:",
)
# Patterns of ours that third-party viewsets generate (snippet viewsets under
# our admin menus): they are Wagtail views behind the admin login.
GENERATED_OWN = re.compile(
    r"^admin/(expertcare|listening)/"
    r"(applications|experts|questions|cases|levels|sources|trackers|mentions)/"
    r"(results/|add/|(edit|delete|usage|history|history-results|copy|inspect)"
    r"/<int:pk>/)?$"
)


def access_class(key: str) -> str | None:
    if key in ACCESS:
        return ACCESS[key]
    if key.startswith(OWN_PREFIXES) and not GENERATED_OWN.match(key):
        return None
    for prefix, name in PREFIX_RULES:
        if key.startswith(prefix):
            return name
    return None


# --- Enumerating every URL ------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    key: str  # the route text, the key of ACCESS
    path: str  # a concrete path with the world's ids filled in


def _pattern_text(pattern) -> str:
    if isinstance(pattern, LocalePrefixPattern):
        return "en/"
    return str(pattern)


def resolver_keys() -> Iterator[tuple[str, list]]:
    """(route text, [pattern objects from the root]) for every URL pattern."""

    def walk(resolver: URLResolver, chain: list):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, [*chain, entry.pattern])
            elif isinstance(entry, URLPattern):
                parts = [*chain, entry.pattern]
                yield "".join(_pattern_text(p) for p in parts), parts

    with translation.override("en"):
        yield from walk(get_resolver(), [])


def _world_values(world) -> dict[str, object]:
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Locale, Site

    from portal.core.reports import reports

    group = Group.objects.order_by("pk").first() or Group.objects.create(name="Ed")
    return {
        "idea_id": world.idea.pk,
        "idea_pk": world.idea.pk,
        "question_id": world.question.pk,
        "answer_id": world.answer.pk,
        "case_id": world.case.pk,
        "application_id": world.application.pk,
        "profile_id": world.expert_profile.pk,
        "merge_id": world.merge.pk,
        "mention_id": world.mention.pk,
        "job_id": world.import_job.pk,
        "alert_id": world.alert.pk,
        "source_id": world.source.pk,
        "comment_id": world.comment.pk,
        "cid": world.comment.pk,
        "page_id": world.ideas_page.pk,
        "parent_page_id": world.home.pk,
        "page_to_move_id": world.ideas_page.pk,
        "destination_id": world.home.pk,
        "revision_id": world.ideas_page.latest_revision_id,
        "pk": None,  # depends on the pattern: see _pk_for
        "document_id": world.document.pk,
        "doc_id": world.document.pk,
        "image_id": world.image.pk,
        "collection_id": world.collection.pk,
        "filter_spec": "original",
        "username": world.users["member"].username,
        "slug": reports()[0].slug,
        "what": "lock",
        "action_name": "approve",
        "content_type_app_name": "pages",
        "content_type_model_name": "standardpage",
        "app_label": "ideas",
        "model_name": "idea",
        "app_name": "pages",
        "object_id": str(world.idea.pk),
        "query_id": 1,
        "redirect_id": 1,
        "task_id": 1,
        "task_state_id": 1,
        "workflow_state_id": 1,
        "workflow_pk": 1,
        "page_pk": world.ideas_page.pk,
        "session_id": 1,
        "uploaded_file_id": 1,
        "restriction_id": 1,
        "page_view_restriction_id": 1,
        "uidb64": "MQ",
        "revision_id_a": "earliest",
        "revision_id_b": "latest",
        "key": "not-a-valid-key",
        "uidb36": "1",
        "provider_id": "brand-sso",
        "content_type": "ideas-idea",
        "object_pk": str(world.idea.pk),
        "token": "set-password",
        "action": "delete",
        "str_pk": str(world.idea.pk),
        "content_type_id": ContentType.objects.get_for_model(world.idea).pk,
        "_group": group.pk,
        "_site": Site.objects.get(is_default_site=True).pk,
        "_locale": Locale.objects.get(language_code="en").pk,
    }


# Which object a bare <int:pk> means, by the route's prefix.
PK_BY_PREFIX = [
    ("api/v1/mentions/", "mention"),
    ("admin/listening/inbox/", "mention"),
    ("admin/listening/mentions/", "mention"),
    ("admin/listening/sources/", "source"),
    ("admin/listening/trackers/", "tracker"),
    ("admin/expertcare/applications/", "application"),
    ("admin/expertcare/experts/", "expert_profile"),
    ("admin/expertcare/questions/", "question"),
    ("admin/expertcare/cases/", "case"),
    ("admin/expertcare/levels/", "level"),
    ("admin/snippets/ideas/idea/", "idea"),
    ("admin/snippets/ideas/voteburst/", "vote_burst"),
    ("admin/collections/", "collection"),
    ("admin/users/", "_member"),
    ("admin/groups/", "_group"),
    ("admin/sites/", "_site"),
    ("admin/locales/", "_locale"),
    ("admin/api/main/^pages/", "_page"),
    ("admin/api/main/^images/", "image"),
    ("admin/api/main/^documents/", "document"),
    ("admin/settings/", "_settings"),
    ("en/invite/drafts/", "draft"),
]


def _pk_for(key: str, world, values) -> object:
    for prefix, name in PK_BY_PREFIX:
        if key.startswith(prefix):
            if name == "_member":
                return world.users["member"].pk
            if name == "_page":
                return world.home.pk
            if name == "_settings":
                return world.site.settings.pk
            if name.startswith("_"):
                return values[name]
            return getattr(world, name).pk
    return 1  # a Wagtail object the world does not have: staff may get 404


# Concrete paths for the regular-expression patterns.
REGEX_SAMPLES = {
    "^media/(?P<path>.*)$": "/media/nothing-here.png",
    "^comments/api/": "/comments/api/",
    "^comments/.+\\.[a-z0-9]+/?$": "/comments/sent.json",
    "documents/^(\\d+)/(.*)$": "/documents/{document}/terms.txt",
    "en/^((?:[\\w\\-]+/)*)$": None,  # Wagtail's page serving: see page_endpoints
    "admin/^.*/$": "/admin/no-such-admin-page/",
    "django-admin/(?P<url>.*)$": "/django-admin/no-such-admin-page/",
}


def _fill(key: str, values: dict, world, **overrides: object) -> str:
    """Replace each <conv:name> and (?P<name>...) of a route by a value."""
    if key in REGEX_SAMPLES:
        return REGEX_SAMPLES[key].format(document=world.document.pk)

    def value(name: str) -> str:
        if name in overrides:
            return str(overrides[name])
        if name == "pk":
            return str(_pk_for(key, world, values))
        if name == "format":
            return ".json" if "<drf_format_suffix:" in key else "json"
        if name == "token" and key.startswith("en/invite/"):
            return world.invitation_token
        if name == "token" and key.startswith("en/notifications/"):
            return world.unsubscribe_token
        if name == "source_id" and key.startswith("hooks/"):
            return str(world.webhook_source.pk)
        if name == "app_label" and key.startswith("django-admin/"):
            return "auth"
        if name == "username" and "experts/" in key:
            return world.users["expert"].username
        if name == "question_id" and key.endswith(("/private/", "cases/")):
            return str(world.private_question.pk)
        if name not in values:
            raise KeyError(f"no value for <{name}> in {key!r}; add one")
        return str(values[name])

    text = re.sub(r"(?<!\?P)<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), key)
    # Regular expressions: named groups, then plain groups, then anchors.
    text = re.sub(r"\\\.\(\?P<format>[^)]*\)/\?", ".json", text)
    text = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", lambda m: value(m[1]), text)
    text = re.sub(r"\((?:\\d\+|\.\+|\.\*)\)", lambda m: str(world.comment.pk), text)
    text = text.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + text


def resolver_endpoints(world) -> list[Endpoint]:
    values = _world_values(world)
    endpoints = []
    for key, _parts in resolver_keys():
        if key == "en/^((?:[\\w\\-]+/)*)$":
            continue  # every page and route is listed by page_endpoints
        path = _fill(key, values, world)
        endpoints.append(Endpoint(key=key, path=path))
    return endpoints


def page_endpoints(world) -> list[Endpoint]:
    """Each page type of ours, and each route of the routable ones."""
    pages = {
        "HomePage": world.home,
        "StandardPage": world.standard_page,
        "FaqPage": world.faq_page,
        "WebcareGuidelinesPage": world.guidelines_page,
        "IdeasIndexPage": world.ideas_page,
        "QuestionsIndexPage": world.questions_page,
    }
    values = _world_values(world)
    endpoints = []
    for name, page in pages.items():
        page = page.specific
        if not hasattr(page, "get_resolver"):
            endpoints.append(Endpoint(key=f"page:{name}", path=page.url))
            continue
        for pattern in page.get_resolver().url_patterns:
            route = str(pattern.pattern)
            key = f"page:{name}:{route}"
            # Any slug after the id redirects to the canonical address.
            filled = _fill(route, values, world, slug="a-slug").lstrip("/")
            endpoints.append(Endpoint(key=key, path=page.url + filled))
    return endpoints


def our_page_types() -> list[str]:
    ours = ("portal.", "ideas.", "experts.", "listening.")
    return sorted(
        model.__name__
        for model in get_page_models()
        if model is not Page and model.__module__.startswith(ours)
    )


# --- Requesting -----------------------------------------------------------


def outcome(response) -> str:
    status = response.status_code
    if status in (301, 302, 303):
        location = response.get("Location", "")
        if any(path in location for path in LOGIN_PATHS):
            return L
        return OK
    if status in (200, 401, 403, 404) or status >= 500:
        return str(status)
    return OK


def matches(expected: str, got: str) -> bool:
    if got.startswith("5"):
        return expected == got[:3]
    if expected == ANY:
        return True
    if expected == OK:
        return got in (OK, P)
    if expected == IN:
        return got not in (L, "401")
    return expected == got


def request(role, method: str, path: str) -> str:
    """One request in a savepoint that is rolled back: a staff POST to a
    "delete" view must not change the world for the next request."""
    client = role.client(enforce_csrf_checks=True)
    cache.clear()  # rate-limit counters start afresh
    try:
        with transaction.atomic():
            response = getattr(client, method)(path)
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001 (any error is a finding)
        return f"500 {type(exc).__name__}: {str(exc)[:120]}"
    return outcome(response)


# --- The tests ------------------------------------------------------------


def test_every_access_class_is_used_and_documented():
    used = set(ACCESS.values()) | {name for _p, name in PREFIX_RULES}
    assert used <= set(ACCESS_CLASSES), used - set(ACCESS_CLASSES)
    assert all(access.doc for access in ACCESS_CLASSES.values())


def test_every_page_type_of_ours_is_in_the_matrix():
    classified = {key.split(":")[1] for key in ACCESS if key.startswith("page:")}
    missing = [name for name in our_page_types() if name not in classified]
    assert not missing, f"page types without an access class: {missing}"


def test_every_url_pattern_is_classified(world):
    unclassified = [
        e.key
        for e in resolver_endpoints(world) + page_endpoints(world)
        if access_class(e.key) is None
    ]
    assert not unclassified, (
        "URL patterns without an access class in "
        "tests/security/test_authorization_matrix.py (add them to ACCESS):\n"
        + "\n".join(unclassified)
    )


# Patterns that an earlier one deliberately hides: requests to them reach the
# earlier pattern, and the matrix checks what that one answers.
SHADOWED_BY = {
    "^comments/api/": "comments-xtd's JSON API, switched off by portal.urls",
    "^comments/.+\\.[a-z0-9]+/?$": "comments-xtd's format twins, ditto",
    "comments/flag/(\\d+)/$": "django-comments' flag view, replaced by xtd's",
}


def test_every_filled_path_resolves_to_its_own_pattern(world):
    """The matrix requests what it claims to: each filled-in path resolves
    back to the pattern it was made from (not to a catch-all)."""
    wrong = []
    for endpoint in resolver_endpoints(world):
        if endpoint.key in REGEX_SAMPLES:
            continue
        with translation.override("en"):
            route = resolve(endpoint.path).route
        if route.replace("^", "") != endpoint.key.replace("^", ""):
            if route in SHADOWED_BY:
                continue
            wrong.append(f"{endpoint.key} -> {endpoint.path} -> {route}")
    assert not wrong, "\n".join(wrong)


def test_every_role_gets_the_expected_status_on_every_url(world, roles):
    endpoints = resolver_endpoints(world) + page_endpoints(world)
    mismatches = []
    checked = 0
    for endpoint in endpoints:
        name = access_class(endpoint.key)
        if name is None:
            continue  # reported by test_every_url_pattern_is_classified
        access = ACCESS_CLASSES[name]
        for index, role_name in enumerate(ROLES):
            role = roles[role_name]
            for method, expected in (
                ("get", access.get[index]),
                ("post", access.post[index]),
            ):
                if method == "post" and role_name == "staff" and expected == ANY:
                    continue  # Wagtail's and Django's own forms, for staff
                got = request(role, method, endpoint.path)
                checked += 1
                if not matches(expected, got):
                    mismatches.append(
                        f"{method.upper():4} {endpoint.path:60} {role_name:13} "
                        f"expected {expected:5} got {got}   [{name}: {endpoint.key}]"
                    )
    assert checked > 2000
    assert not mismatches, (
        f"{len(mismatches)} of {checked} requests got an unexpected status:\n"
        + "\n".join(mismatches)
    )


CSRF_CHECKED_CLASSES = {
    "member",
    "member-action",
    "owner",
    "expert-action",
    "staff-action",
    "case",
    "comments-post",
    "api-member",
    "api-member-read",
    "api-member-action",
    "api-expert-action",
    "api-staff",
    "wagtail-admin-ours",
    "wagtail-admin-ours-action",
}


def test_signed_in_posts_without_a_csrf_token_are_refused(world, roles):
    """Every write of ours that a session may make checks the CSRF token:
    the same POSTs as above, as the role allowed to make them, but from a
    client that sends no token, get 403."""
    endpoints = resolver_endpoints(world) + page_endpoints(world)
    allowed = []
    for endpoint in endpoints:
        name = access_class(endpoint.key)
        if name not in CSRF_CHECKED_CLASSES:
            continue
        role = roles["staff" if name.startswith(("wagtail", "api-staff")) else "member"]
        client = role.client(enforce_csrf_checks=True, csrf=False)
        cache.clear()
        with transaction.atomic():
            response = client.post(endpoint.path)
            transaction.set_rollback(True)
        # 404: the view hides the object from this role before any write.
        if response.status_code not in (403, 404):
            allowed.append(f"{endpoint.path} [{name}] -> {response.status_code}")
    assert not allowed, "POSTs accepted without a CSRF token:\n" + "\n".join(allowed)


@pytest.mark.parametrize("provider", ["google", "facebook", "github", "twitter_oauth2"])
def test_an_unconfigured_social_provider_answers_404_not_a_server_error(
    provider, client, home
):
    """Providers without credentials are not offered, but their URLs exist;
    they used to raise SocialApp.DoesNotExist (a 500)."""
    assert client.get(f"/en/accounts/{provider}/login/").status_code == 404
    assert client.get(f"/en/accounts/{provider}/login/callback/").status_code == 404


def test_the_dutch_prefix_gets_the_same_answers_as_the_english_one(world, roles):
    """i18n_patterns serve each page under /en/ and /nl/: the same checks
    apply under both (the matrix above walks /en/)."""
    different = []
    for endpoint in resolver_endpoints(world):
        if not endpoint.path.startswith("/en/"):
            continue
        dutch = "/nl/" + endpoint.path.removeprefix("/en/")
        for role_name in ("anonymous", "member"):
            role = roles[role_name]
            english = request(role, "get", endpoint.path)
            got = request(role, "get", dutch)
            if got != english:
                different.append(f"{role_name:9} {dutch}: {got} (English: {english})")
    assert not different, "\n".join(different)
