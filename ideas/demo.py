"""The ideas part of the Vonk demo community (registered with seed_demo)."""

from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django_comments_xtd.models import XtdComment

from portal.pages.models import FocusArea

from . import services
from .models import Idea
from .pages import IdeasIndexPage

PAGES = {
    "en": {
        "title": "Ideas",
        "slug": "ideas",
        "intro": "Share what would make Vonk better, vote on what matters to you, and follow what we do with it.",
        "submit_intro": "One idea per post, please. Tell us what it would change for you.",
    },
    "nl": {
        "title": "Ideeën",
        "slug": "ideeen",
        "intro": "Deel wat Vonk beter maakt, stem op wat jij belangrijk vindt en volg wat wij ermee doen.",
        "submit_intro": "Eén idee per bericht graag. Vertel wat het voor jou verandert.",
    },
}

# (author, language, focus area, title, body, tags, voters, status, response,
#  admits_mistake, comments)
IDEAS = [
    (
        "sanne",
        "nl",
        "solar",
        "Dagopbrengst van mijn zonnepanelen in de app",
        "Ik wil per dag zien hoeveel mijn panelen hebben opgewekt, naast mijn verbruik. Nu zie ik alleen een maandtotaal.",
        ["zonnepanelen", "app"],
        ["joost", "amira", "lisa", "mark", "tom"],
        "in_progress",
        "Goed idee, Sanne! We bouwen een dagoverzicht in de app. Eerst voor omvormers van de grote merken; de bèta start in december.",
        False,
        [
            (
                "joost",
                "Graag ook per uur, dan zie je wanneer je de wasmachine kunt aanzetten.",
            ),
            ("sanne", "Per uur zou helemaal mooi zijn!"),
        ],
    ),
    (
        "tom",
        "en",
        "app",
        "Dark mode in the Vonk app",
        "Checking my usage at night is blinding. A dark theme that follows the phone's setting would be great.",
        ["app", "accessibility"],
        ["mark", "amira", "sanne"],
        "launched",
        "Dark mode is live in version 5.2 of the app. It follows your phone's setting. Thanks to everyone who voted!",
        False,
        [("mark", "Works great, thank you!")],
    ),
    (
        "amira",
        "nl",
        "moving",
        "Meterstanden doorgeven met een foto",
        "Bij mijn verhuizing moest ik de standen overtypen. Een foto maken en laten uitlezen zou veel fouten schelen.",
        ["verhuizen", "meterstanden"],
        ["lisa", "sanne"],
        "planned",
        "We gaan dit bouwen in het eerste kwartaal. De foto wordt alleen gebruikt om de stand uit te lezen en daarna verwijderd.",
        False,
        [],
    ),
    (
        "mark",
        "en",
        "app",
        "Export my smart meter readings as CSV",
        "I'd like to download my quarter-hour readings for the last year as a CSV, so I can analyse them myself.",
        ["data", "app"],
        ["tom", "joost"],
        "under_review",
        "",
        False,
        [("tom", "Yes! And an API would be even better.")],
    ),
    (
        "joost",
        "nl",
        "billing",
        "Termijnbedrag automatisch aanpassen na een warme winter",
        "Na een zachte winter betaal ik maanden te veel. Stel zelf een lager termijnbedrag voor als mijn verbruik daalt.",
        ["termijnbedrag"],
        ["sanne", "lisa", "amira", "mark"],
        "launched",
        "Hier zaten we fout: we pasten termijnbedragen alleen omhoog aan, nooit omlaag. Dat was niet eerlijk. Sinds oktober stellen we ook een lager bedrag voor zodra je verbruik daalt.",
        True,
        [("lisa", "Fijn dat jullie dit zo eerlijk zeggen.")],
    ),
    (
        "lisa",
        "nl",
        "sustainability",
        "Tips om stroom te verbruiken als de zon schijnt",
        "Een melding op zonnige middagen dat het een goed moment is om de vaatwasser aan te zetten.",
        ["duurzaamheid", "meldingen"],
        ["sanne"],
        "new",
        "",
        False,
        [],
    ),
    (
        "tom",
        "en",
        "billing",
        "Pay the annual bill in instalments",
        "A large final bill is stressful. Let customers split it over three months without extra cost.",
        ["billing"],
        ["amira"],
        "new",
        "",
        False,
        [],
    ),
    (
        "amira",
        "en",
        "sustainability",
        "Show the CO2 saved by my heat pump",
        "I switched to a heat pump last year. Seeing the CO2 I saved compared to gas would motivate me and my neighbours.",
        ["heat pump", "co2"],
        ["tom", "lisa", "joost"],
        "declined",
        "We looked into this carefully. Without a separate meter for the heat pump we can't calculate it reliably, and we don't want to show numbers we can't stand behind. We'll revisit it when separate metering is common.",
        False,
        [],
    ),
]


def _comment(idea: Idea, user, text: str) -> None:
    XtdComment.objects.get_or_create(
        content_type=ContentType.objects.get_for_model(Idea),
        object_pk=str(idea.pk),
        user=user,
        comment=text,
        defaults={
            "site": Site.objects.get_current(),
            "user_name": user.public_name,
            "user_email": user.email,
        },
    )


def seed(*, home_en, nl, staff, members) -> None:
    page = IdeasIndexPage.objects.child_of(home_en).first()
    if page is None:
        data = PAGES["en"]
        page = IdeasIndexPage(show_in_menus=True, **data)
        home_en.add_child(instance=page)
        page.save_revision().publish()
    if page.get_translation_or_none(nl) is None:
        page_nl = page.copy_for_translation(nl).specific
        for field, value in PAGES["nl"].items():
            setattr(page_nl, field, value)
        page_nl.save_revision().publish()
    areas = {a.slug: a for a in FocusArea.objects.all()}
    for age_days, (author, lang, area, title, body, tags, voters, status, response, mistake,
         comments) in zip([41, 60, 12, 9, 120, 3, 1, 75], IDEAS, strict=True):  # fmt: skip
        if Idea.objects.filter(title=title).exists():
            continue
        idea = services.idea_submit(
            author=members[author],
            title=title,
            body=body,
            focus_area=areas.get(area),
            tags=tags,
            language=lang,
        )
        for voter in voters:
            services.idea_vote(idea=idea, user=members[voter])
        for who, text in comments:
            _comment(idea, members[who], text)
        if status != "new" or response:
            services.idea_respond(
                idea=idea,
                by=staff,
                status=status,
                response=response,
                admits_mistake=mistake,
            )
        _backdate(idea, days=age_days)


def _backdate(idea: Idea, *, days: int) -> None:
    """Spread the demo over the past months, so lists and timelines look lived in."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import StatusChange
    from .services.common import trending_score

    created = timezone.now() - timedelta(days=days)
    Idea.objects.filter(pk=idea.pk).update(
        created_at=created,
        trending_score=trending_score(
            votes=Idea.objects.get(pk=idea.pk).vote_count, created_at=created
        ),
    )
    changes = list(StatusChange.objects.filter(idea=idea).order_by("pk"))
    for n, change in enumerate(changes):
        StatusChange.objects.filter(pk=change.pk).update(
            created_at=created + timedelta(days=n * max(days // 3, 1))
        )
