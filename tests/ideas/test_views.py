import pytest

from ideas import services
from ideas.models import Idea, Vote
from tests.factories import UserFactory, make_idea

pytestmark = pytest.mark.django_db


def test_index_lists_ideas_with_sorting_and_filters(
    client, ideas_page, community_settings
):
    from portal.pages.models import FocusArea

    billing = FocusArea.objects.get(slug="billing")
    a = make_idea(title="Pay my bill by iDEAL", focus_area=billing, tags=["payments"])
    b = make_idea(title="Dark mode in the app")
    for user in UserFactory.create_batch(3):
        services.idea_vote(idea=b, user=user)
    response = client.get("/en/ideas/", {"sort": "top"})
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index(b.title) < content.index(a.title)
    filtered = client.get("/en/ideas/", {"focus_area": "billing"}).content.decode()
    assert a.title in filtered and b.title not in filtered
    tagged = client.get("/en/ideas/", {"tag": "payments"}).content.decode()
    assert a.title in tagged and b.title not in tagged
    found = client.get("/en/ideas/", {"q": "iDEAL"}).content.decode()
    assert a.title in found and b.title not in found


def test_index_survives_hostile_query_strings(client, ideas_page):
    for params in [
        {"sort": "'; DROP TABLE ideas_idea; --"},
        {"status": "<script>"},
        {"page": "-1"},
        {"page": "99999"},
        {"focus_area": "x" * 500},
    ]:
        assert client.get("/en/ideas/", params).status_code == 200
    # A NUL is refused before the view (portal.core.middleware).
    assert client.get("/en/ideas/", {"q": "\x00" * 10}).status_code == 400


