"""The listening part of the Vonk demo community (registered with seed_demo).

Trackers for the brand, a competitor and a topic; feeds and a Mastodon
source that are switched off (the demo runs offline, so nothing is polled);
and a few dozen public posts in English and Dutch stored through the real
pipeline, so language, sentiment, intent, lead and competitor flags,
influence and clusters are what enrichment says. Safe to run twice: posts
have stable ids and the upsert is idempotent.
"""

import random
from datetime import datetime, time, timedelta

from django.db.models import F
from django.utils import timezone

from .connectors.base import RawMention
from .models import (
    Intent,
    Mention,
    MentionReply,
    MentionStatus,
    ReplyChannel,
    ReplyKind,
    Source,
    SourceKind,
    Tracker,
    TrackerKind,
)
from .rollup import rollup_refresh
from .services import mention_upsert_batch
from .spikes import spikes_detect

GUIDELINES_INTRO = (
    "How the Vonk team answers on social media: we are guests in people's timelines."
)
GUIDELINES_BODY = (
    "<h2>How to respond</h2>"
    "<ul><li>Answer complaints within the hour, everything else within a day.</li>"
    "<li>Reply in the language of the post. Sign with your first name.</li>"
    "<li>Move account details to private support; never ask for them in public.</li>"
    "</ul>"
    "<h2>Tone of voice</h2>"
    "<p>Personal and warm, never defensive. Say what went wrong when we got "
    "something wrong, and what happens next.</p>"
    "<h2>Emotional reactions</h2>"
    "<p>When someone is angry, grieving or in trouble, listen first. Never "
    "answer an emotional post with an invitation or a sales pitch. Offer "
    "help, in private if needed.</p>"
    "<h2>Invitations</h2>"
    "<p>Invite only people who wrote something the community can build on, "
    "once, and always with the opt-out link.</p>"
)
GUIDELINES_NL_INTRO = (
    "Hoe het Vonk-team reageert op sociale media: we zijn te gast in "
    "andermans tijdlijn."
)
GUIDELINES_NL_BODY = (
    "<h2>Hoe we reageren</h2>"
    "<ul><li>Klachten binnen een uur, al het andere binnen een dag.</li>"
    "<li>Antwoord in de taal van het bericht en onderteken met je voornaam.</li>"
    "<li>Klantgegevens horen in de privé-support, nooit in het openbaar.</li>"
    "</ul>"
    "<h2>Toon</h2>"
    "<p>Persoonlijk en warm, nooit defensief. Zeg wat er misging als wij iets "
    "fout deden, en wat er nu gebeurt.</p>"
    "<h2>Emotionele reacties</h2>"
    "<p>Is iemand boos, in rouw of in de problemen: eerst luisteren. Nooit een "
    "uitnodiging of verkooppraatje als antwoord op een emotioneel bericht. "
    "Bied hulp, zo nodig privé.</p>"
    "<h2>Uitnodigingen</h2>"
    "<p>Nodig alleen mensen uit die iets schreven waar de community op kan "
    "voortbouwen, één keer, en altijd met de afmeldlink.</p>"
)

TRACKERS = [
    {
        "name": "Vonk",
        "kind": TrackerKind.BRAND,
        "any_terms": "vonk\n@vonkenergie\n#vonk\nvonk.example",
        "none_terms": "vonkel\nvonken",
    },
    {
        "name": "Stroomco",
        "kind": TrackerKind.COMPETITOR,
        "any_terms": "stroomco\n@stroomco",
    },
    {
        "name": "Home batteries",
        "kind": TrackerKind.TOPIC,
        "any_terms": "thuisbatterij\nhome battery\nthuisaccu",
    },
]

