import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from ideas import services
from ideas.models import Idea, IdeaFollow, IdeaMerge, IdeaStatus, StatusChange, Vote
from tests.factories import UserFactory, make_idea

pytestmark = pytest.mark.django_db


def test_submitting_an_idea_sanitises_markdown_and_follows_it(member):
    idea = make_idea(
        author=member,
        title="  Show   solar yield\x07 per day ",
        body="**Bold** <script>alert(1)</script> [x](javascript:alert(2))",
        tags=["Solar", "app", "solar"],
    )
    assert idea.title == "Show solar yield per day"
    assert "<strong>Bold</strong>" in idea.body_html
    assert "<script" not in idea.body_html
    assert 'href="javascript' not in idea.body_html
    assert sorted(t.name for t in idea.tags.all()) == ["app", "solar"]
    assert IdeaFollow.objects.filter(idea=idea, user=member).exists()
    assert idea.history.get().to_status == IdeaStatus.NEW


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", "A long enough description here", "title"),
        ("short", "A long enough description here", "title"),
        ("x" * 141, "A long enough description here", "title"),
        ("A perfectly fine title", "", "body"),
        ("A perfectly fine title", "too short", "body"),
        ("A perfectly fine title", "y" * 10001, "body"),
        ("\x00\x01\x02\x03\x04\x05\x06\x07\x08", "A long enough description", "title"),
    ],
)
def test_bad_idea_input_is_refused_and_nothing_is_stored(member, title, body, field):
    with pytest.raises(ValidationError) as excinfo:
        services.idea_submit(author=member, title=title, body=body)
    assert field in excinfo.value.message_dict
    assert not Idea.objects.exists()


def test_anonymous_cannot_submit():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.idea_submit(
            author=AnonymousUser(), title="A fine idea title", body="x" * 30
        )


def test_vote_once_and_count_is_exact(member, other_member):
    idea = make_idea()
    assert services.idea_vote(idea=idea, user=member) is True
    assert services.idea_vote(idea=idea, user=member) is False
    services.idea_vote(idea=idea, user=other_member)
    idea.refresh_from_db()
    assert idea.vote_count == 2
    assert services.idea_unvote(idea=idea, user=member) is True
    assert services.idea_unvote(idea=idea, user=member) is False
    idea.refresh_from_db()
    assert idea.vote_count == 1


def test_database_refuses_a_second_vote_row(member):
    idea = make_idea()
    Vote.objects.create(idea=idea, user=member)
    with pytest.raises(IntegrityError):
        Vote.objects.create(idea=idea, user=member)


def test_votes_raise_the_trending_score(member):
    idea = make_idea()
    before = Idea.objects.get(pk=idea.pk).trending_score
    for user in [member, *UserFactory.create_batch(9)]:
        services.idea_vote(idea=idea, user=user)
    assert Idea.objects.get(pk=idea.pk).trending_score == pytest.approx(before + 1.0)


@pytest.mark.parametrize("state", ["hidden", "locked", "declined", "launched"])
def test_cannot_vote_on_closed_ideas(member, staff, state):
    idea = make_idea()
    if state == "hidden":
        services.idea_set_hidden(idea=idea, by=staff, hidden=True)
    elif state == "locked":
        services.idea_set_locked(idea=idea, by=staff, locked=True)
    else:
        services.idea_respond(idea=idea, by=staff, status=state, response="Thanks")
    idea.refresh_from_db()
    with pytest.raises(ValidationError):
        services.idea_vote(idea=idea, user=member)
    assert not Vote.objects.filter(idea=idea, user=member).exists()


def test_staff_response_moves_status_and_notifies_followers(
    member, other_member, staff, django_capture_on_commit_callbacks
):
    from portal.notifications.models import Notification

    idea = make_idea(author=member)
    services.idea_vote(idea=idea, user=other_member)
    with django_capture_on_commit_callbacks(execute=True):
        change = services.idea_respond(
            idea=idea, by=staff, status="planned", response="We will build this."
        )
    idea.refresh_from_db()
    assert idea.status == "planned" and idea.has_official_response
    assert change.from_status == "new" and change.to_status == "planned"
    recipients = set(
        Notification.objects.filter(kind=f"idea.status:{change.pk}").values_list(
            "recipient_id", flat=True
        )
    )
    assert recipients == {member.pk, other_member.pk}


def test_notifying_twice_does_not_duplicate(member, staff):
    from ideas.notifications import status_change_notify

    idea = make_idea(author=member)
    change = services.idea_respond(idea=idea, by=staff, status="under_review")
    assert status_change_notify(status_change_id=change.pk) == 1
    assert status_change_notify(status_change_id=change.pk) == 0


def test_we_got_this_wrong_is_recorded_in_history(staff):
    idea = make_idea()
    services.idea_respond(
        idea=idea,
        by=staff,
        response="We removed this feature too quickly. It comes back next month.",
        admits_mistake=True,
    )
    entry = StatusChange.objects.filter(idea=idea).last()
    assert entry.admits_mistake and not entry.is_status_change


def test_only_staff_can_respond(member):
    idea = make_idea()
    with pytest.raises(PermissionDenied):
        services.idea_respond(idea=idea, by=member, status="planned")


def test_response_needs_a_change_or_words(staff):
    idea = make_idea()
    with pytest.raises(ValidationError):
        services.idea_respond(idea=idea, by=staff, status="new", response="")
    with pytest.raises(ValidationError):
        services.idea_respond(idea=idea, by=staff, admits_mistake=True)


