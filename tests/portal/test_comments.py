import django_comments
import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django_comments_xtd.models import XtdComment

from portal.core.comments import comments_enable
from portal.pages.models import HomePage

pytestmark = pytest.mark.django_db


@pytest.fixture
def commentable(home):
    comments_enable(HomePage)
    return home


def _post(client, target, text, **extra):
    form = django_comments.get_form()(target)
    data = {**form.initial, "comment": text, "followup": "on", "reply_to": 0, **extra}
    data.pop("honeypot", None)
    return client.post("/comments/post/", data)


def _render(target, user):
    request = RequestFactory().get("/en/")
    request.user = user
    template = Template('{% include "components/comments.html" with object=target %}')
    return template.render(
        Context({"target": target, "request": request, "user": user})
    )


def test_member_posts_a_threaded_comment(member_client, member, commentable):
    response = _post(member_client, commentable, "Great idea!")
    assert response.status_code == 302
    first = XtdComment.objects.get()
    assert first.user == member and first.is_public
    assert first.name == member.public_name

    _post(member_client, commentable, "A reply", reply_to=first.pk)
    reply = XtdComment.objects.exclude(pk=first.pk).get()
    assert reply.parent_id == first.pk and reply.level == 1


def test_anonymous_visitor_cannot_comment(client, commentable):
    _post(client, commentable, "Spam")
    assert not XtdComment.objects.filter(is_public=True).exists()


def test_comment_include_renders_thread_and_escapes_html(member, commentable):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sites.models import Site

    XtdComment.objects.create(
        content_type=ContentType.objects.get_for_model(commentable),
        object_pk=str(commentable.pk),
        site=Site.objects.get_current(),
        user=member,
        comment="<script>alert(1)</script> hello",
    )
    html = _render(commentable, member)
    assert "hello" in html and "<script>alert(1)" not in html
    assert 'name="comment"' in html
    anonymous = _render(commentable, AnonymousUser())
    assert 'name="comment"' not in anonymous and "Log in" in anonymous


def test_link_heavy_comment_waits_for_moderation(member_client, commentable):
    text = "buy http://a.example http://b.example http://c.example"
    _post(member_client, commentable, text)
    comment = XtdComment.objects.get()
    assert comment.is_public is False


def test_member_can_flag_a_comment(member_client, other_member, commentable, client):
    client.force_login(other_member)
    _post(client, commentable, "Rude words")
    comment = XtdComment.objects.get()
    response = member_client.post(f"/comments/flag/{comment.pk}/")
    assert response.status_code == 302
    assert comment.flags.filter(flag="removal suggestion").exists()


def test_enough_reports_hide_a_comment(client, other_member, commentable, settings):
    from tests.factories import UserFactory

    settings.COMMENTS_FLAGS_TO_HIDE = 2
    client.force_login(other_member)
    _post(client, commentable, "Something rude")
    comment = XtdComment.objects.get()
    for reporter in UserFactory.create_batch(2):
        client.force_login(reporter)
        client.post(f"/comments/flag/{comment.pk}/")
    comment.refresh_from_db()
    assert comment.is_public is False


def test_commenting_is_rate_limited(member_client, commentable, settings):
    settings.COMMENTS_POST_RATE = "2/m"
    responses = [
        _post(member_client, commentable, f"Comment number {n}") for n in range(3)
    ]
    assert [r.status_code for r in responses] == [302, 302, 429]
    assert XtdComment.objects.count() == 2


def test_the_comments_json_api_is_switched_off(client, db):
    # It would list comments on hidden ideas and private cases to anyone.
    assert client.get("/comments/api/ideas-idea/1/").status_code == 404
    assert client.get("/comments/api/experts-answer/1/count/").status_code == 404