SOURCES = [
    {
        "name": "Vonk community forum (Atom)",
        "kind": SourceKind.RSS,
        "url": "https://forum.vonk.example/latest.atom",
        "interval_minutes": 15,
    },
    {
        "name": "Mastodon: #vonk on mastodon.social",
        "kind": SourceKind.MASTODON,
        "url": "https://mastodon.social",
        "config": {"hashtags": ["vonk", "vonkenergie"]},
        "interval_minutes": 10,
    },
    {
        "name": "Bluesky search: Vonk",
        "kind": SourceKind.BLUESKY,
        "url": "https://public.api.bsky.app",
        "config": {"search": ["vonk energie", "vonkenergie"]},
        "interval_minutes": 10,
    },
]

# (network handle, name, followers, hours ago, text, engagement)
POSTS = [
    (
        "@sanne_b@mastodon.social",
        "Sanne",
        412,
        2,
        "Weet iemand hoe ik bij Vonk mijn termijnbedrag kan verlagen? Ik kan het nergens in de app vinden.",
        {"replies_count": 3},
    ),
    (
        "@jvdberg@mastodon.nl",
        "Joost van den Berg",
        1890,
        3,
        "Al drie dagen geen reactie van Vonk op mijn storing. Dit is echt niet normaal. #klantenservice",
        {"reblogs_count": 14, "favourites_count": 31},
    ),
    (
        "@energie_nerd@mastodon.social",
        "Energie Nerd",
        23000,
        5,
        "Idee voor @vonkenergie: laat in de app per uur zien wat mijn zonnepanelen terugleveren. Zou super handig zijn!",
        {"reblogs_count": 40, "favourites_count": 120},
    ),
    (
        "@lisa.k@bsky.social",
        "Lisa",
        230,
        6,
        "Vonk fixed my meter issue within an hour. Friendly people, no hassle. Really impressed 👏",
        {"likes": 18},
    ),
    (
        "@mark_h@bsky.social",
        "Mark H",
        95,
        8,
        "Thinking of switching from Stroomco to Vonk. What does a fixed contract cost for a family of four?",
        {"replies": 4},
    ),
    (
        "@tomdevries@mastodon.social",
        "Tom de Vries",
        610,
        9,
        "De Vonk app is alweer traag bij het inloggen. Jammer, want verder werkt hij prima.",
        {"favourites_count": 5},
    ),
    (
        "@amira@mastodon.nl",
        "Amira",
        340,
        11,
        "Wat kost een thuisbatterij via Vonk? Graag een offerte, wij hebben 12 panelen.",
        {"replies_count": 1},
    ),
    (
        "@greenhome@bsky.social",
        "Green Home Blog",
        15400,
        13,
        "New post: we compared home battery offers from Vonk and Stroomco. Read it here https://greenhome.example/batteries",
        {"reposts": 22, "likes": 64},
    ),
    (
        "@pieter@mastodon.social",
        "Pieter",
        75,
        15,
        "Vonk is niet slecht hoor, de overstap ging sneller dan verwacht 🙂",
        {},
    ),
    (
        "@ruth_writes@bsky.social",
        "Ruth",
        880,
        18,
        "Why does my Vonk bill show two meter readings for the same day? Anyone else seeing this?",
        {"replies": 6},
    ),
    (
        "@jan_z@mastodon.nl",
        "Jan Z.",
        48,
        20,
        "Vonk heeft mijn voorschot zonder overleg verhoogd met 40 euro. Waardeloos.",
        {"reblogs_count": 3},
    ),
    (
        "@stroomco_fan@bsky.social",
        "Dirk",
        150,
        22,
        "Stroomco's new app is really slick. Vonk, take notes.",
        {"likes": 9},
    ),
    (
        "@sofie@mastodon.social",
        "Sofie",
        1200,
        26,
        "Suggestion for Vonk: a monthly email with my usage compared to similar homes would help me save.",
        {"favourites_count": 14},
    ),
    (
        "@henk@mastodon.nl",
        "Henk",
        60,
        30,
        "Top service van Vonk vandaag! Monteur was op tijd en legde alles rustig uit.",
        {"favourites_count": 7},
    ),
    (
        "@news_energy@bsky.social",
        "Energy News NL",
        48000,
        34,
        "Vonk en Stroomco verlagen allebei hun variabele tarieven per 1 januari.",
        {"reposts": 80, "likes": 150},
    ),
    (
        "@repost_bot@mastodon.social",
        "",
        3,
        35,
        "Vonk en Stroomco verlagen allebei hun variabele tarieven per 1 januari.",
        {},
    ),
    (
        "@kim@bsky.social",
        "Kim",
        310,
        40,
        "Is there a Vonk home battery that works with my old inverter? Looking to buy one this month.",
        {"replies": 2},
    ),
    (
        "@bas@mastodon.social",
        "Bas",
        205,
        44,
        "Kan Vonk niet gewoon een dynamisch contract aanbieden? Veel mensen zouden dat willen.",
        {"favourites_count": 11},
    ),
    (
        "@emma_r@bsky.social",
        "Emma",
        95,
        50,
        "Not bad at all, Vonk. The new tariff screen finally makes sense.",
        {"likes": 4},
    ),
    (
        "@frits@mastodon.nl",
        "Frits",
        40,
        60,
        "Ik word al twee weken van het kastje naar de muur gestuurd door Vonk over mijn eindafrekening 😡",
        {"reblogs_count": 2, "favourites_count": 6},
    ),
]