def test_merge_moves_votes_without_double_counting_and_can_be_undone(staff):
    original = make_idea(title="Dark mode in the app")
    duplicate = make_idea(title="Please add a dark theme")
    both, only_dup, only_orig = UserFactory(), UserFactory(), UserFactory()
    for user in (both, only_dup):
        services.idea_vote(idea=duplicate, user=user)
    for user in (both, only_orig):
        services.idea_vote(idea=original, user=user)

    merge = services.idea_merge(source=duplicate, target=original, by=staff)
    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert original.vote_count == 3
    assert set(original.votes.values_list("user_id", flat=True)) == {
        both.pk,
        only_dup.pk,
        only_orig.pk,
    }
    assert duplicate.status == IdeaStatus.MERGED and duplicate.merged_into == original
    assert duplicate.vote_count == 0
    assert IdeaFollow.objects.filter(idea=original, user=duplicate.author).exists()

    services.idea_merge_undo(merge=merge, by=staff)
    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.status == IdeaStatus.NEW and duplicate.merged_into is None
    assert duplicate.vote_count == 2 and original.vote_count == 2
    assert IdeaMerge.objects.get().undone_at is not None
    with pytest.raises(ValidationError):
        services.idea_merge_undo(merge=merge, by=staff)


def test_merge_refuses_nonsense(staff, member):
    a, b = make_idea(), make_idea(title="Another idea entirely")
    with pytest.raises(ValidationError):
        services.idea_merge(source=a, target=a, by=staff)
    with pytest.raises(PermissionDenied):
        services.idea_merge(source=a, target=b, by=member)
    services.idea_merge(source=a, target=b, by=staff)
    c = make_idea(title="A third idea here")
    with pytest.raises(ValidationError):
        services.idea_merge(source=c, target=a, by=staff)


def test_merge_moves_comments(staff, member):
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sites.models import Site
    from django_comments_xtd.models import XtdComment

    a, b = make_idea(), make_idea(title="Another idea entirely")
    comment = XtdComment.objects.create(
        content_type=ContentType.objects.get_for_model(Idea),
        object_pk=str(a.pk),
        site=Site.objects.get_current(),
        user=member,
        comment="Me too",
    )
    merge = services.idea_merge(source=a, target=b, by=staff)
    comment.refresh_from_db()
    assert comment.object_pk == str(b.pk)
    assert Idea.objects.get(pk=b.pk).comment_count == 1
    services.idea_merge_undo(merge=merge, by=staff)
    comment.refresh_from_db()
    assert comment.object_pk == str(a.pk)


def test_enough_flags_hide_an_idea_until_staff_review(staff, settings):
    settings.IDEAS_FLAGS_TO_HIDE = 2
    idea = make_idea()
    flaggers = UserFactory.create_batch(2)
    assert services.idea_flag(idea=idea, user=flaggers[0], reason="spam")
    assert not services.idea_flag(idea=idea, user=flaggers[0], reason="spam")
    idea.refresh_from_db()
    assert not idea.is_hidden
    services.idea_flag(idea=idea, user=flaggers[1], reason="abuse")
    idea.refresh_from_db()
    assert idea.is_hidden and idea.flag_count == 2
    services.idea_set_hidden(idea=idea, by=staff, hidden=False)
    idea.refresh_from_db()
    assert not idea.is_hidden and idea.flag_count == 0


def test_flag_needs_a_valid_reason_and_not_your_own(member):
    idea = make_idea(author=member)
    with pytest.raises(ValidationError):
        services.idea_flag(idea=idea, user=UserFactory(), reason="<script>")
    with pytest.raises(ValidationError):
        services.idea_flag(idea=idea, user=member, reason="spam")


def test_edit_keeps_history(member, staff):
    idea = make_idea(author=member, title="Original title here")
    services.idea_edit(idea=idea, by=member, title="Better title here", body="z" * 30)
    assert idea.revisions.get().title == "Original title here"
    services.idea_respond(idea=idea, by=staff, status="planned")
    idea.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.idea_edit(idea=idea, by=member, title="Sneaky change", body="z" * 30)
    services.idea_edit(idea=idea, by=staff, title="Staff title fix", body="z" * 30)
    assert idea.revisions.count() == 2


def test_vote_burst_from_new_accounts_alerts_staff(
    staff, settings, django_capture_on_commit_callbacks
):
    from ideas.models import VoteBurst
    from portal.notifications.models import Notification

    settings.IDEAS_VOTE_BURST_THRESHOLD = 5
    idea = make_idea()
    with django_capture_on_commit_callbacks(execute=True):
        for user in UserFactory.create_batch(6):
            services.idea_vote(idea=idea, user=user)
    burst = VoteBurst.objects.get()
    assert burst.new_account_votes >= 5
    assert Notification.objects.filter(
        recipient=staff, kind=f"idea.vote_burst:{burst.pk}"
    ).exists()


def test_ban_stops_a_member(member, staff):
    from portal.accounts.services import member_ban, member_unban

    member_ban(user=member, by=staff, reason="Spam")
    member.refresh_from_db()
    assert not member.is_active and member.banned_at
    idea = make_idea()
    with pytest.raises(PermissionDenied):
        services.idea_vote(idea=idea, user=member)
    member_unban(user=member, by=staff)
    member.refresh_from_db()
    assert member.is_active
