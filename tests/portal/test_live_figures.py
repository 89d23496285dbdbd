"""The public accountability block: live figures from the report registry."""

import json

import pytest
from django.core.cache import cache
from wagtail.models import Locale

from portal.core import reports
from portal.core.reports import Figure, PublicFigure
from portal.pages import demo_content
from portal.pages.blocks import (
    LiveFiguresBlock,
    live_figure_cache_key,
    public_figure_choices,
)
from portal.pages.management.commands.seed_demo import Command
from portal.pages.models import StandardPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(monkeypatch):
    """Two registered test figures; their compute calls are counted."""
    calls = {"launched": 0, "speed": 0, "broken": 0}

    def launched() -> Figure:
        calls["launched"] += 1
        return Figure("t-launched", "Staff label", 1234)

    def speed() -> Figure:
        calls["speed"] += 1
        return Figure("t-speed", "Staff label", 2.5, unit="d", help="Staff help")

    def broken() -> Figure:
        calls["broken"] += 1
        raise RuntimeError("database on fire")

    for key, label, compute, help_text in [
        ("t_launched", "Ideas launched (test)", launched, "Since 1 January."),
        ("t_speed", "Days to a response (test)", speed, ""),
        ("t_broken", "Broken figure (test)", broken, ""),
    ]:
        monkeypatch.setitem(
            reports._public_figures,
            key,
            PublicFigure(key, label, compute, help_text),
        )
    return calls


def _page(home, keys, slug="how-we-listen") -> StandardPage:
    page = StandardPage(
        title="How we listen",
        slug=slug,
        intro="What we do with your ideas.",
        body=json.dumps(
            [
                {
                    "type": "live_figures",
                    "value": {
                        "heading": "The figures",
                        "intro": "Updated every few minutes.",
                        "figures": keys,
                    },
                }
            ]
        ),
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def _block_html(response) -> str:
    html = response.content.decode()
    start = html.index('<section class="live-figures">')
    return html[start : html.index("</section>", start)]


def test_block_renders_registered_figures_and_skips_unknown_keys(client, home, figures):
    _page(home, ["t_launched", "no_such_figure", "t_speed", "t_launched"])

    response = client.get("/en/how-we-listen/")  # anonymous: the page is public

    assert response.status_code == 200
    block = _block_html(response)
    assert "<dl" in block and "<dt>Ideas launched (test)</dt>" in block
    # The value is the compute function's, formatted as the staff reports do.
    assert Figure("x", "x", 1234).display == "1,234"
    assert '<dd class="live-figure-value">1,234</dd>' in block
    assert '<dd class="live-figure-value">2.5 d</dd>' in block
    # The registered help text wins over the staff help; else the figure's.
    assert "Since 1 January." in block and "Staff help" in block
    assert "Staff label" not in block
    assert "no_such_figure" not in block
    assert block.count("Ideas launched (test)") == 1  # a repeated key shows once
    assert block.index("Ideas launched") < block.index("Days to a response")
    assert "As of" in block and "<time datetime=" in block
    assert "<script" not in block  # CSP: nothing inline


def test_figures_are_cached_per_figure_and_language(client, home, figures):
    page = _page(home, ["t_launched", "t_speed"])
    nl = Locale.objects.get(language_code="nl")
    page_nl = page.copy_for_translation(nl).specific
    page_nl.slug = "zo-luisteren-we"
    page_nl.save_revision().publish()

    client.get("/en/how-we-listen/")
    client.get("/en/how-we-listen/")
    assert figures == {"launched": 1, "speed": 1, "broken": 0}
    assert cache.get(live_figure_cache_key("t_launched", "en"))["display"] == "1,234"

    response = client.get("/nl/zo-luisteren-we/")
    assert response.status_code == 200
    assert figures["launched"] == 2  # Dutch has its own entry: "1.234"
    assert '<dd class="live-figure-value">1.234</dd>' in _block_html(response)
    assert 'lang="nl"' in response.content.decode()

    cache.clear()
    client.get("/en/how-we-listen/")
    assert figures["launched"] == 3


def test_a_failing_figure_is_left_out_and_not_cached(client, home, figures):
    _page(home, ["t_broken", "t_speed"])

    for _ in range(2):
        response = client.get("/en/how-we-listen/")
        assert response.status_code == 200
    block = _block_html(response)
    assert "Broken figure" not in block and "Days to a response" in block
    assert figures["broken"] == 2


def test_no_known_figure_shows_an_empty_state(client, home, figures):
    _page(home, ["no_such_figure"])

    block = _block_html(client.get("/en/how-we-listen/"))

    assert "<dl" not in block and "not available right now" in block


def test_editors_choose_from_the_registry_at_runtime(figures, monkeypatch):
    choices = dict(public_figure_choices())
    assert choices["t_launched"] == "Ideas launched (test)"

    monkeypatch.setitem(
        reports._public_figures,
        "t_late",
        PublicFigure("t_late", "Registered later", lambda: Figure("x", "x", 1)),
    )
    field = LiveFiguresBlock().child_blocks["figures"].child_block.field
    assert "t_late" in [key for key, _label in field.choices]


def test_cached_page_stays_within_its_query_budget(
    client, home, figures, django_assert_max_num_queries
):
    _page(home, ["t_launched", "t_speed"])
    client.get("/en/how-we-listen/")
    with django_assert_max_num_queries(14):
        assert client.get("/en/how-we-listen/").status_code == 200


def test_demo_page_shows_the_registered_community_figures(client, home):
    nl = Locale.objects.get(language_code="nl")
    Command()._accountability(home, nl)
    Command()._accountability(home, nl)  # idempotent

    pages = StandardPage.objects.filter(slug__in=["how-we-listen", "zo-luisteren-we"])
    assert pages.count() == 2
    # The demo names figures the apps really register (no typo'd keys).
    for key in demo_content.PUBLIC_FIGURES:
        assert reports.public_figure(key) is not None, key

    response = client.get("/en/how-we-listen/")
    assert response.status_code == 200
    block = _block_html(response)
    for key in demo_content.PUBLIC_FIGURES:
        figure = reports.public_figure(key)
        assert str(figure.label) in block
        # Same number as the code behind the staff reports.
        assert figure.compute().display.replace("'", "&#x27;") in block
    response_nl = client.get("/nl/zo-luisteren-we/")
    assert response_nl.status_code == 200
    assert "Vonk luistert" in response_nl.content.decode()


def test_editors_can_open_the_page_with_the_block(client, home, figures):
    from tests.factories import StaffFactory

    page = _page(home, ["t_launched"])
    client.force_login(StaffFactory())

    response = client.get(f"/admin/pages/{page.pk}/edit/")

    assert response.status_code == 200
    assert "Ideas launched (test)" in response.content.decode()
