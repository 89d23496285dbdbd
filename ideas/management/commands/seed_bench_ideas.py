"""Fill a database with many synthetic ideas and votes, for benchmarks.

    manage.py seed_bench_ideas --ideas 100000 --votes-per-idea 10 --members 10000

Rows are written directly, never through the services: members with
bulk_create, ideas, votes, status history, follows and tags with COPY on
PostgreSQL (a multi-row INSERT elsewhere). Nothing is enqueued and nothing is
written to the semantic index; run `manage.py rebuild_semantic_index` to make
the ideas searchable. Counters (vote_count, follower_count, trending_score,
last_activity_at) match the rows created, so pages show what they would with
real data: heavy-tailed vote counts, ideas spread over two years, every
status (2% merged into an older idea, with no votes left), 0.5% hidden, 0-3
tags, a focus area on 80%, and the author as the one follower. Comments are
not created (comment_count is 0). On this 2-core machine 100k ideas with 1M
votes take about 70 seconds.

Bench members are named "bench-00001" and so on; bench ideas are the ideas
they wrote. The command refuses to run when the database holds ideas other
than the demo community's, unless --force is given; --force first deletes the
ideas an earlier run created (and everything attached to them), then seeds
afresh, reusing the bench members.
"""

import math
import random
from datetime import datetime, timedelta
from itertools import islice

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.test.utils import override_settings
from django.utils import timezone
from taggit.models import Tag
from tqdm import tqdm

from ideas import demo
from ideas.models import (
    Idea,
    IdeaFollow,
    IdeasIndexPage,
    IdeaStatus,
    StatusChange,
    TaggedIdea,
    Vote,
)
from ideas.services.common import trending_score
from portal.core.text import markdown_to_safe_html
from portal.pages.models import FocusArea

MEMBER_PREFIX = "bench-"
HISTORY_DAYS = 730
BATCH = 5_000
IDEA_FIELDS = [
    "id",
    "created_at",
    "updated_at",
    "title",
    "body",
    "body_html",
    "author",
    "focus_area",
    "image",
    "language",
    "status",
    "status_changed_at",
    "vote_count",
    "comment_count",
    "follower_count",
    "trending_score",
    "last_activity_at",
    "merged_into",
    "is_hidden",
    "hidden_reason",
    "is_locked",
    "flag_count",
    "has_official_response",
]
HISTORY_FIELDS = [
    "created_at",
    "updated_at",
    "idea",
    "from_status",
    "to_status",
    "changed_by",
    "response",
    "response_html",
    "admits_mistake",
]

# Share of ideas per status; merged ones point at an older idea and keep no votes.
STATUS_WEIGHTS = [
    (IdeaStatus.NEW, 52),
    (IdeaStatus.UNDER_REVIEW, 14),
    (IdeaStatus.PLANNED, 7),
    (IdeaStatus.IN_PROGRESS, 6),
    (IdeaStatus.LAUNCHED, 9),
    (IdeaStatus.DECLINED, 10),
    (IdeaStatus.MERGED, 2),
]
HIDDEN_SHARE = 0.005
RESPONSE_SHARE = 0.6

