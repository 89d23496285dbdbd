import pytest

from ideas.pages import IdeasIndexPage


@pytest.fixture
def ideas_page(home):
    page = IdeasIndexPage(title="Ideas", slug="ideas", intro="Share and vote")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def voter_factory(db):
    from tests.factories import UserFactory

    def make(n: int):
        return [UserFactory() for _ in range(n)]

    return make
