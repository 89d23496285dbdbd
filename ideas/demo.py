"""The ideas part of the Vonk demo community (registered with seed_demo).

Ideas are spread over the past four months and move through the funnel
(under review → planned → in progress → launched, or declined) on dates of
their own, with official responses at some steps: the community report's
funnel, time-in-stage and response-time figures then show a believable
history, and the public "How we listen" page has numbers to show. Safe to
run twice: an idea whose title exists is left alone.
"""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.utils import timezone
from django_comments_xtd.models import XtdComment

from portal.pages.models import FocusArea

from . import services
from .models import OPEN_STATUSES, Idea, StatusChange, Vote
from .pages import IdeasIndexPage
from .services.common import trending_score

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

# The first official word on an idea: what staff say when they pick it up.
REVIEW_NOTE = {
    "en": "Thanks for this! Our product team is looking into it; we'll post here what we decide.",
    "nl": "Dank je! Ons productteam kijkt ernaar; we laten hier weten wat we besluiten.",
}

# (author, language, focus area, title, body, tags, voters, comments, age in
#  days, steps): a step is (status, days after submission, official response
#  or "" or REVIEW for the standard note, admits a mistake). The title stays
#  fourth: bench commands read it as row[3].
REVIEW = "review"
IDEAS = [
    (
        "sanne",
        "nl",
        "solar",
        "Dagopbrengst van mijn zonnepanelen in de app",
        "Ik wil per dag zien hoeveel mijn panelen hebben opgewekt, naast mijn verbruik. Nu zie ik alleen een maandtotaal.",
        ["zonnepanelen", "app"],
        ["joost", "amira", "lisa", "mark", "tom"],
        [
            (
                "joost",
                "Graag ook per uur, dan zie je wanneer je de wasmachine kunt aanzetten.",
            ),
            ("sanne", "Per uur zou helemaal mooi zijn!"),
        ],
        41,
        [
            ("under_review", 2, REVIEW, False),
            ("planned", 12, "", False),
            (
                "in_progress",
                30,
                "Goed idee, Sanne! We bouwen een dagoverzicht in de app. Eerst voor omvormers van de grote merken; de bèta start in december.",
                False,
            ),
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
        [("mark", "Works great, thank you!")],
        60,
        [
            ("under_review", 1, REVIEW, False),
            ("planned", 6, "", False),
            ("in_progress", 15, "", False),
            (
                "launched",
                45,
                "Dark mode is live in version 5.2 of the app. It follows your phone's setting. Thanks to everyone who voted!",
                False,
            ),
        ],
    ),
    (
        "amira",
        "nl",
        "moving",
        "Meterstanden doorgeven met een foto",
        "Bij mijn verhuizing moest ik de standen overtypen. Een foto maken en laten uitlezen zou veel fouten schelen.",
        ["verhuizen", "meterstanden"],
        ["lisa", "sanne"],
        [],
        12,
        [
            ("under_review", 1, "", False),
            (
                "planned",
                8,
                "We gaan dit bouwen in het eerste kwartaal. De foto wordt alleen gebruikt om de stand uit te lezen en daarna verwijderd.",
                False,
            ),
        ],
    ),
    (
        "mark",
        "en",
        "app",
        "Export my smart meter readings as CSV",
        "I'd like to download my quarter-hour readings for the last year as a CSV, so I can analyse them myself.",
        ["data", "app"],
        ["tom", "joost"],
        [("tom", "Yes! And an API would be even better.")],
        9,
        [("under_review", 3, "", False)],
    ),
    (
        "joost",
        "nl",
        "billing",
        "Termijnbedrag automatisch aanpassen na een warme winter",
        "Na een zachte winter betaal ik maanden te veel. Stel zelf een lager termijnbedrag voor als mijn verbruik daalt.",
        ["termijnbedrag"],
        ["sanne", "lisa", "amira", "mark"],
        [("lisa", "Fijn dat jullie dit zo eerlijk zeggen.")],
        120,
        [
            ("under_review", 4, REVIEW, False),
            ("planned", 20, "", False),
            (
                "launched",
                80,
                "Hier zaten we fout: we pasten termijnbedragen alleen omhoog aan, nooit omlaag. Dat was niet eerlijk. Sinds oktober stellen we ook een lager bedrag voor zodra je verbruik daalt.",
                True,
            ),
        ],
    ),
    (
        "lisa",
        "nl",
        "sustainability",
        "Tips om stroom te verbruiken als de zon schijnt",
        "Een melding op zonnige middagen dat het een goed moment is om de vaatwasser aan te zetten.",
        ["duurzaamheid", "meldingen"],
        ["sanne"],
        [],
        3,
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
        [],
        1,
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
        [],
        75,
        [
            ("under_review", 5, REVIEW, False),
            (
                "declined",
                19,
                "We looked into this carefully. Without a separate meter for the heat pump we can't calculate it reliably, and we don't want to show numbers we can't stand behind. We'll revisit it when separate metering is common.",
                False,
            ),
        ],
    ),
    (
        "mark",
        "en",
        "app",
        "A home screen widget with today's usage",
        "Opening the app just to see today's usage takes too long. A small widget on my phone's home screen would do.",
        ["app"],
        ["tom", "sanne", "joost", "lisa"],
        [("sanne", "Ja graag, ook voor Android!")],
        55,
        [
            ("under_review", 2, REVIEW, False),
            ("planned", 10, "", False),
            (
                "launched",
                40,
                "The widget is live for iPhone and Android since app version 5.3. Long-press your home screen and look for Vonk.",
                False,
            ),
        ],
    ),
    (
        "sanne",
        "nl",
        "app",
        "Seintje als mijn verbruik ineens stijgt",
        "Vorige maand bleef mijn oude vriezer op de achtergrond veel te veel stroom trekken. Een melding bij een plotselinge stijging had me geld gescheeld.",
        ["meldingen", "verbruik"],
        ["amira", "joost", "tom"],
        [],
        33,
        [
            ("under_review", 1, REVIEW, False),
            (
                "planned",
                9,
                "We bouwen dit in het voorjaar, samen met het dagoverzicht. Je kiest zelf vanaf welke stijging je een seintje krijgt.",
                False,
            ),
        ],
    ),
    (
        "joost",
        "nl",
        "billing",
        "Stroomprijs per uur in de app bij een dynamisch contract",
        "Met een dynamisch contract wil ik in één oogopslag zien wanneer de stroom vandaag goedkoop is, zonder een aparte app.",
        ["dynamisch contract", "app"],
        ["sanne", "amira", "lisa", "mark", "tom"],
        [("mark", "This would make a dynamic contract actually usable.")],
        28,
        [],
    ),
    (
        "tom",
        "en",
        "sustainability",
        "Compare my usage with similar homes",
        "A monthly comparison with homes like mine (size, household, heating) would show me where I can still save.",
        ["usage", "saving"],
        ["mark", "lisa"],
        [],
        20,
        [("under_review", 4, "", False)],
    ),
    (
        "lisa",
        "nl",
        "moving",
        "Verhuisdatum later nog wijzigen in de app",
        "Onze sleuteloverdracht schoof twee keer op. Ik moest elke keer bellen om de verhuisdatum aan te passen.",
        ["verhuizen"],
        ["amira", "sanne"],
        [],
        17,
        [
            ("under_review", 2, REVIEW, False),
            (
                "launched",
                14,
                "Je kunt je verhuisdatum nu tot de dag zelf wijzigen onder Verhuizen in de app. Dank voor de tip, Lisa!",
                False,
            ),
        ],
    ),
    (
        "amira",
        "en",
        "billing",
        "Show how the tariff adds up on the bill",
        "My bill shows one price per kWh. I'd like to see what part is energy, network costs and taxes.",
        ["billing", "tariffs"],
        ["joost"],
        [],
        6,
        [("under_review", 1, REVIEW, False)],
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
    for author, lang, area, title, body, tags, voters, comments, age, steps in IDEAS:
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
        for status, _days, response, mistake in steps:
            if response == REVIEW:
                response = REVIEW_NOTE[lang]
            services.idea_respond(
                idea=idea,
                by=staff,
                status=status,
                response=response,
                admits_mistake=mistake,
            )
        _backdate(idea, age=age, steps=steps)


def _backdate(idea: Idea, *, age: int, steps: list) -> None:
    """Put the idea, its votes, comments and status changes on their dates,
    so lists, timelines and the community report look lived in."""
    now = timezone.now()
    # Mid-morning local time (10:00 in Amsterdam in winter), a weekday feel.
    created = (now - timedelta(days=age)).replace(
        hour=9, minute=15, second=0, microsecond=0
    )
    created = min(created, now - timedelta(hours=2))
    last = changed = created
    voting_ends = now  # votes only while the idea is open
    changes = list(StatusChange.objects.filter(idea=idea).order_by("pk"))
    # The entry idea_submit made comes first; the steps are the last ones.
    submitted = changes[: len(changes) - len(steps)]
    StatusChange.objects.filter(pk__in=[c.pk for c in submitted]).update(
        created_at=created, updated_at=created
    )
    changes = changes[len(submitted) :]
    for n, (change, step) in enumerate(zip(changes, steps, strict=True)):
        at = min(created + timedelta(days=step[1], hours=2 + n), now)
        StatusChange.objects.filter(pk=change.pk).update(created_at=at, updated_at=at)
        last = changed = max(last, at)
        if step[0] not in OPEN_STATUSES:
            voting_ends = min(voting_ends, at)
    votes = list(Vote.objects.filter(idea=idea).order_by("pk"))
    for n, vote in enumerate(votes, start=1):
        at = created + (voting_ends - created) * n / (len(votes) + 1)
        Vote.objects.filter(pk=vote.pk).update(created_at=at)
        last = max(last, at)
    comments = XtdComment.objects.filter(
        content_type=ContentType.objects.get_for_model(Idea), object_pk=str(idea.pk)
    ).order_by("pk")
    for n, comment in enumerate(comments, start=1):
        at = created + (now - created) * n / (comments.count() + 1)
        XtdComment.objects.filter(pk=comment.pk).update(submit_date=at)
    refreshed = Idea.objects.get(pk=idea.pk)
    Idea.objects.filter(pk=idea.pk).update(
        created_at=created,
        updated_at=last,
        status_changed_at=changed,
        last_activity_at=last,
        trending_score=trending_score(votes=refreshed.vote_count, created_at=created),
    )
