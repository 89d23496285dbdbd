import pytest

from listening import services
from listening.connectors import RawMention
from listening.models import Source, Tracker

pytestmark = pytest.mark.django_db

LISTS = [
    "/admin/listening/sources/",
    "/admin/listening/trackers/",
    "/admin/listening/mentions/",
]


@pytest.fixture
def mentions():
    source = Source.objects.create(name="Forum", kind="rss", url="http://x.test/")
    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    services.mention_upsert_batch(
        source=source,
        raw_mentions=[
            RawMention(external_id=str(n), text=f"Vonk post number {n} about bills")
            for n in range(30)
        ],
    )
    return source


@pytest.mark.parametrize("url", LISTS)
def test_staff_see_the_listening_console(
    staff_client, mentions, url, django_assert_max_num_queries
):
    with django_assert_max_num_queries(11):
        response = staff_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("url", LISTS)
def test_members_and_visitors_are_kept_out(client, member_client, url, mentions):
    assert client.get(url).status_code == 302
    assert member_client.get(url).status_code in (302, 403)


def test_mentions_cannot_be_added_or_edited_by_hand(staff_client, mentions):
    mention = mentions.mentions.first()
    assert staff_client.get("/admin/listening/mentions/add/").status_code in (
        302,
        403,
    )
    edit = staff_client.get(f"/admin/listening/mentions/edit/{mention.pk}/")
    assert edit.status_code in (302, 403)
    inspect = staff_client.get(f"/admin/listening/mentions/inspect/{mention.pk}/")
    assert inspect.status_code == 200


def test_source_health_is_shown(staff_client, mentions):
    html = staff_client.get("/admin/listening/sources/").content.decode()
    assert "Forum" in html
    assert "30" in html  # mentions fetched