# --- two months of history, for the reports ----------------------------------
#
# Posts are generated from templates, deterministically (a seeded random
# generator), one to six a day over HISTORY_DAYS, at daytime hours. Each
# (template, filler, tail) combination is used once, so near-duplicate
# clusters are the deliberate reposts only. (language, template, fillers)
HISTORY_DAYS = 60
HISTORY_TEMPLATES = [
    ("nl", "Weet iemand hoe ik bij Vonk {x} kan aanpassen?",
     ["mijn termijnbedrag", "mijn IBAN", "mijn e-mailadres", "de meldingen", "mijn leverdatum"]),
    ("nl", "Al {x} wachten op antwoord van Vonk. Echt slecht.",
     ["twee dagen", "een week", "drie dagen", "vijf dagen"]),
    ("nl", "Top geholpen door Vonk {x}, snel en vriendelijk!",
     ["vandaag", "via de chat", "aan de telefoon", "met mijn verhuizing"]),
    ("nl", "Idee voor Vonk: {x} in de app. Zou echt handig zijn.",
     ["een weekoverzicht", "de gasprijs per dag", "een export naar Excel", "een verbruiksdoel"]),
    ("nl", "Wat kost een thuisbatterij bij Vonk voor {x}? Graag een offerte.",
     ["8 panelen", "een rijtjeshuis", "een gezin van vier", "16 panelen"]),
    ("nl", "Overstappen van Stroomco naar Vonk: {x}?",
     ["iemand ervaring", "is dat gedoe", "hoe lang duurt dat", "wat kost dat"]),
    ("nl", "Stroomco heeft {x} dan Vonk, ik twijfel.",
     ["een lager vast tarief", "een betere app", "snellere klantenservice"]),
    ("nl", "De Vonk app {x}, jammer.",
     ["crasht bij het openen", "is traag vandaag", "laat mijn verbruik niet zien", "logt me steeds uit"]),
    ("nl", "Vonk {x} bij mijn eindafrekening. Heel duidelijk uitgelegd.",
     ["hielp echt", "was eerlijk", "dacht goed mee"]),
    ("nl", "Thuisbatterij of niet? {x}",
     ["Wie heeft ervaring?", "Wat zijn jullie cijfers?", "Ik twijfel al maanden."]),
    ("nl", "Stroomco {x} vandaag.",
     ["verhoogt de tarieven", "heeft een storing", "stuurt eindelijk de jaarafrekening"]),
    ("en", "How do I {x} with Vonk?",
     ["change my advance payment", "add my partner to the app", "report a meter reading", "move my contract"]),
    ("en", "Vonk support {x}. Not happy at all.",
     ["hung up on me", "never called back", "sent me the wrong bill", "took two weeks to answer"]),
    ("en", "Shout-out to Vonk for {x}, great service!",
     ["fixing my meter fast", "the clear bill", "the new app screen", "a friendly engineer"]),
    ("en", "Suggestion for Vonk: {x} would help a lot.",
     ["hourly solar output in the app", "a dynamic tariff", "a monthly usage email", "Apple Watch support"]),
    ("en", "Looking for a home battery quote for {x}. Vonk or Stroomco?",
     ["12 panels", "a semi-detached house", "a house with a heat pump"]),
    ("en", "Stroomco or Vonk: {x}?",
     ["who has the better app", "which is cheaper for a flat", "who is greener"]),
    ("en", "Read a good piece on the home battery market today: {x}.",
     ["prices are dropping fast", "payback is still ten years", "not yet worth it for most homes"]),
    ("en", "Stroomco customer service {x}.",
     ["was great today", "is impossible to reach", "sorted it in minutes"]),
]  # fmt: skip
HISTORY_TAILS = {
    "nl": ["", "Groetjes uit Utrecht.", "(via de app)", "#energie"],
    "en": ["", "Greetings from Rotterdam.", "#energy", "(posted from my phone)"],
}
# (handle, name, followers): the people who post; the first few are loud.
HISTORY_AUTHORS = [
    ("@energie_nerd@mastodon.social", "Energie Nerd", 23000),
    ("@greenhome@bsky.social", "Green Home Blog", 15400),
    ("@wouter@mastodon.nl", "Wouter", 4100),
    ("@maaike.bsky.social", "Maaike", 2600),
    ("@ricardo@mastodon.social", "Ricardo", 1300),
    ("@anouk@mastodon.nl", "Anouk", 720),
    ("@dennis.bsky.social", "Dennis", 480),
    ("@fleur@mastodon.nl", "Fleur", 350),
    ("@hannah.bsky.social", "Hannah", 260),
    ("@ingrid@mastodon.social", "Ingrid", 190),
    ("@kees@mastodon.nl", "Kees", 140),
    ("@noor.bsky.social", "Noor", 120),
    ("@priya.bsky.social", "Priya", 95),
    ("@ruben@mastodon.nl", "Ruben", 80),
    ("@saskia@mastodon.social", "Saskia", 64),
    ("@thijs.bsky.social", "Thijs", 51),
    ("@vera@mastodon.nl", "Vera", 40),
    ("@yusuf.bsky.social", "Yusuf", 33),
    ("@zoe@mastodon.social", "Zoë", 21),
    ("@liam.bsky.social", "Liam", 12),
]
# A burst in the last hour: the app is down, and people say so. Enough for
# the spike detector to raise an alert when the demo is seeded.
BURST_TEMPLATES = [
    ("nl", "De Vonk app is {x} down. Kan niet inloggen.",
     ["alweer", "sinds een half uur", "nu al de hele tijd", "voor de tweede keer deze week", "gewoon"]),
    ("nl", "Storing bij Vonk? De app {x}.",
     ["doet helemaal niks", "geeft een foutmelding", "blijft laden", "sluit meteen af"]),
    ("en", "Is the Vonk app down? {x}",
     ["Can't log in at all.", "Error 503 every time.", "Nothing loads.", "Really annoying.",
      "Down for everyone?"]),
]  # fmt: skip
BURST_SIZE = 14