# (English, Dutch) phrases; titles are "verb feature place [qualifier]".
VERBS = [
    ("Show", "Toon"),
    ("Add", "Voeg toe:"),
    ("Improve", "Verbeter"),
    ("Let me change", "Laat mij aanpassen:"),
    ("Please support", "Graag ondersteuning voor"),
    ("Make it possible to see", "Maak zichtbaar:"),
    ("Notify me about", "Stuur een melding over"),
    ("Simplify", "Vereenvoudig"),
    ("Let me download", "Laat mij downloaden:"),
    ("Explain", "Leg uit:"),
]
FEATURES = [
    ("dark mode", "donkere modus"),
    ("solar panel yield", "opbrengst van de zonnepanelen"),
    ("the monthly advance", "het termijnbedrag"),
    ("meter readings", "meterstanden"),
    ("heat pump settings", "instellingen van de warmtepomp"),
    ("charging sessions of my charger", "laadsessies van mijn laadpaal"),
    ("dynamic energy prices", "dynamische energieprijzen"),
    ("gas usage", "gasverbruik"),
    ("the annual invoice", "de jaarnota"),
    ("contract renewal", "contractverlenging"),
    ("smart meter data", "gegevens van de slimme meter"),
    ("home battery status", "status van de thuisbatterij"),
    ("peak hours", "piekuren"),
    ("CO2 savings", "CO2-besparing"),
    ("payment by iDEAL", "betalen met iDEAL"),
    ("the direct debit date", "de incassodatum"),
    ("moving house", "verhuizen"),
    ("push notifications", "pushmeldingen"),
    ("a home screen widget", "een widget op het beginscherm"),
    ("export to CSV", "exporteren naar CSV"),
    ("feed-in tariff", "terugleververgoeding"),
    ("outage alerts", "storingsmeldingen"),
    ("green energy origin", "herkomst van groene stroom"),
    ("energy saving tips", "energiebespaartips"),
]
PLACES = [
    ("in the app", "in de app"),
    ("on the website", "op de website"),
    ("in my account", "in mijn account"),
    ("per day", "per dag"),
    ("per month", "per maand"),
    ("in the dashboard", "in het dashboard"),
    ("on my phone", "op mijn telefoon"),
    ("for every customer", "voor alle klanten"),
    ("on the invoice", "op de factuur"),
    ("by email", "per e-mail"),
]
QUALIFIERS = [
    ("", ""),
    ("", ""),
    ("", ""),
    ("for renters", "voor huurders"),
    ("with a weekly summary", "met een weekoverzicht"),
    ("compared to last year", "vergeleken met vorig jaar"),
    ("for small businesses", "voor kleine bedrijven"),
    ("without logging in", "zonder in te loggen"),
    ("in plain language", "in gewone taal"),
    ("for two addresses", "voor twee adressen"),
    ("with a chart", "met een grafiek"),
    ("before the end of the month", "voor het einde van de maand"),
]
REASONS = [
    ("It saves me time every month.", "Dat scheelt me elke maand tijd."),
    ("Then I can plan ahead.", "Dan kan ik vooruit plannen."),
    ("Other suppliers already offer this.", "Andere leveranciers bieden dit al."),
    ("It avoids surprises on the bill.", "Zo voorkom je verrassingen op de nota."),
    ("My neighbours asked for it too.", "Mijn buren vroegen er ook om."),
    ("It is hard to find right now.", "Het is nu lastig te vinden."),
    ("I check this **every week**.", "Ik kijk hier **elke week** naar."),
    ("The current screen is confusing.", "Het huidige scherm is verwarrend."),
]
TAGS = [
    "app", "billing", "solar", "heat-pump", "data", "notifications", "moving",
    "accessibility", "sustainability", "charging", "prices", "invoice",
    "zonnepanelen", "termijnbedrag", "meterstanden", "laadpaal", "duurzaamheid",
    "factuur", "verhuizen", "meldingen",
]  # fmt: skip
RESPONSES = [
    ("Thanks! We are looking into this.", "Dank je! We kijken hiernaar."),
    ("This is on our roadmap.", "Dit staat op onze planning."),
    ("Live in the latest release.", "Staat live in de nieuwste versie."),
    ("We won't do this, and here is why.", "Dit doen we niet, en dit is waarom."),
]


def _stride(members: int) -> int:
    """A step coprime with the member count, so one idea's voters never repeat."""
    step = 1009
    while math.gcd(step, members) != 1:
        step += 1
    return step


def _vote_counts(rng: random.Random, n: int, total: int, cap: int) -> list[int]:
    """Heavy-tailed vote counts (most ideas get a few, some get thousands)
    that add up to `total`, each at most `cap`."""
    if n == 0:
        return []
    weights = [rng.paretovariate(1.6) for _ in range(n)]
    scale = total / sum(weights)
    counts = [min(cap, int(w * scale)) for w in weights]
    missing = total - sum(counts)
    i = 0
    while missing > 0 and i < 10 * n:
        j = rng.randrange(n)
        if counts[j] < cap:
            counts[j] += 1
            missing -= 1
        i += 1
    return counts


