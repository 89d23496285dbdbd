import json

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Locale, Page

from portal.pages import sections
from portal.pages.models import FaqPage, FocusArea, HomePage, StandardPage

pytestmark = pytest.mark.django_db


def test_home_page_renders_with_empty_community_sections(client, home):
    response = client.get("/en/")
    assert response.status_code == 200
    assert b"Latest ideas" in response.content
    assert b"Nothing here yet." in response.content


def test_home_page_shows_what_an_app_registers_for_a_section(client, home):
    sections.register_home_section(
        "latest_ideas",
        items=lambda request, limit: [f"Idea {n}" for n in range(limit)],
        item_template="pages/tests/plain_item.html",
    )
    try:
        response = client.get("/en/")
    finally:
        sections._providers.pop("latest_ideas")
    assert b"Idea 0" in response.content and b"Idea 2" in response.content
    assert b"Idea 3" not in response.content


def test_dutch_home_page_is_served_under_nl(client, home):
    response = client.get("/nl/")
    assert response.status_code == 200
    assert b"Welkom" in response.content
    assert b'lang="nl"' in response.content


def test_standard_page_renders_rich_text_body(client, home):
    page = StandardPage(
        title="Community guidelines",
        slug="guidelines",
        intro="Be kind",
        body=json.dumps([{"type": "text", "value": "<p>No spam please.</p>"}]),
        show_in_footer=True,
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    response = client.get("/en/guidelines/")
    assert response.status_code == 200
    assert b"No spam please." in response.content
    # Footer pages are linked from every page.
    assert b'href="/en/guidelines/"' in client.get("/en/").content


def test_faq_page_lists_questions_and_exposes_entries(client, home):
    page = FaqPage(
        title="FAQ",
        slug="faq",
        items=json.dumps(
            [
                {
                    "type": "faq",
                    "value": {
                        "question": "How do I move?",
                        "answer": "<p>Enter your readings.</p>",
                        "keywords": "verhuizen",
                    },
                }
            ]
        ),
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    response = client.get("/en/faq/")
    assert b"How do I move?" in response.content
    entries = FaqPage.objects.get(pk=page.pk).faq_entries()
    assert entries[0]["question"] == "How do I move?"
    assert "Enter your readings." in entries[0]["answer_html"]
    assert entries[0]["keywords"] == "verhuizen"


def test_focus_area_label_follows_the_language(community_settings):
    from django.utils import translation

    area = FocusArea.objects.get(slug="billing")
    with translation.override("nl"):
        assert area.label == "Facturen"
    with translation.override("en"):
        assert area.label == "Billing"
    assert area.target_hours() == community_settings.first_answer_target_hours


def test_site_settings_render_brand_name(client, community_settings):
    assert b"Vonk" in client.get("/en/").content


def test_search_finds_published_pages_in_the_current_language(client, home):
    page = StandardPage(title="Solar panels explained", slug="solar", intro="Inverters")
    home.add_child(instance=page)
    page.save_revision().publish()
    response = client.get("/en/search/", {"q": "solar"})
    assert response.status_code == 200
    assert b"Solar panels explained" in response.content


def test_search_survives_hostile_input(client, home):
    for query in [
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "x" * 5000,
        "\x1f",
        "🌱" * 50,
    ]:
        response = client.get("/en/search/", {"q": query})
        assert response.status_code == 200
        assert b"<script>alert(1)</script>" not in response.content
    # A NUL is refused before the view (portal.core.middleware).
    assert client.get("/en/search/", {"q": "\x00\x1f"}).status_code == 400


def test_seed_demo_builds_a_bilingual_community_and_is_safe_to_run_twice(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (Page.objects.count(), FocusArea.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Page.objects.count(), FocusArea.objects.count()) == counts
    nl = Locale.objects.get(language_code="nl")
    assert HomePage.objects.filter(locale=nl).exists()
    assert FocusArea.objects.count() == 5
    assert client.get("/en/").status_code == 200
    assert "Welkom" in client.get("/nl/").content.decode()
    assert client.get("/nl/communityregels/").status_code == 200
    assert client.get("/en/faq/").status_code == 200
    # Webcare: the staff-only guidelines page in both languages, linked from
    # the site's webcare settings, and an inbox with work in it.
    from listening.models import Mention
    from listening.pages import WebcareGuidelinesPage
    from listening.webcare import webcare_settings

    assert WebcareGuidelinesPage.objects.count() == 2
    assert webcare_settings().guidelines_page is not None
    assert client.get("/en/webcare-guidelines/").status_code == 404
    assert Mention.objects.filter(status="assigned").count() == 2
    assert Mention.objects.filter(due_at__lt=timezone.now()).exists()


def test_home_page_query_count_is_pinned(client, home, django_assert_max_num_queries):
    client.get("/en/")
    with django_assert_max_num_queries(14):
        assert client.get("/en/").status_code == 200


def test_search_query_count_is_pinned(client, home, django_assert_max_num_queries):
    client.get("/en/search/", {"q": "welcome"})
    with django_assert_max_num_queries(16):
        assert client.get("/en/search/", {"q": "welcome"}).status_code == 200