def test_index_query_count_does_not_grow_with_ideas(
    client, member, ideas_page, django_assert_max_num_queries
):
    for n in range(3):
        make_idea(title=f"Idea number {n} for the list", tags=["a", "b"])
    client.force_login(member)
    client.get("/en/ideas/")
    with django_assert_max_num_queries(24) as small:
        client.get("/en/ideas/")
    for n in range(25):
        make_idea(title=f"Another idea number {n}", tags=["c"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/en/ideas/").status_code == 200


def test_detail_shows_official_response_history_and_comments(client, ideas_page, staff):
    idea = make_idea()
    services.idea_respond(
        idea=idea, by=staff, status="planned", response="**Coming in March**"
    )
    response = client.get(f"/en/ideas/{idea.pk}-{idea.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Official response" in html and "<strong>Coming in March</strong>" in html
    assert "Planned" in html
    assert "Log in to join the discussion." in html


def test_detail_query_count_does_not_grow_with_comments(
    client, member, ideas_page, django_assert_max_num_queries
):
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sites.models import Site
    from django_comments_xtd.models import XtdComment

    idea = make_idea()
    ct = ContentType.objects.get_for_model(Idea)

    def add_comments(n):
        for i in range(n):
            XtdComment.objects.create(
                content_type=ct,
                object_pk=str(idea.pk),
                site=Site.objects.get_current(),
                user=UserFactory(),
                comment=f"comment {i}",
            )

    add_comments(2)
    client.force_login(member)
    url = f"/en/ideas/{idea.pk}/"
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    add_comments(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_merged_idea_redirects_to_the_original(client, ideas_page, staff):
    a, b = make_idea(), make_idea(title="The original idea")
    services.idea_merge(source=a, target=b, by=staff)
    response = client.get(f"/en/ideas/{a.pk}-{a.slug}/")
    assert response.status_code == 301
    assert response.url == f"/en/ideas/{b.pk}-{b.slug}/"


def test_hidden_idea_is_only_visible_to_author_and_staff(client, ideas_page, staff):
    author = UserFactory()
    idea = make_idea(author=author)
    services.idea_set_hidden(idea=idea, by=staff, hidden=True, reason="review")
    url = f"/en/ideas/{idea.pk}/"
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(author)
    assert client.get(url).status_code == 200
    client.force_login(staff)
    assert client.get(url).status_code == 200


def test_vote_without_javascript_redirects_back(client, member, ideas_page):
    idea = make_idea()
    client.force_login(member)
    response = client.post(f"/en/ideas/{idea.pk}/vote/")
    assert response.status_code == 302
    assert Vote.objects.filter(idea=idea, user=member).exists()
    client.post(f"/en/ideas/{idea.pk}/vote/", {"action": "unvote"})
    assert not Vote.objects.filter(idea=idea, user=member).exists()


def test_vote_with_htmx_returns_the_button(client, member, ideas_page):
    idea = make_idea()
    client.force_login(member)
    response = client.post(f"/en/ideas/{idea.pk}/vote/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'aria-pressed="true"' in response.content
    assert b">1<" in response.content


def test_vote_permissions(client, ideas_page, member):
    idea = make_idea()
    assert client.get(f"/en/ideas/{idea.pk}/vote/").status_code == 405
    response = client.post(f"/en/ideas/{idea.pk}/vote/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not Vote.objects.exists()
    assert client.post("/en/ideas/99999/vote/").status_code == 302
    client.force_login(member)
    assert client.post("/en/ideas/99999/vote/").status_code == 404


def test_vote_on_locked_idea_shows_a_clear_message(client, member, staff, ideas_page):
    idea = make_idea()
    services.idea_set_locked(idea=idea, by=staff, locked=True)
    client.force_login(member)
    response = client.post(f"/en/ideas/{idea.pk}/vote/", follow=True)
    assert b"Voting on this idea is closed." in response.content
    assert not Vote.objects.exists()


def test_vote_rate_limit(client, member, ideas_page, settings):
    settings.IDEAS_VOTE_RATE = "2/m"
    ideas = [make_idea(title=f"Rate limited idea {n}") for n in range(3)]
    client.force_login(member)
    for idea in ideas:
        client.post(f"/en/ideas/{idea.pk}/vote/", HTTP_HX_REQUEST="true")
    assert Vote.objects.filter(user=member).count() == 2


def test_submit_requires_login(client, ideas_page):
    response = client.get("/en/ideas/new/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_member_submits_an_idea(client, member, ideas_page, community_settings):
    client.force_login(member)
    assert client.get("/en/ideas/new/").status_code == 200
    response = client.post(
        "/en/ideas/new/",
        {
            "title": "Show my solar yield per day",
            "body": "A daily chart in the app would help me a lot.",
            "focus_area": "billing",
            "tags": "solar, app",
        },
    )
    idea = Idea.objects.get()
    assert response.status_code == 302
    assert response.url == f"/en/ideas/{idea.pk}-{idea.slug}/"
    assert idea.focus_area.slug == "billing" and idea.language == "en"


HOSTILE = [
    ({"title": "", "body": "x" * 40}, "title"),
    (
        {
            "title": "<script>alert(1)</script>",
            "body": "<img src=x onerror=alert(1)>" * 3,
        },
        None,
    ),
    ({"title": "A" * 5000, "body": "x" * 40}, "title"),
    ({"title": "Fine title here", "body": "x" * 20000}, "body"),
    (
        {"title": "' OR 1=1; --", "body": "'; DROP TABLE ideas_idea; -- long enough"},
        None,
    ),
    ({"title": "\u202e\u200b\ufeff Zero width", "body": "🌱" * 30}, None),
    (
        {"title": "Fine title here", "body": "x" * 40, "focus_area": "nope"},
        "focus_area",
    ),
]


@pytest.mark.parametrize(("data", "error_field"), HOSTILE)
def test_submit_handles_hostile_input(client, member, ideas_page, data, error_field):
    client.force_login(member)
    response = client.post("/en/ideas/new/", data)
    assert response.status_code in (302, 400)
    if error_field:
        assert response.status_code == 400
        assert error_field in response.context["form"].errors
        assert not Idea.objects.exists()
    for idea in Idea.objects.all():
        assert "<script" not in idea.body_html and "<img" not in idea.body_html
        page = client.get(f"/en/ideas/{idea.pk}/").content.decode()
        assert "<script>alert(1)</script>" not in page


def test_similar_ideas_appear_while_typing(client, ideas_page, member):
    make_idea(title="Dark mode in the Vonk app")
    make_idea(title="Pay the monthly bill by iDEAL")
    client.force_login(member)
    response = client.get("/en/ideas/similar/", {"title": "dark theme for the app"})
    assert response.status_code == 200
    assert b"Dark mode in the Vonk app" in response.content
    assert b"Vote for this instead" in response.content
    # Weak matches are cut relative to the best one.
    assert b"Pay the monthly bill by iDEAL" not in response.content
    assert client.get("/en/ideas/similar/", {"title": "ab"}).content.strip() == b""


def test_follow_and_unfollow(client, member, ideas_page):
    idea = make_idea()
    client.force_login(member)
    client.post(f"/en/ideas/{idea.pk}/follow/")
    assert idea.follows.filter(user=member).exists()
    client.post(f"/en/ideas/{idea.pk}/follow/", {"action": "unfollow"})
    assert not idea.follows.filter(user=member).exists()


def test_flag_from_the_page(client, member, ideas_page):
    idea = make_idea()
    client.force_login(member)
    client.post(f"/en/ideas/{idea.pk}/flag/", {"reason": "spam"})
    assert idea.flags.filter(user=member).exists()
    response = client.post(
        f"/en/ideas/{idea.pk}/flag/", {"reason": "nonsense"}, follow=True
    )
    assert response.status_code == 200


def test_roadmap_and_ideas_in_action(client, ideas_page, staff):
    planned, launched = (
        make_idea(title="Planned thing here"),
        make_idea(title="Launched thing here"),
    )
    services.idea_respond(idea=planned, by=staff, status="planned")
    services.idea_respond(idea=launched, by=staff, status="launched", response="Live!")
    roadmap = client.get("/en/ideas/roadmap/").content.decode()
    assert planned.title in roadmap and launched.title not in roadmap
    in_action = client.get("/en/ideas/in-action/").content.decode()
    assert launched.title in in_action and planned.title not in in_action


def test_atom_feeds(client, ideas_page, staff):
    idea = make_idea(title="Feed me this idea")
    services.idea_respond(idea=idea, by=staff, status="planned", response="Yes")
    new = client.get("/en/ideas/feed/")
    assert new.status_code == 200 and new["Content-Type"].startswith(
        "application/atom+xml"
    )
    assert b"Feed me this idea" in new.content
    status = client.get("/en/ideas/feed/status/")
    assert b"Planned" in status.content


def test_comment_on_idea_counts_and_notifies_followers(
    client, member, other_member, ideas_page, django_capture_on_commit_callbacks
):
    import django_comments

    from portal.notifications.models import Notification

    idea = make_idea(author=other_member)
    client.force_login(member)
    form = django_comments.get_form()(idea)
    data = {**form.initial, "comment": "Yes please!", "reply_to": 0}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/comments/post/", data)
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.comment_count == 1
    assert idea.follows.filter(user=member).exists()
    assert Notification.objects.filter(
        recipient=other_member, kind__startswith="idea.comment"
    ).exists()


def test_comments_are_closed_on_locked_ideas(client, member, staff, ideas_page):
    import django_comments
    from django_comments_xtd.models import XtdComment

    idea = make_idea()
    services.idea_set_locked(idea=idea, by=staff, locked=True)
    client.force_login(member)
    form = django_comments.get_form()(idea)
    client.post("/comments/post/", {**form.initial, "comment": "x", "reply_to": 0})
    assert not XtdComment.objects.filter(is_public=True).exists()


def test_home_page_lists_latest_ideas(client, ideas_page):
    make_idea(title="Home page idea here")
    assert b"Home page idea here" in client.get("/en/").content


def test_visitors_get_a_login_link_and_a_cached_list(
    client, ideas_page, django_assert_max_num_queries
):
    make_idea(title="Cached list idea here")
    first = client.get("/en/ideas/")
    assert b'class="vote-button" href="/en/accounts/login/?next=' in first.content
    assert b"csrfmiddlewaretoken" not in first.content.split(b'id="idea-list"')[1]
    with django_assert_max_num_queries(16) as cached:
        second = client.get("/en/ideas/")
    assert second.content.count(b"Cached list idea here") == 1
    assert not any(
        'FROM "ideas_idea"' in q["sql"] and "LIMIT" in q["sql"] for q in cached
    )