class Command(BaseCommand):
    help = "Fill the database with synthetic ideas, members and votes (benchmarks)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--ideas", type=int, default=100_000)
        parser.add_argument("--votes-per-idea", type=int, default=10)
        parser.add_argument("--members", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=42, help="random seed")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete ideas from an earlier run and seed even if ideas exist.",
        )

    def handle(self, *args, **opts) -> None:
        n_ideas, members = opts["ideas"], opts["members"]
        per_idea = opts["votes_per_idea"]
        if n_ideas < 1 or members < 1 or per_idea < 0:
            raise CommandError("--ideas and --members must be positive.")
        if per_idea > members:
            raise CommandError("--votes-per-idea cannot exceed --members.")
        demo_titles = [row[3] for row in demo.IDEAS]
        existing = Idea.objects.exclude(title__in=demo_titles).count()
        if existing and not opts["force"]:
            raise CommandError(
                f"{existing} ideas already exist; refusing to add bench data. "
                "Use --force to replace an earlier bench run's ideas."
            )
        started = timezone.now()
        if opts["force"]:
            self._delete_bench_ideas()
        if not IdeasIndexPage.objects.exists():
            self.stdout.write("No ideas page yet: running seed_demo first.")
            # The demo goes through the services, which index on commit; an
            # in-process BM25 store keeps that away from the real index.
            with override_settings(
                SEMANTIC_STORE="memory", SEMANTIC_EMBEDDINGS_ENABLED=False
            ):
                call_command("seed_demo", stdout=self.stdout)
        rng = random.Random(opts["seed"])  # noqa: S311 # nosec B311 - reproducible fake data
        member_ids = self._members(members, rng)
        ideas, votes, history = self._ideas(
            rng, n_ideas=n_ideas, per_idea=per_idea, member_ids=member_ids
        )
        # Fresh statistics and visibility maps, as autovacuum would leave them
        # on a live site; without them the planner misjudges every join.
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        verb = "VACUUM ANALYZE" if vacuum else "ANALYZE"
        with connection.cursor() as cursor:
            for model in (
                get_user_model(),
                Idea,
                Vote,
                StatusChange,
                IdeaFollow,
                TaggedIdea,
            ):
                cursor.execute(f"{verb} {model._meta.db_table}")  # noqa: S608
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {ideas} ideas, {votes} votes, {history} history entries "
                f"and {len(member_ids)} bench members in {seconds:.0f} s. "
                f"Totals now: {Idea.objects.count()} ideas, "
                f"{Vote.objects.count()} votes, "
                f"{get_user_model().objects.count()} users."
            )
        )
        self.stdout.write(
            "The semantic index was not touched; run rebuild_semantic_index "
            "to make these ideas searchable."
        )

    # --- members -------------------------------------------------------------

    def _members(self, count: int, rng: random.Random) -> list[int]:
        User = get_user_model()
        password = make_password(None)  # unusable, and hashed once
        now = timezone.now()
        wanted = [f"{MEMBER_PREFIX}{i:05d}" for i in range(1, count + 1)]
        have = set(
            User.objects.filter(username__in=wanted).values_list("username", flat=True)
        )
        new = [
            User(
                username=name,
                email=f"{name}@bench.invalid",
                display_name=f"Bench member {name[len(MEMBER_PREFIX) :]}",
                language=rng.choice(("en", "nl")),
                password=password,
                date_joined=now - timedelta(days=rng.uniform(30, HISTORY_DAYS + 365)),
            )
            for name in wanted
            if name not in have
        ]
        with tqdm(total=len(new), desc="members", unit="member") as bar:
            for batch in _chunks(new, BATCH):
                User.objects.bulk_create(batch, ignore_conflicts=True)
                bar.update(len(batch))
        ids = dict(
            User.objects.filter(username__in=wanted).values_list("username", "pk")
        )
        return [ids[name] for name in wanted]

    # --- ideas, votes, history -------------------------------------------------

    def _ideas(
        self,
        rng: random.Random,
        *,
        n_ideas: int,
        per_idea: int,
        member_ids: list[int],
    ) -> tuple[int, int, int]:
        now = timezone.now()
        staff = get_user_model().objects.filter(is_staff=True).order_by("pk").first()
        areas = list(
            FocusArea.objects.filter(is_active=True).values_list("pk", flat=True)
        )
        tag_ids = [
            Tag.objects.get_or_create(slug=name, defaults={"name": name})[0].pk
            for name in TAGS
        ]
        statuses = rng.choices(
            [s for s, _w in STATUS_WEIGHTS],
            [w for _s, w in STATUS_WEIGHTS],
            k=n_ideas,
        )
        statuses[0] = IdeaStatus.NEW  # a merged idea needs an older target
        # Merged ideas' votes moved to their target; the others share them all.
        open_positions = [i for i, s in enumerate(statuses) if s != IdeaStatus.MERGED]
        counts = [0] * n_ideas
        for i, c in zip(
            open_positions,
            _vote_counts(
                rng, len(open_positions), per_idea * n_ideas, cap=len(member_ids)
            ),
            strict=True,
        ):
            counts[i] = c
        # Oldest first, so ids grow with time as they would on a real site.
        span = HISTORY_DAYS * 86400
        created = sorted(
            now - timedelta(seconds=rng.uniform(0, span)) for _ in range(n_ideas)
        )
        stride, n_members = _stride(len(member_ids)), len(member_ids)
        html_cache: dict[str, str] = {}
        first_id = _allocate_ids(Idea, n_ideas)
        totals = [0, 0, 0]  # ideas, votes, history
        bar = tqdm(total=n_ideas, desc="ideas", unit="idea")
        for start in range(0, n_ideas, BATCH):
            ideas, votes, history, follows, tags = [], [], [], [], []
            for i in range(start, min(start + BATCH, n_ideas)):
                pk, at, status = first_id + i, created[i], statuses[i]
                lang = rng.randrange(2)
                age = (now - at).total_seconds()
                vote_times = sorted(
                    at + timedelta(seconds=age * rng.random()) for _ in range(counts[i])
                )
                changed_at = at + timedelta(seconds=age * rng.random() * 0.5)
                if status == IdeaStatus.NEW:
                    changed_at = at
                title = " ".join(
                    part
                    for part in (
                        rng.choice(VERBS)[lang],
                        rng.choice(FEATURES)[lang],
                        rng.choice(PLACES)[lang],
                        rng.choice(QUALIFIERS)[lang],
                    )
                    if part
                )[:140]
                body = " ".join(r[lang] for r in rng.sample(REASONS, rng.randint(2, 4)))
                if body not in html_cache:
                    html_cache[body] = markdown_to_safe_html(body)
                author = member_ids[(i * 31) % n_members]
                response = ""
                if status != IdeaStatus.NEW and rng.random() < RESPONSE_SHARE:
                    response = RESPONSES[i % len(RESPONSES)][lang]
                merged_into = None
                if status == IdeaStatus.MERGED:
                    # Any older idea that is not itself a duplicate.
                    target = rng.randrange(i)
                    while statuses[target] == IdeaStatus.MERGED:
                        target = rng.randrange(i)
                    merged_into = first_id + target
                ideas.append(
                    (
                        pk,
                        at,
                        changed_at,
                        title,
                        body,
                        html_cache[body],
                        author,
                        rng.choice(areas) if areas and rng.random() < 0.8 else None,
                        "",
                        ("en", "nl")[lang],
                        status,
                        changed_at,
                        counts[i],
                        0,
                        1,
                        trending_score(votes=counts[i], created_at=at),
                        max([changed_at, *vote_times[-1:]]),
                        merged_into,
                        rng.random() < HIDDEN_SHARE,
                        "",
                        False,
                        0,
                        bool(response),
                    )
                )
                votes.extend(
                    (pk, member_ids[(i * 7 + k * stride) % n_members], vote_at)
                    for k, vote_at in enumerate(vote_times)
                )
                history.append((at, at, pk, "", IdeaStatus.NEW, author, "", "", False))
                if status != IdeaStatus.NEW:
                    history.append(
                        (
                            changed_at,
                            changed_at,
                            pk,
                            IdeaStatus.NEW,
                            status,
                            staff.pk if staff else None,
                            response,
                            f"<p>{response}</p>" if response else "",
                            False,
                        )
                    )
                follows.append((pk, author, at))
                tags.extend(
                    (pk, tag_id)
                    for tag_id in rng.sample(tag_ids, rng.choice((0, 1, 1, 2, 3)))
                )
            with transaction.atomic():
                totals[0] += _insert(Idea, IDEA_FIELDS, ideas)
                totals[1] += _insert(Vote, ["idea", "user", "created_at"], votes)
                totals[2] += _insert(StatusChange, HISTORY_FIELDS, history)
                _insert(IdeaFollow, ["idea", "user", "created_at"], follows)
                _insert(TaggedIdea, ["content_object", "tag"], tags)
            bar.update(len(ideas))
        bar.close()
        return totals[0], totals[1], totals[2]

    def _delete_bench_ideas(self) -> None:
        """Delete the ideas of bench members and every row that hangs off them."""
        User = get_user_model()
        bench_users = User.objects.filter(username__startswith=MEMBER_PREFIX)
        ideas_sql, ideas_params = (
            Idea.objects.filter(author__in=bench_users)
            .values("pk")
            .query.sql_with_params()
        )
        idea_table = Idea._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor:
            for rel in Idea._meta.related_objects:
                if rel.many_to_many or not rel.field.concrete:
                    continue
                table = rel.related_model._meta.db_table
                column = rel.field.column
                # Table and column names come from the models, not from input.
                if rel.on_delete is models.CASCADE:
                    action = f"DELETE FROM {table}"  # noqa: S608 # nosec B608
                elif rel.related_model is Idea:
                    # Bench duplicates merged into bench ideas go with them
                    # (a merged idea without a target breaks a constraint).
                    continue
                else:
                    action = f"UPDATE {table} SET {column} = NULL"  # noqa: S608 # nosec B608
                cursor.execute(
                    f"{action} WHERE {column} IN ({ideas_sql})",  # noqa: S608
                    ideas_params,
                )
            # Bench members' votes on other ideas (none unless someone voted).
            cursor.execute(
                f"DELETE FROM {Vote._meta.db_table} WHERE user_id IN ("  # noqa: S608 # nosec B608
                f"SELECT id FROM {User._meta.db_table} WHERE username LIKE %s)",
                [f"{MEMBER_PREFIX}%"],
            )
            cursor.execute(
                f"DELETE FROM {idea_table} WHERE id IN ({ideas_sql})",  # noqa: S608 # nosec B608
                ideas_params,
            )
            self.stdout.write(f"Deleted {cursor.rowcount} ideas of an earlier run.")


def _chunks(items: list, size: int):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _insert(model: type[models.Model], fields: list[str], rows: list[tuple]) -> int:
    """Write rows as they are (auto_now_add is not applied): COPY on
    PostgreSQL, a plain multi-row INSERT elsewhere."""
    if not rows:
        return 0
    table = model._meta.db_table
    columns = ", ".join(model._meta.get_field(f).column for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # Store datetimes the way Django does on this backend.
            adapt = connection.ops.adapt_datetimefield_value
            rows = [
                tuple(adapt(v) if isinstance(v, datetime) else v for v in row)
                for row in rows
            ]
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 # nosec B608
                rows,
            )
    return len(rows)


def _allocate_ids(model: type[models.Model], count: int) -> int:
    """Reserve `count` consecutive primary keys; returns the first."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement moves the sequence past the block, so later
            # inserts (ours or anyone's) get ids after it.
            highest = f"SELECT COALESCE(MAX(id), 0) FROM {table}"  # noqa: S608 # nosec B608
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST("
                f"({highest}), nextval(pg_get_serial_sequence(%s, 'id'))) + %s)",
                [table, table, count],
            )
            return cursor.fetchone()[0] - count + 1
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 # nosec B608
        return cursor.fetchone()[0] + 1
