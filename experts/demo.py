"""The expertcare part of the Vonk demo community (registered with seed_demo)."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone
from wagtail.models import Page

from portal.pages.models import FocusArea, StandardPage

from . import services
from .models import (
    Answer,
    ExpertApplication,
    ExpertLevel,
    ExpertProfile,
    ExpertProgrammeSettings,
    ExpertStatus,
    Question,
)
from .pages import QuestionsIndexPage
from .reputation import DEFAULT_LEVELS

PAGES = {
    "en": {
        "title": "Questions",
        "slug": "questions",
        "intro": "Ask anything about energy at home. Customer experts and our team answer.",
        "ask_intro": "One question per post, please. Leave out personal data such as your customer number.",
        "experts_intro": "Our customer experts are Vonk customers who like to help others. They answer in their own time.",
    },
    "nl": {
        "title": "Vragen",
        "slug": "vragen",
        "intro": "Vraag alles over energie in huis. Klantexperts en ons team geven antwoord.",
        "ask_intro": "Eén vraag per bericht graag. Laat persoonlijke gegevens zoals je klantnummer weg.",
        "experts_intro": "Onze klantexperts zijn Vonk-klanten die graag anderen helpen. Ze antwoorden in hun eigen tijd.",
    },
}

# username: (focus areas, headline, status)
EXPERTS = {
    "joost": (["billing", "app"], "Reads energy bills for fun", ExpertStatus.ACTIVE),
    "amira": (
        ["solar", "sustainability"],
        "Twelve solar panels and a heat pump since 2019",
        ExpertStatus.ACTIVE,
    ),
    "lisa": (["moving", "billing"], "Moved house four times", ExpertStatus.PAUSED),
}

# (asker, language, area, title, body, age in hours,
#  [(answerer, text, accepted, verified, helpful voters)])
QUESTIONS = [
    (
        "sanne",
        "nl",
        "billing",
        "Waarom is mijn jaarafrekening hoger dan mijn voorschotten?",
        "Ik betaal elke maand 140 euro, maar ik moet nu toch 310 euro bijbetalen. Hoe kan dat?",
        72,
        [
            (
                "joost",
                "Je voorschot is een schatting. Als je meer verbruikt dan geschat, of als het tarief steeg, betaal je het verschil bij. Kijk op je afrekening bij 'Verbruik per periode': daar zie je waar het verschil zit. Je kunt je voorschot in de app aanpassen.",
                True,
                True,
                ["tom", "mark"],
            ),
        ],
    ),
    (
        "tom",
        "en",
        "solar",
        "Do my solar panels still pay off when net metering ends?",
        "The Dutch net metering scheme is ending. Is it still worth keeping my panels, or should I add a battery?",
        40,
        [
            (
                "amira",
                "Yes, they still pay off, just more slowly. Use as much of your own power as you can during the day (dishwasher, washing machine, EV charging). A home battery rarely pays off yet; a smart plug schedule is cheaper.",
                True,
                False,
                ["sanne"],
            ),
            (
                "joost",
                "Also check the feed-in fee in your contract: it changed on 1 January.",
                False,
                False,
                [],
            ),
        ],
    ),
    (
        "mark",
        "nl",
        "moving",
        "Hoe geef ik een verhuizing door als de sleuteloverdracht nog niet vaststaat?",
        "We verhuizen waarschijnlijk in maart, maar de datum is nog niet zeker. Wanneer moet ik de verhuizing doorgeven?",
        20,
        [],
    ),
    (
        "amira",
        "en",
        "app",
        "The app shows no usage data since yesterday",
        "My smart meter usage stopped updating in the Vonk app yesterday. Is there an outage?",
        5,
        [
            (
                "joost",
                "It happens when the meter's connection drops. Give it 48 hours; data is filled in afterwards.",
                False,
                False,
                [],
            )
        ],
    ),
    (
        "lisa",
        "nl",
        "sustainability",
        "Is groene stroom van Vonk echt groen?",
        "Waar komt de stroom vandaan en hoe controleer ik dat?",
        2,
        [],
    ),
]


def seed(*, home_en, nl, staff, members) -> None:
    page = QuestionsIndexPage.objects.child_of(home_en).first()
    if page is None:
        page = QuestionsIndexPage(show_in_menus=True, **PAGES["en"])
        home_en.add_child(instance=page)
        page.save_revision().publish()
    if page.get_translation_or_none(nl) is None:
        page_nl = page.copy_for_translation(nl).specific
        for field, value in PAGES["nl"].items():
            setattr(page_nl, field, value)
        page_nl.save_revision().publish()
    _programme(home_en)
    areas = {a.slug: a for a in FocusArea.objects.all()}
    for username, (slugs, headline, status) in EXPERTS.items():
        profile, created = ExpertProfile.objects.get_or_create(
            user=members[username],
            defaults={"headline": headline, "status": status, "daily_cap": 5},
        )
        if created:
            profile.focus_areas.set([areas[s] for s in slugs if s in areas])
    if not ExpertApplication.objects.filter(user=members["mark"]).exists():
        services.expert_apply(
            user=members["mark"],
            focus_areas=[a for s, a in areas.items() if s == "solar"],
            motivation="I installed my own panels and monitor them daily. Happy to help others get started.",
            accepts_guidelines=True,
            opts_in=True,
        )
    for asker, lang, area, title, body, age, answers in QUESTIONS:
        if Question.objects.filter(title=title).exists():
            continue
        question = services.question_ask(
            author=members[asker],
            title=title,
            body=body,
            focus_area=areas.get(area),
            language=lang,
        )
        for who, text, accepted, verified, voters in answers:
            answer = services.answer_post(
                question=question, author=members[who], body=text
            )
            for voter in voters:
                services.answer_helpful(answer=answer, user=members[voter])
            if accepted:
                services.answer_accept(answer=answer, by=members[asker])
            if verified:
                services.answer_verify(answer=answer, by=staff)
        _backdate(question, hours=age)


def _programme(home_en) -> None:
    from wagtail.models import Site

    site = Site.objects.filter(root_page=home_en).first() or Site.objects.first()
    programme = ExpertProgrammeSettings.for_site(site)
    if programme.guidelines_page_id is None:
        guidelines = (
            StandardPage.objects.child_of(home_en)
            .filter(slug="expert-guidelines")
            .first()
        )
        programme.guidelines_page = Page.objects.filter(
            pk=getattr(guidelines, "pk", None)
        ).first()
        programme.save()
    if not ExpertLevel.objects.exists():
        ExpertLevel.objects.bulk_create(
            ExpertLevel(name=lv.name, name_nl=lv.name_nl, min_points=lv.min_points)
            for lv in DEFAULT_LEVELS
        )


def _backdate(question: Question, *, hours: int) -> None:
    """Spread the demo over the past days, so ages and response times are real."""
    shift = timedelta(hours=hours)
    Question.objects.filter(pk=question.pk).update(
        created_at=F("created_at") - shift,
        first_answer_due_at=F("first_answer_due_at") - shift,
        last_activity_at=timezone.now() - shift / 2,
    )
    Answer.objects.filter(question=question).update(
        created_at=F("created_at") - shift / 2
    )
    Question.objects.filter(pk=question.pk, first_answered_at__isnull=False).update(
        first_answered_at=F("first_answered_at") - shift / 2,
        first_answer_seconds=int((shift / 2).total_seconds()),
    )
