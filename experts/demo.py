"""The expertcare part of the Vonk demo community (registered with seed_demo)."""

from datetime import timedelta

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
    HelpfulVote,
    Question,
    ReputationEvent,
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
#  [(answerer, text, accepted, verified, helpful voters, hours after asking)])
# The answerer "staff" is the community team, answering officially. Answers
# are listed in the order they came in.
STAFF = "staff"
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
                3,
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
                6,
            ),
            (
                "joost",
                "Also check the feed-in fee in your contract: it changed on 1 January.",
                False,
                False,
                [],
                9,
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
                1.5,
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
    (
        "tom",
        "en",
        "billing",
        "Why did my monthly advance go up in January?",
        "My advance payment went from 120 to 145 euros without me changing anything. What happened?",
        24 * 52,
        [
            (
                STAFF,
                "Hi Tom, Eva from Vonk here. On 1 January the energy tax went up, and we recalculate every advance when that happens. You can lower it again in the app under Payments if your usage is lower than we estimate.",
                True,
                False,
                ["mark"],
                30,
            ),
        ],
    ),
    (
        "lisa",
        "nl",
        "solar",
        "Mijn omvormer geeft foutcode E-21, wat nu?",
        "Sinds vanochtend knippert het lampje rood en staat er E-21 op het display. De panelen leveren niets meer.",
        24 * 45,
        [
            (
                "amira",
                "E-21 betekent bij de meeste omvormers dat de netspanning te hoog was. Zet de omvormer tien minuten uit met de schakelaar aan de zijkant en weer aan. Komt de fout terug, bel dan je installateur.",
                True,
                False,
                ["sanne", "joost"],
                5,
            ),
        ],
    ),
    (
        "sanne",
        "nl",
        "app",
        "Kan ik de Vonk-app met twee mensen gebruiken?",
        "Mijn partner wil ook ons verbruik zien, maar we hebben één contract. Kan dat met twee accounts?",
        24 * 38,
        [
            (
                STAFF,
                "Ja! Ga in de app naar Instellingen > Huishouden en nodig je partner uit met een e-mailadres. Jullie zien allebei het verbruik; alleen de contracthouder kan betaalgegevens wijzigen.",
                True,
                False,
                ["lisa"],
                3,
            ),
            (
                "joost",
                "Werkt prima bij ons. Tip: zet de meldingen per persoon aan, anders krijgt alleen de eerste ze.",
                False,
                False,
                [],
                20,
            ),
        ],
    ),
    (
        "mark",
        "en",
        "sustainability",
        "Is a hybrid heat pump worth it in a 1930s house?",
        "Our house from 1934 has double glazing but no cavity wall insulation. Would a hybrid heat pump save enough to pay off?",
        24 * 30,
        [
            (
                "amira",
                "In a house like that a hybrid pump usually saves 40 to 60 percent of your gas. Insulate the cavity wall first if you can: it is cheaper and makes the pump work better. Ask for a heat loss calculation before you buy.",
                True,
                True,
                ["tom", "joost", "sanne"],
                14,
            ),
        ],
    ),
    (
        "amira",
        "nl",
        "billing",
        "Waarom zie ik in december twee termijnbedragen?",
        "In mijn overzicht staan voor december twee afschrijvingen van verschillende bedragen. Is dat een fout?",
        24 * 21,
        [
            (
                "joost",
                "Dat gebeurt als je termijnbedrag midden in de maand verandert: de eerste is het oude bedrag tot de wijziging, de tweede het nieuwe bedrag voor de rest van de maand. Samen zijn ze één maand.",
                True,
                False,
                ["amira"],
                2,
            ),
        ],
    ),
    (
        "tom",
        "en",
        "moving",
        "Moving abroad: how do I end my contract?",
        "I'm moving back to Ireland in February. How do I end my Vonk contract without a fine?",
        24 * 14,
        [
            (
                STAFF,
                "Sorry for the slow reply, Tom. Moving abroad ends your contract without a fine. Enter your moving date and final readings under Moving in the app; your final bill follows within six weeks.",
                False,
                False,
                [],
                50,
            ),
        ],
    ),
    (
        "joost",
        "nl",
        "sustainability",
        "Wat betekent een garantie van oorsprong precies?",
        "Ik lees dat Vonk garanties van oorsprong koopt. Betekent dat dat mijn stroom echt uit een windmolen komt?",
        24 * 9,
        [
            (
                "amira",
                "Niet letterlijk: alle stroom gaat over hetzelfde net. Een garantie van oorsprong bewijst dat er voor jouw verbruik ergens evenveel groene stroom is opgewekt. Vonk koopt ze in Nederland, dat kun je in het jaarverslag nalezen.",
                True,
                False,
                ["lisa", "sanne"],
                10,
            ),
        ],
    ),
    (
        "mark",
        "en",
        "app",
        "Quarter-hour data missing for last Sunday",
        "The app shows hourly totals for Sunday but the quarter-hour graph is empty. Other days are fine.",
        24 * 4,
        [],
    ),
    (
        "lisa",
        "nl",
        "solar",
        "Thuisbatterij: nu kopen of wachten?",
        "We hebben tien panelen. Is een thuisbatterij nu al slim, of kunnen we beter een paar jaar wachten?",
        24 * 2,
        [
            (
                "amira",
                "Met tien panelen verdien je een batterij nu nog niet terug, tenzij je een dynamisch contract hebt. Wacht tot de prijzen verder dalen en verbruik intussen zoveel mogelijk overdag.",
                False,
                False,
                [],
                26,
            ),
        ],
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
        for who, text, accepted, verified, voters, _after in answers:
            answer = services.answer_post(
                question=question,
                author=staff if who == STAFF else members[who],
                body=text,
                official=who == STAFF,
            )
            for voter in voters:
                services.answer_helpful(answer=answer, user=members[voter])
            if accepted:
                services.answer_accept(answer=answer, by=members[asker])
            if verified:
                services.answer_verify(answer=answer, by=staff)
        _backdate(question, hours=age, answers=[a[-1] for a in answers])


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


def _backdate(question: Question, *, hours: float, answers: list[float]) -> None:
    """Put the question and its answers on their dates, so ages, response
    times and the community report's answer speeds are real.

    ``answers``: hours after asking, in the order the answers were posted.
    """
    now = timezone.now()
    created = now - timedelta(hours=hours)
    question = Question.objects.get(pk=question.pk)
    target = question.first_answer_due_at - question.created_at
    times: dict[int, object] = {}
    for answer, after in zip(
        Answer.objects.filter(question=question).order_by("pk"), answers, strict=False
    ):
        at = min(created + timedelta(hours=after), now - timedelta(minutes=5))
        times[answer.pk] = at
        Answer.objects.filter(pk=answer.pk).update(
            created_at=at,
            updated_at=at,
            accepted_at=min(at + timedelta(hours=2), now)
            if answer.accepted_at
            else None,
            verified_at=min(at + timedelta(hours=4), now)
            if answer.verified_at
            else None,
        )
        ReputationEvent.objects.filter(answer=answer).update(
            created_at=min(at + timedelta(hours=2), now)
        )
        HelpfulVote.objects.filter(answer=answer).update(
            created_at=min(at + timedelta(hours=1), now)
        )
    first = (
        Answer.objects.filter(question=question)
        .exclude(author_id=question.author_id)
        .order_by("pk")
        .first()
    )
    updates = {
        "created_at": created,
        "first_answer_due_at": created + target,
        "last_activity_at": max(times.values(), default=created),
    }
    if first is not None:
        updates["first_answered_at"] = times[first.pk]
        updates["first_answer_seconds"] = int(
            (times[first.pk] - created).total_seconds()
        )
    Question.objects.filter(pk=question.pk).update(**updates)