# Replies staff gave, in the language of the post.
REPLY_TEXTS = {
    "nl": {
        "thanks": "Dank je wel, wat fijn om te horen! Groet, {name}",
        "help": "Hoi! {name} van Vonk hier. Ik stuur je een DM, dan zoeken we het samen uit.",
    },
    "en": {
        "thanks": "Thank you, that's great to hear! {name}",
        "help": "Hi! {name} from Vonk here. I've sent you a DM so we can sort this out together.",
    },
}
# What staff did with older posts, per intent: (responded, ignored, closed)
# shares; the rest is still open, most of it overdue.
HANDLING = {
    Intent.COMPLAINT: (0.85, 0.0, 0.05),
    Intent.QUESTION: (0.8, 0.0, 0.1),
    Intent.LEAD: (0.75, 0.0, 0.05),
    Intent.IDEA: (0.65, 0.15, 0.1),
    Intent.PRAISE: (0.6, 0.35, 0.0),
    Intent.OTHER: (0.3, 0.45, 0.15),
}
# Share of responses within the target (the rest are late).
ON_TIME = 0.8


def seed(*, home_en, nl, staff, members) -> None:
    now = timezone.now()
    for spec in TRACKERS:
        tracker, created = Tracker.objects.get_or_create(
            name=spec["name"], defaults=spec
        )
        if created:  # set up before the history began (spike baselines see it)
            Tracker.objects.filter(pk=tracker.pk).update(
                created_at=now - timedelta(days=HISTORY_DAYS + 1)
            )
    sources = {}
    for spec in SOURCES:
        # Off: the demo has no network, and polling a real network is the
        # brand's decision, not the demo's.
        sources[spec["kind"]], _created = Source.objects.get_or_create(
            name=spec["name"], defaults={**spec, "enabled": False}
        )
    demo_source, _created = Source.objects.get_or_create(
        name="Demo posts", kind=SourceKind.UPLOAD, defaults={"enabled": False}
    )
    mention_upsert_batch(
        source=demo_source,
        raw_mentions=[
            RawMention(
                external_id=f"demo-{index}",
                text=text,
                url=f"https://social.example/demo/{index}",
                author_handle=handle,
                author_name=name,
                author_followers=followers,
                posted_at=now - timedelta(hours=hours),
                raw=engagement,
            )
            for index, (handle, name, followers, hours, text, engagement) in enumerate(
                POSTS, start=1
            )
        ],
    )
    new_history = _history(sources, now)
    # The SLA clock starts on arrival; in the demo the posts "arrived" when
    # they were posted, so some are overdue and some are still on time.
    demo_sources = [demo_source, *sources.values()]
    demo_mentions = Mention.objects.filter(
        source__in=demo_sources, first_response_at__isnull=True
    )
    demo_mentions.filter(posted_at__isnull=False).update(
        fetched_at=F("posted_at"),
        due_at=F("posted_at") + (F("due_at") - F("fetched_at")),
    )
    handwritten = demo_mentions.filter(source=demo_source)
    first = handwritten.filter(status=MentionStatus.NEW).order_by("posted_at")
    assigned = list(first.values_list("pk", flat=True)[:2])
    if staff is not None and not handwritten.filter(assignee__isnull=False).exists():
        Mention.objects.filter(pk__in=assigned).update(
            assignee=staff, status=MentionStatus.ASSIGNED
        )
    if staff is not None:
        team = [staff, *(u for u in members.values() if u.is_staff and u != staff)]
        _handle(new_history, team, now)
        _invitations(demo_sources, staff, now)
    if home_en is not None:
        _guidelines(home_en, nl)
    # The reports read the daily rollup; the spike detector looks at the
    # last hour, where the burst is.
    rollup_refresh()
    spikes_detect()


