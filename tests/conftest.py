import json
import os

import pytest
from django.core.cache import cache
from wagtail.models import Locale, Page, Site

from portal.pages.models import CommunitySettings, FocusArea, HomePage

from .factories import StaffFactory, UserFactory


def service_required(name: str) -> None:
    """Skip when a real service is not configured, but fail loudly in CI."""
    message = f"{name} is not configured for this run"
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI must run against it.")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_semantic_index():
    """Each test starts with an empty in-memory index (the model stays loaded)."""
    from portal import semantic

    semantic.reset_store()
    yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def home(db) -> HomePage:
    """An English home page with its Dutch translation, as the site root."""
    en, _ = Locale.objects.get_or_create(language_code="en")
    nl, _ = Locale.objects.get_or_create(language_code="nl")
    root = Page.get_first_root_node()
    if root is None:
        # A transactional test flushed the tree Wagtail's migration made.
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=en))
    for child in root.get_children():
        child.delete()
    home = HomePage(
        title="Welcome",
        slug="home",
        intro="Our community",
        locale=en,
        body=json.dumps(
            [
                {
                    "type": "latest_ideas",
                    "value": {"heading": "Latest ideas", "limit": 3, "empty_text": ""},
                }
            ]
        ),
    )
    root.add_child(instance=home)
    home.save_revision().publish()
    Site.objects.all().delete()
    Site.objects.create(hostname="testserver", root_page=home, is_default_site=True)
    home_nl = home.copy_for_translation(nl).specific
    home_nl.title = "Welkom"
    home_nl.save_revision().publish()
    return home


@pytest.fixture
def community_settings(home) -> CommunitySettings:
    cs = CommunitySettings.for_site(Site.objects.get(is_default_site=True))
    cs.brand_name = "Vonk"
    cs.save()
    FocusArea.objects.create(
        settings=cs, name="Billing", name_nl="Facturen", slug="billing"
    )
    return cs


@pytest.fixture
def member(db):
    return UserFactory(username="sanne", display_name="Sanne")


@pytest.fixture
def other_member(db):
    return UserFactory(username="joost", display_name="Joost")


@pytest.fixture
def staff(db):
    return StaffFactory(username="eva", display_name="Eva")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client
