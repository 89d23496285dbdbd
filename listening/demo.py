"""The listening part of the Vonk demo community (registered with seed_demo).

Trackers for the brand, a competitor and a topic; feeds and a Mastodon
source that are switched off (the demo runs offline, so nothing is polled);
and a few dozen public posts in English and Dutch stored through the real
pipeline, so language, sentiment, intent, lead and competitor flags,
influence and clusters are what enrichment says. Safe to run twice: posts
have stable ids and the upsert is idempotent.
"""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from .connectors.base import RawMention
from .models import Mention, MentionStatus, Source, SourceKind, Tracker, TrackerKind
from .services import mention_upsert_batch

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


def seed(*, home_en, nl, staff, members) -> None:
    for spec in TRACKERS:
        Tracker.objects.get_or_create(name=spec["name"], defaults=spec)
    for spec in SOURCES:
        # Off: the demo has no network, and polling a real network is the
        # brand's decision, not the demo's.
        Source.objects.get_or_create(
            name=spec["name"], defaults={**spec, "enabled": False}
        )
    demo_source, _created = Source.objects.get_or_create(
        name="Demo posts", kind=SourceKind.UPLOAD, defaults={"enabled": False}
    )
    now = timezone.now()
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
    # The SLA clock starts on arrival; in the demo the posts "arrived" when
    # they were posted, so some are overdue and some are still on time.
    demo_mentions = Mention.objects.filter(
        source=demo_source, first_response_at__isnull=True
    )
    demo_mentions.filter(posted_at__isnull=False).update(
        fetched_at=F("posted_at"),
        due_at=F("posted_at") + (F("due_at") - F("fetched_at")),
    )
    first = demo_mentions.filter(status=MentionStatus.NEW).order_by("posted_at")
    assigned = list(first.values_list("pk", flat=True)[:2])
    if staff is not None and not demo_mentions.filter(assignee__isnull=False).exists():
        Mention.objects.filter(pk__in=assigned).update(
            assignee=staff, status=MentionStatus.ASSIGNED
        )
    if home_en is not None:
        _guidelines(home_en, nl)


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