def _history_raw(now) -> list[tuple[str, RawMention]]:
    """(source kind, post) for two months of history and the burst."""
    rng = random.Random(7)  # noqa: S311 # nosec B311 - demo data, not security
    combos = [
        (lang, template.format(x=filler), tail)
        for lang, template, fillers in HISTORY_TEMPLATES
        for filler in fillers
        for tail in HISTORY_TAILS[lang]
    ]
    rng.shuffle(combos)
    local = timezone.get_default_timezone()
    posts: list[tuple[str, RawMention]] = []
    n = 0
    for days_ago in range(HISTORY_DAYS, 0, -1):
        day = timezone.localtime(now, local).date() - timedelta(days=days_ago)
        # A little busier lately and on weekdays.
        count = rng.choice([1, 2, 2, 3, 3, 4]) + (1 if days_ago < 30 else 0)
        count -= 1 if day.weekday() >= 5 else 0
        for _i in range(max(count, 1)):
            if not combos:
                break
            lang, text, tail = combos.pop()
            handle, name, followers = rng.choice(HISTORY_AUTHORS)
            at = timezone.make_aware(
                datetime.combine(day, time(rng.randint(7, 22), rng.randint(0, 59))),
                local,
            )
            n += 1
            posts.append(
                _raw(f"demo-h{n}", f"{text} {tail}".strip(), handle, name, followers,
                     at, rng, lang)
            )  # fmt: skip
            if rng.random() < 0.08:  # a repost: same words, its own author
                n += 1
                repost_by = rng.choice(HISTORY_AUTHORS[8:])
                posts.append(
                    _raw(f"demo-h{n}", f"{text} {tail}".strip(), *repost_by,
                         at + timedelta(minutes=rng.randint(5, 90)), rng, lang)
                )  # fmt: skip
    burst = [
        (lang, template.format(x=filler))
        for lang, template, fillers in BURST_TEMPLATES
        for filler in fillers
    ]
    rng.shuffle(burst)
    # Inside the last whole hour that ends on a quarter hour: the window the
    # spike detector reads (listening.spikes.window_for).
    end = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    for b, (lang, text) in enumerate(burst[:BURST_SIZE], start=1):
        handle, name, followers = HISTORY_AUTHORS[(b * 7) % len(HISTORY_AUTHORS)]
        at = end - timedelta(minutes=55 - b * 3)
        posts.append(_raw(f"demo-b{b}", text, handle, name, followers, at, rng, lang))
    return posts


