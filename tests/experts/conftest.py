import pytest

from experts.models import ExpertProfile, ExpertStatus
from experts.pages import QuestionsIndexPage
from portal.pages.models import FocusArea
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def questions_page(home):
    page = QuestionsIndexPage(
        title="Questions", slug="questions", intro="Ask our customer experts"
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def billing(community_settings) -> FocusArea:
    return FocusArea.objects.get(settings=community_settings, slug="billing")


@pytest.fixture
def solar(community_settings) -> FocusArea:
    return FocusArea.objects.create(
        settings=community_settings, name="Solar panels", slug="solar"
    )


def make_expert(*areas, username=None, status=ExpertStatus.ACTIVE, **kwargs):
    user = UserFactory(**({"username": username} if username else {}))
    profile = ExpertProfile.objects.create(user=user, status=status, **kwargs)
    profile.focus_areas.set(areas)
    return profile


@pytest.fixture
def expert(billing) -> ExpertProfile:
    return make_expert(billing, username="joost", daily_cap=5)


@pytest.fixture
def paused_expert(billing) -> ExpertProfile:
    return make_expert(billing, username="amira", status=ExpertStatus.PAUSED)


def _login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def expert_client(client, expert):
    return _login(client, expert.user)


@pytest.fixture
def paused_expert_client(client, paused_expert):
    return _login(client, paused_expert.user)


@pytest.fixture
def question(questions_page, member, billing):
    return make_question(member, billing)


def make_question(author, focus_area=None, title=None, body=None):
    """A question asked the way a member asks one, indexed synchronously."""
    from experts.services import question_ask
    from portal import semantic

    question = question_ask(
        author=author,
        title=title or "How do I read my annual energy bill?",
        body=body
        or "The annual statement shows three different totals and I do not "
        "understand which one I actually pay.",
        focus_area=focus_area,
    )
    semantic.index_ids(kind="question", ids=[question.pk])
    return question


def make_answer(question, author, body=None, **kwargs):
    from experts.services import answer_post
    from portal import semantic

    answer = answer_post(
        question=question,
        author=author,
        body=body or "The amount under 'Te betalen' is what you pay after advances.",
        **kwargs,
    )
    semantic.index_ids(kind="answer", ids=[answer.pk])
    return answer


@pytest.fixture
def answer(question, expert):
    return make_answer(question, expert.user)


@pytest.fixture
def ideas_page(home):
    from ideas.pages import IdeasIndexPage

    page = IdeasIndexPage(title="Ideas", slug="ideas")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page
