import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.Faker("name")
    language = "en"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=self,
                email=self.email,
                defaults={"verified": True, "primary": True},
            )


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    is_superuser = True


def make_idea(author=None, title="Dark mode in the Vonk app", body=None, **kwargs):
    """An idea created the way a member creates one (through the service)."""
    from ideas.services import idea_submit
    from portal import semantic

    author = author or UserFactory()
    idea = idea_submit(
        author=author,
        title=title,
        body=body or f"It would be great to have: {title}. Please consider it.",
        **kwargs,
    )
    # In a test the transaction never commits, so index now as the on-commit
    # task would.
    semantic.index_ids(kind="idea", ids=[idea.pk])
    return idea