def _raw(external_id, text, handle, name, followers, at, rng, language):
    """One generated post, as a Mastodon or Bluesky connector would give it
    (with the language the network declares, used when detection is unsure)."""
    bluesky = "bsky" in handle
    likes = int(followers * rng.uniform(0.001, 0.02))
    return (
        SourceKind.BLUESKY if bluesky else SourceKind.MASTODON,
        RawMention(
            external_id=external_id,
            text=text,
            url=f"https://social.example/{external_id}",
            author_handle=handle,
            author_name=name,
            author_followers=followers,
            posted_at=at,
            language=language,
            raw={"likes": likes} if bluesky else {"favourites_count": likes},
        ),
    )


def _history(sources: dict, now) -> list[int]:
    """Store the history posts; the ids of the mentions that are new."""
    by_kind: dict[str, list[RawMention]] = {}
    for kind, raw in _history_raw(now):
        by_kind.setdefault(kind, []).append(raw)
    new: list[int] = []
    for kind, raws in by_kind.items():
        source = sources[kind]
        ids = [r.external_id for r in raws]
        existing = set(
            Mention.objects.filter(source=source, external_id__in=ids).values_list(
                "external_id", flat=True
            )
        )
        mention_upsert_batch(source=source, raw_mentions=raws)
        new += list(
            Mention.objects.filter(source=source, external_id__in=ids)
            .exclude(external_id__in=existing)
            .values_list("pk", flat=True)
        )
    return new


