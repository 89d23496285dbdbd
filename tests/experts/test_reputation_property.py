"""Any sequence of accept, unaccept, helpful, unhelpful, verify and unverify
leaves every member's reputation equal to the sum of their ledger, and equal
to what the current state of their answers is worth."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experts import services
from experts.models import Answer, HelpfulVote, Reputation, ReputationEvent
from experts.reputation import ledger_total
from tests.factories import StaffFactory, UserFactory

ACTIONS = ["accept", "unaccept", "helpful", "unhelpful", "verify", "unverify"]
operation = st.tuples(
    st.sampled_from(ACTIONS),
    st.integers(min_value=0, max_value=2),  # which answer
    st.integers(min_value=0, max_value=3),  # who acts (asker, two voters, author)
)


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=st.lists(operation, max_size=25))
def test_reputation_totals_always_equal_the_ledger(questions_page, operations):
    try:
        with transaction.atomic():
            _run(operations)
            raise Rollback
    except Rollback:
        pass


def _run(operations):
    asker = UserFactory(username="asker")
    authors = [UserFactory(username=f"author{i}") for i in range(2)]
    voters = [UserFactory(username=f"voter{i}") for i in range(2)]
    staff = StaffFactory(username="verifier")
    question = services.question_ask(
        author=asker,
        title="How do I change my advance payment?",
        body="My monthly advance is too high since I got solar panels.",
    )
    answers = [
        services.answer_post(question=question, author=author, body=f"Answer {i}.....")
        for i, author in enumerate([*authors, asker])  # the asker answers too
    ]
    actors = [asker, *voters, authors[0]]
    for action, which, who in operations:
        answer = Answer.objects.get(pk=answers[which].pk)
        actor = actors[who]
        try:
            if action == "accept":
                services.answer_accept(answer=answer, by=actor)
            elif action == "unaccept":
                services.answer_unaccept(answer=answer, by=actor)
            elif action == "helpful":
                services.answer_helpful(answer=answer, user=actor)
            elif action == "unhelpful":
                services.answer_unhelpful(answer=answer, user=actor)
            elif action == "verify":
                services.answer_verify(answer=answer, by=staff)
            else:
                services.answer_verify(answer=answer, by=staff, verified=False)
        except (PermissionDenied, ValidationError):
            pass  # refused actions must leave no trace either
        _check_consistent([asker, *authors, *voters], question)


def _check_consistent(users, question):
    accepted = Answer.objects.filter(question=question, is_accepted=True)
    assert accepted.count() <= 1
    for user in users:
        rep = Reputation.objects.filter(user=user).first()
        points = rep.points if rep else 0
        assert points == ledger_total(user)
        own = Answer.objects.filter(author=user, question=question)
        # What the current state is worth: accepted (not self), votes, verified.
        worth = (
            15 * own.filter(is_accepted=True).exclude(author=question.author).count()
            + 5 * HelpfulVote.objects.filter(answer__in=own).count()
            + 20 * own.filter(verified_at__isnull=False).count()
        )
        assert points == worth
        # Nobody ever earns from their own vote.
        assert not HelpfulVote.objects.filter(answer__author=user, user=user).exists()
        assert not ReputationEvent.objects.filter(user=user, actor=user).exists()
