import pytest

from ideas.models import Idea, IdeaMerge
from tests.factories import make_idea

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/admin/snippets/ideas/idea/",
        "/admin/ideas-console/merges/",
    ],
)
def test_staff_console_permissions(client, member, staff, ideas_page, path):
    assert client.get(path).status_code == 302
    client.force_login(member)
    assert client.get(path).status_code in (302, 403)
    client.force_login(staff)
    assert client.get(path).status_code == 200


def test_staff_list_filters(staff_client, ideas_page):
    make_idea(title="Flagged idea for admin")
    response = staff_client.get("/admin/snippets/ideas/idea/", {"status": "new"})
    assert response.status_code == 200
    assert b"Flagged idea for admin" in response.content


def test_staff_responds_from_the_admin(staff_client, member, ideas_page):
    idea = make_idea()
    url = f"/admin/ideas-console/{idea.pk}/respond/"
    client_member = staff_client.__class__()
    client_member.force_login(member)
    assert client_member.post(url, {"status": "planned"}).status_code in (302, 403)
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url, {"status": "planned", "response": "Yes!", "admits_mistake": ""}
    )
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.status == "planned"


def test_staff_merges_and_undoes_from_the_admin(staff_client, ideas_page):
    a, b = make_idea(), make_idea(title="The original for merging")
    assert staff_client.get(f"/admin/ideas-console/{a.pk}/merge/").status_code == 200
    bad = staff_client.post(f"/admin/ideas-console/{a.pk}/merge/", {"target": 999999})
    assert bad.status_code == 200 and not IdeaMerge.objects.exists()
    staff_client.post(f"/admin/ideas-console/{a.pk}/merge/", {"target": b.pk})
    merge = IdeaMerge.objects.get()
    assert Idea.objects.get(pk=a.pk).merged_into_id == b.pk
    staff_client.post(f"/admin/ideas-console/merges/{merge.pk}/undo/")
    assert Idea.objects.get(pk=a.pk).merged_into_id is None


def test_bulk_status_change(staff_client, ideas_page):
    ideas = [make_idea(title=f"Bulk idea number {n}") for n in range(3)]
    ids = "&".join(f"id={i.pk}" for i in ideas)
    url = (
        f"/admin/bulk/ideas/idea/change_status/?{ids}&next=/admin/snippets/ideas/idea/"
    )
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"status": "under_review", "response": ""})
    assert response.status_code == 302
    assert set(Idea.objects.values_list("status", flat=True)) == {"under_review"}


def test_admin_edit_keeps_a_revision(staff_client, ideas_page):
    idea = make_idea(title="Before the admin edit")
    url = f"/admin/snippets/ideas/idea/edit/{idea.pk}/"
    assert staff_client.get(url).status_code == 200


def test_ban_author_from_the_admin(staff_client, member, ideas_page):
    idea = make_idea(author=member)
    staff_client.post(f"/admin/ideas-console/{idea.pk}/ban/", {"reason": "Spam"})
    member.refresh_from_db()
    idea.refresh_from_db()
    assert not member.is_active and idea.is_hidden
