"""200 members vote on one idea at the same time, on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from ideas import services
from ideas.models import Idea, Vote
from tests.factories import UserFactory, make_idea

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MEMBERS = 200
THREADS = 32  # well under PostgreSQL's default max_connections of 100


def _vote(idea_id: int, user_id: int, twice: bool) -> bool:
    from django.contrib.auth import get_user_model

    try:
        user = get_user_model().objects.get(pk=user_id)
        idea = Idea.objects.get(pk=idea_id)
        result = services.idea_vote(idea=idea, user=user)
        if twice:
            services.idea_vote(idea=idea, user=user)
        return result
    finally:
        connections.close_all()


def test_200_concurrent_votes_count_exactly_200(real_services, home):
    assert connection.vendor == "postgresql"
    idea = make_idea()
    users = UserFactory.create_batch(MEMBERS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(
            pool.map(
                lambda n: _vote(idea.pk, users[n].pk, twice=n % 3 == 0),
                range(MEMBERS),
            )
        )
    assert all(results)
    idea.refresh_from_db()
    assert idea.vote_count == MEMBERS
    assert Vote.objects.filter(idea=idea).count() == MEMBERS


def test_concurrent_vote_and_unvote_never_drift(real_services, home):
    idea = make_idea()
    users = UserFactory.create_batch(60)
    for user in users[:30]:
        services.idea_vote(idea=idea, user=user)

    def flip(n: int) -> None:
        from django.contrib.auth import get_user_model

        try:
            user = get_user_model().objects.get(pk=users[n].pk)
            fresh = Idea.objects.get(pk=idea.pk)
            if n < 30:
                services.idea_unvote(idea=fresh, user=user)
            else:
                services.idea_vote(idea=fresh, user=user)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(flip, range(60)))
    idea.refresh_from_db()
    assert idea.vote_count == Vote.objects.filter(idea=idea).count() == 30