def _handle(mention_ids: list[int], team: list, now) -> None:
    """What staff did with the history: replies (most on time, some late),
    ignored and closed posts, and the rest still open. Only posts older than
    a day are handled, and only once (the new ones of this run)."""
    rng = random.Random(11)  # noqa: S311 # nosec B311 - demo data, not security
    mentions = (
        Mention.objects.filter(
            pk__in=mention_ids, posted_at__lt=now - timedelta(days=1)
        )
        .exclude(external_id__startswith="demo-b")
        .order_by("posted_at", "pk")
    )
    for mention in mentions:
        intent = mention.intent or Intent.OTHER
        responded, ignored, closed = HANDLING.get(intent, HANDLING[Intent.OTHER])
        roll = rng.random()
        if roll < responded:
            target = (mention.due_at or mention.fetched_at + timedelta(days=1)) - (
                mention.fetched_at
            )
            late = rng.random() > ON_TIME
            factor = rng.uniform(1.2, 4.0) if late else rng.uniform(0.1, 0.9)
            at = mention.fetched_at + target * factor
            if at >= now:
                continue  # not answered yet: still open
            # Eva answers most, Daan (if there) is a bit slower.
            by = (
                team[0]
                if len(team) == 1 or rng.random() < 0.6
                else rng.choice(team[1:])
            )
            _reply(mention, by, at, thanks=intent == Intent.PRAISE)
        elif roll < responded + ignored:
            at = mention.fetched_at + timedelta(hours=rng.uniform(1, 20))
            Mention.objects.filter(pk=mention.pk).update(
                status=MentionStatus.IGNORED, status_changed_at=min(at, now)
            )
        elif roll < responded + ignored + closed:
            at = mention.fetched_at + timedelta(hours=rng.uniform(1, 30))
            Mention.objects.filter(pk=mention.pk).update(
                status=MentionStatus.CLOSED,
                status_changed_at=min(at, now),
                assignee=team[0],
                engaged_at=min(at, now),
            )


def _reply(mention: Mention, by, at, *, thanks: bool) -> None:
    lang = mention.language if mention.language in ("nl", "en") else "en"
    first_name = (by.display_name or by.username).split(" ")[0]
    text = REPLY_TEXTS[lang]["thanks" if thanks else "help"].format(name=first_name)
    reply = MentionReply.objects.create(
        mention=mention,
        kind=ReplyKind.ANSWER,
        text=text,
        channel=ReplyChannel.MANUAL,
        replied_by=by,
    )
    MentionReply.objects.filter(pk=reply.pk).update(created_at=at)
    Mention.objects.filter(pk=mention.pk).update(
        status=MentionStatus.RESPONDED,
        status_changed_at=at,
        assignee=by,
        engaged_at=at,
        first_response_at=at,
        first_response_seconds=max(0, int((at - mention.fetched_at).total_seconds())),
        first_response_by=by,
    )


# How far each demo invitation got, oldest first: the invitations funnel
# (offered → opened → joined → contributed) and its opt-out rate.
INVITATION_PLAN = [
    "contributed",
    "joined",
    "declined",
    "opened",
    "opted_out",
    "offered",
]


