"""The consent ledger's guarantees, property-tested: across any sequence of
offers, opt-outs (by handle or by "never ask me again"), re-imports of the
same person's posts (new mentions with the same handle, written differently)
and new handles linked to the same person, an opted-out person is never
offered again and nobody is offered more than LISTENING_INVITE_MAX_PER_PERSON
times. A plain model (union-find over normalised handles) predicts every
answer; the database must agree step by step."""

from itertools import count

import pytest
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from listening import consent
from listening.models import Invitation, Mention, Person, Source
from listening.privacy import handle_normalise
from tests.factories import StaffFactory

# Two people, each with handles written several ways, and a third on X.
HANDLES = [
    "@Sanne@mastodon.social",
    "sanne@MASTODON.social",
    "sanne.bsky.social",
    "@Sanne.Bsky.Social",
    "@joost@mastodon.social",
    "joost.bsky.social",
    "kim_x",
]
handle = st.sampled_from(HANDLES)
_ids = count(1)


class ConsentMachine(RuleBasedStateMachine):
    @initialize(max_per_person=st.integers(min_value=1, max_value=2))
    def setup(self, max_per_person):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._settings = override_settings(
            LISTENING_INVITE_MAX_PER_PERSON=max_per_person,
            LISTENING_INVITE_COOLDOWN_DAYS=0,
        )
        self._settings.enable()
        self.max = max_per_person
        self.staff = StaffFactory(username=f"staff{next(_ids)}")
        self.source = Source.objects.create(name="Mastodon", kind="mastodon")
        # The model: union-find over normalised handles.
        self.parent: dict[str, str] = {}
        self.opted: set[str] = set()  # normalised handles opted out
        self.seen: set[str] = set()  # handles the ledger knows (have a Person)
        self.invited: dict[str, int] = {}  # root -> invitations
        self.open: dict[int, str] = {}  # open invitation pk -> a handle

    def teardown(self):
        if hasattr(self, "_atomic"):
            self._settings.disable()
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # --- the model -------------------------------------------------------

    def root(self, h: str) -> str:
        h = handle_normalise(h)
        self.parent.setdefault(h, h)
        while self.parent[h] != h:
            h = self.parent[h]
        return h

    def component(self, h: str) -> set[str]:
        r = self.root(h)
        return {x for x in list(self.parent) if self.root(x) == r}

    def model_opted_out(self, h: str) -> bool:
        return bool(self.component(h) & self.opted)

    def close_open_of(self, h: str, status: str) -> None:
        r = self.root(h)
        for pk, other in list(self.open.items()):
            if self.root(other) == r:
                del self.open[pk]

    # --- rules -------------------------------------------------------------

    @rule(h=handle, sensitive=st.booleans(), override=st.booleans())
    def offer(self, h, sensitive, override):
        """A (re-)imported post by this handle, offered an invitation."""
        n = next(_ids)
        mention = Mention.objects.create(
            source=self.source,
            external_id=f"p{n}",
            author_handle=h,
            text="My father passed away" if sensitive else "Vonk needs a graph",
            sentiment_score=0.1,
            language="en",
            cluster_key=f"c{n}",
        )
        result = consent.invitation_offer(
            mention=mention, user=self.staff, override_reason="ok" if override else ""
        )
        r = self.root(h)
        self.seen.add(handle_normalise(h))
        if self.model_opted_out(h):
            expected = "opted_out"
        elif self.invited.get(r, 0) >= self.max:
            expected = "invited_before"
        elif sensitive and not override:
            expected = "sensitive"
        else:
            expected = None
        if expected is None:
            assert isinstance(result, Invitation), result
            # Offered only below the maximum, counting every linked handle.
            assert result.person.invitations.count() <= self.max
            self.invited[r] = self.invited.get(r, 0) + 1
            self.open[result.pk] = h
        else:
            assert isinstance(result, consent.Refusal), result
            assert result.code == expected

    @rule(h=handle)
    def optout_by_handle(self, h):
        consent.optout_record(handle=h, via="api")
        self.opted.add(handle_normalise(h))
        if handle_normalise(h) in self.seen:
            self.close_open_of(h, "opted_out")

    @rule(a=handle, b=handle)
    def link(self, a, b):
        consent.handles_link(a, b)
        self.seen.update({handle_normalise(a), handle_normalise(b)})
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self.parent[rb] = ra
            self.invited[ra] = self.invited.get(ra, 0) + self.invited.pop(rb, 0)

    @rule(data=st.data())
    def never_ask_again(self, data):
        if not self.open:
            return
        pk = data.draw(st.sampled_from(sorted(self.open)))
        h = self.open[pk]
        invitation = Invitation.objects.get(pk=pk)
        assert consent.invitation_from_token(consent.invitation_token(invitation))[0]
        assert consent.invitation_optout(invitation)
        self.opted.update(self.component(h))
        self.close_open_of(h, "opted_out")

    @rule(data=st.data())
    def not_now(self, data):
        if not self.open:
            return
        pk = data.draw(st.sampled_from(sorted(self.open)))
        assert consent.invitation_decline(Invitation.objects.get(pk=pk))
        del self.open[pk]

    # --- what must always hold -------------------------------------------

    @invariant()
    def the_ledger_counts_what_the_model_counts(self):
        """Each person holds exactly the invitations offered under their
        handles. Two people invited separately and linked afterwards keep
        both invitations (which can exceed the maximum); the offer rule
        checks that they are never offered again."""
        if not hasattr(self, "max"):
            return
        db = dict(
            Person.objects.annotate(n=Count("invitations")).values_list("pk", "n")
        )
        model: dict[int, int] = {}
        for h in self.seen:
            person = consent.person_for_handle("", h)
            model[person.pk] = self.invited.get(self.root(h), 0)
        assert {pk: n for pk, n in db.items() if n} == {
            pk: n for pk, n in model.items() if n
        }

    @invariant()
    def closed_invitations_grant_nothing(self):
        if not hasattr(self, "max"):
            return
        for invitation in Invitation.objects.exclude(pk__in=list(self.open)):
            token = consent.invitation_token(invitation)
            assert consent.invitation_from_token(token) == (None, "used")


@pytest.mark.django_db
def test_the_consent_ledger_keeps_its_promises():
    run_state_machine_as_test(
        ConsentMachine,
        settings=settings(
            max_examples=100,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        ),
    )