def _invitations(sources: list, staff, now) -> None:
    """A few invitations through the real consent services, then put on the
    dates they would have had. Once: skipped when any demo invitation exists."""
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError

    from portal.accounts.models import SignupSource

    from .consent import (
        invitation_decline,
        invitation_offer,
        invitation_open,
        invitation_optout,
    )
    from .join import draft_publish, invitation_join
    from .models import ConsentEvent, ContributionDraft, Invitation

    if Invitation.objects.filter(mention__source__in=sources).exists():
        return
    candidates = (
        Mention.objects.filter(
            source__in=sources,
            status=MentionStatus.RESPONDED,
            intent__in=[Intent.IDEA, Intent.QUESTION, Intent.PRAISE],
            first_response_at__lt=now - timedelta(days=2),
            first_response_at__gte=now - timedelta(days=28),
        )
        .exclude(sentiment_label="negative")
        .select_related("source")
        .order_by("posted_at")
    )
    # One per author, spread over four weeks (the oldest get furthest).
    by_author: dict[str, Mention] = {}
    for mention in candidates:
        by_author.setdefault(mention.author_handle, mention)
    pool = sorted(by_author.values(), key=lambda m: m.posted_at)
    spacing = max(len(pool) / len(INVITATION_PLAN), 1)
    picked = [
        pool[int(i * spacing)] for i in range(min(len(pool), len(INVITATION_PLAN)))
    ]
    # The one who contributes turns their post into a question (an idea
    # would sit among the demo's hand-written ideas, which benches count).
    question = next((m for m in pool if m.intent == Intent.QUESTION), None)
    if picked and question is not None:
        if question in picked:
            picked.remove(question)
        picked = [question, *picked[: len(INVITATION_PLAN) - 1]]
    User = get_user_model()
    for mention, plan in zip(picked, INVITATION_PLAN, strict=False):
        invitation = invitation_offer(mention=mention, user=staff)
        if not isinstance(invitation, Invitation):
            continue  # the consent check said no: fine, the ledger has it
        offered = mention.first_response_at + timedelta(minutes=5)
        dates = {"offered": offered}
        if plan != "offered":
            invitation_open(invitation)
            dates["opened"] = offered + timedelta(hours=3)
        if plan == "declined":
            invitation_decline(invitation)
            dates["declined"] = dates["opened"] + timedelta(minutes=2)
        elif plan == "opted_out":
            invitation_optout(invitation)
            dates["opted_out"] = offered + timedelta(hours=1)
        elif plan in ("joined", "contributed"):
            username = (mention.author_name or "member").split(" ")[0].lower()
            dates["joined"] = dates["opened"] + timedelta(minutes=20)
            member, _created = User.objects.get_or_create(
                email=f"{username}@vonk.example",
                defaults={
                    "username": username,
                    "display_name": mention.author_name,
                    "language": mention.language or "nl",
                    "signup_source": SignupSource.INVITATION,
                    "date_joined": dates["joined"],
                },
            )
            draft = invitation_join(invitation=invitation, user=member)
            ContributionDraft.objects.filter(pk=draft.pk).update(
                created_at=dates["joined"]
            )
            if plan == "contributed" and draft.kind == "question":
                try:
                    published = draft_publish(
                        draft=draft, user=member, title=draft.title, body=draft.body
                    )
                except ValidationError:
                    published = None
                if published is not None:
                    dates["contributed"] = dates["joined"] + timedelta(days=1)
                    _shift(published, published.created_at - dates["contributed"])
                    ContributionDraft.objects.filter(pk=draft.pk).update(
                        published_at=dates["contributed"]
                    )
        Invitation.objects.filter(pk=invitation.pk).update(
            created_at=offered,
            expires_at=offered + (invitation.expires_at - invitation.created_at),
            **{f"{kind}_at": at for kind, at in dates.items() if kind != "offered"},
        )
        for kind, at in dates.items():
            ConsentEvent.objects.filter(invitation=invitation, kind=kind).update(
                created_at=at
            )


def _shift(obj, delta: timedelta) -> None:
    """Move an idea or question (made through the services just now) back in
    time by ``delta``, with its other timestamps."""
    names = {f.name for f in type(obj)._meta.get_fields()}
    stamps = ["created_at", "updated_at", "last_activity_at", "status_changed_at",
              "first_answer_due_at"]  # fmt: skip
    type(obj).objects.filter(pk=obj.pk).update(
        **{name: F(name) - delta for name in stamps if name in names}
    )


def _guidelines(home_en, nl) -> None:
    from wagtail.models import Page, Site

    from .pages import WebcareGuidelinesPage, WebcareSettings
    from .webcare import webcare_settings

    page = WebcareGuidelinesPage.objects.child_of(home_en).first()
    if page is None:
        page = WebcareGuidelinesPage(
            title="Webcare guidelines",
            slug="webcare-guidelines",
            intro=GUIDELINES_INTRO,
            body=GUIDELINES_BODY,
            show_in_menus=False,
        )
        home_en.add_child(instance=page)
        page.save_revision().publish()
        nl_page = page.copy_for_translation(nl).specific
        if nl_page is not None:
            nl_page.title = "Webcare-richtlijnen"
            nl_page.intro = GUIDELINES_NL_INTRO
            nl_page.body = GUIDELINES_NL_BODY
            nl_page.save_revision().publish()
    site = Site.objects.filter(root_page=home_en).first()
    cfg = WebcareSettings.for_site(site) if site else webcare_settings()
    if cfg.pk and cfg.guidelines_page_id is None:
        cfg.guidelines_page = Page.objects.get(pk=page.pk)
        cfg.save()
