"""The webcare inbox on a million mentions: every filter combination, timed.
Not a test; one run.

    .venv/bin/python bench/inbox_bench.py [--rows 1000000] [--runs 5]
        [--reseed] [--explain 3] [--only SUBSTRING]

The issue's target: "The inbox with 1M mentions in PostgreSQL returns any
filter combination in under 200 ms at p95, with pinned query counts and the
indexes this needs."

Runs in this process with `portal.settings.test` (DEBUG off) on the
PostgreSQL database "seed_inbox_bench" (created if missing, then migrated, so
it carries the indexes of listening/migrations/). PostgreSQL is required:
without it the run says so and exits 0. When the database does not hold
exactly --rows bench mentions (or with --reseed), it empties the mention
tables of that database (it is the bench's own) and fills them in SQL
(`INSERT … SELECT generate_series`, without foreign-key triggers, secondary
indexes dropped during the load and rebuilt after, then VACUUM ANALYZE;
about 3 minutes for 1M rows on 2 cores): 5 staff users, 10 sources, 8
trackers, 20 ideas and --rows mentions over a year, with skewed, partly
correlated values:

- status:     about 5% open (new, assigned), most of them in the last month;
              the rest responded, closed, ignored, a few linked and invited;
- intent:     other, question, complaint, praise, idea, about 2% lead;
              sentiment follows intent (complaints mostly negative, praise
              mostly positive); languages en, nl, a few de/fr/none;
- sources:    10, skewed (the biggest holds about a third of the rows);
- trackers:   8, skewed, one or two per mention (listening_mention_trackers);
- influence:  0-100, skewed low (100 * u^3); about 2% sales leads;
- assignees:  open assigned and answered mentions carry one of 5 staff users;
- due_at:     fetched_at + 1 h (complaints) or 24 h; linked mentions link to
              one of the 20 ideas.

Then it runs ANALYZE (which also fills the extended statistics of migration
0008) and, for each filter combination (a query string of the admin inbox),
times what the inbox page runs: `InboxFilterForm(query, user=me)`,
`inbox_queryset(form.cleaned_data, user=me)` and the first page,
`list(qs.select_related("source", "assignee").prefetch_related("trackers")
[:51])`, once to warm up and then --runs times. It prints p50/p95/max per
combination, the rows returned and the queries run (pinned: 2, or 1 for an
empty page, whose prefetch Django skips, plus one per tracker or source
chosen in the form; there is no COUNT), the overall p95
over every timing, the ratio of each p95 to the p95 of the baseline (the
first 51 mentions by primary key, with the same joins and prefetch, measured
in the same run before and after the combinations), PASS/FAIL against
200 ms per combination, and EXPLAIN ANALYZE of the slowest combinations.
The objects of the set-up are frozen out of the garbage collector first
(`gc.freeze()`, as a pre-forked server would): otherwise a full collection
of Django's and Wagtail's objects lands, at the same point of every run, in
one combination's timing (+600 ms).

Exits non-zero only when something fails (including a query count that
differs from the pinned one), never because of a time.
"""

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

DB = "seed_inbox_bench"
TARGET_MS = 200.0
PAGE = 51  # the inbox shows 50 and fetches one more to know there is a next page
STAFF = [f"inbox-bench-staff-{n}" for n in range(1, 6)]
SOURCES = [f"Inbox bench source {n:02d}" for n in range(1, 11)]
TRACKERS = [f"Inbox bench tracker {n}" for n in range(1, 9)]
IDEAS = 20

# Filter combinations as the inbox's query strings. {T1} is the biggest
# tracker, {T8} the smallest; {S1} the biggest source, {S10} the smallest;
# {A1} the bench's "me", {A5} the least busy colleague; {I1} the idea with
# the most links, {I20} the one with the fewest.
SORT_KEYS = [
    "posted",
    "due",
    "influence",
    "sentiment",
    "intent",
    "language",
    "status",
    "author",
    "source",
    "assignee",
    "fetched",
]
COMBINATIONS = [
    # The default view and every single filter (open statuses, sorted by due).
    "",
    "status=new",
    "status=assigned",
    "status=responded",
    "status=linked",
    "status=invited",
    "status=closed",
    "status=ignored",
    "status=all",
    "tracker={T1}",
    "tracker={T8}",
    "source={S1}",
    "source={S10}",
    "language=en",
    "language=nl",
    "sentiment=negative",
    "sentiment=positive",
    "intent=complaint",
    "intent=question",
    "intent=lead",
    "influence=50",
    "influence=95",
    "assignee=me",
    "assignee=none",
    "assignee={A5}",
    "age=1h",
    "age=24h",
    "age=7d",
    "age=30d",
    "overdue=on",
    "lead=on",
    "idea={I1}",
    # Everything, sorted by each column both ways.
    *(f"status=all&sort={key}" for key in SORT_KEYS),
    *(f"status=all&sort=-{key}" for key in SORT_KEYS),
    # Pairs and the usual working views.
    "status=new&status=assigned&tracker={T1}&sort=-influence",
    "status=new&tracker={T8}&sort=due",
    "assignee=me&overdue=on",
    "assignee=me&overdue=on&sort=-influence",
    "assignee=me&status=all&sort=-posted",
    "overdue=on&intent=complaint&sort=-due",
    "status=new&influence=90&sort=-influence",
    "status=all&tracker={T1}&sort=-posted",
    "status=all&tracker={T8}&sort=-posted",
    "status=all&source={S1}&sort=due",
    "status=all&language=nl&sort=-influence",
    "status=all&lead=on&sort=due",
    "status=all&age=1h&sort=-influence",
    "status=all&age=24h&source={S10}&sort=due",
    "status=all&age=30d&lead=on&sort=-influence",
    "status=all&assignee=none&sort=-fetched",
    "status=all&assignee={A5}&sort=author",
    "status=closed&source={S1}&sort=author",
    "status=responded&sort=-assignee",
    "status=all&idea={I1}&sort=-posted",
    "status=all&tracker={T8}&sort=source",
    "status=all&intent=lead&sort=assignee",
    "status=all&age=7d&sort=status",
    # Rare values and contradictions: few or no rows, the hard case for
    # ORDER BY … LIMIT plans that walk an index hoping to meet 51 rows soon.
    "status=all&intent=praise&sentiment=negative&sort=-posted",
    "status=all&sentiment=positive&intent=complaint&sort=due",
    "status=all&intent=lead&sentiment=negative&language=nl&source={S10}",
    "status=all&lead=on&intent=praise&sort=-influence",
    "status=all&influence=99.5&sort=due",
    "status=all&idea={I20}&sort=due",
    "status=all&tracker={T8}&intent=lead&sort=-posted",
    "status=invited&intent=complaint&sort=posted",
    "status=linked&tracker={T8}&sort=-due",
    "status=ignored&assignee={A5}&sort=posted",
    "status=new&status=assigned&tracker={T8}&language=nl&sort=sentiment",
    "status=new&source={S10}&intent=lead&sentiment=positive&sort=-influence",
    "status=invited&age=1h&sort=-posted",
    "overdue=on&lead=on&tracker={T8}&sort=author",
    "status=new&status=assigned&tracker={T8}&language=nl&sort=-influence",
    "status=new&status=assigned&tracker={T8}&language=nl&sort=-posted",
    "status=new&tracker={T8}&sentiment=negative&sort=author",
    "status=all&tracker={T8}&language=nl&sentiment=negative&sort=-influence",
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs each")
    parser.add_argument("--reseed", action="store_true", help="fill again")
    parser.add_argument("--explain", type=int, default=3, help="slowest plans")
    parser.add_argument("--only", help="only combinations containing this text")
    return parser.parse_args(argv)


def setup_django(database_url: str, var: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    os.environ["DATABASE_URL"] = database_url
    os.environ["VAR_DIR"] = str(var)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    sys.path.insert(0, str(harness.ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- the data ---------------------------------------------------------------------


def bench_rows() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM listening_mention m JOIN listening_source s "
            "ON s.id = m.source_id WHERE s.name LIKE 'Inbox bench %%'"
        )
        return cursor.fetchone()[0]


def people_ensure() -> list[int]:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    ids = []
    for name in STAFF:
        user, _created = user_model.objects.get_or_create(
            username=name,
            defaults={"email": f"{name}@example.com", "is_staff": True},
        )
        ids.append(user.pk)
    return ids


def secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX …) of the table's indexes that back no constraint."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        [table],
    )
    return cursor.fetchall()


MENTIONS_SQL = """
WITH g AS (
    SELECT i,
           -- 0 = the oldest, 1 = now: ids follow the time of arrival
           i::float8 / %(rows)s AS f,
           random() AS r_open, random() AS r_status, random() AS r_intent,
           random() AS r_sent, random() AS r_lang, random() AS r_src,
           random() AS r_inf, random() AS r_asg, random() AS r_resp,
           random() AS r_lead, random() AS r_jit, random() AS r_text
    FROM generate_series(1, %(rows)s) AS i
), t AS (
    SELECT g.*,
           %(now)s::timestamptz - interval '365 days' * (1 - f)
               - interval '1 minute' * (r_jit * 30) AS posted,
           365 * (1 - f) AS age_days,
           CASE WHEN r_intent < 0.40 THEN 'other'
                WHEN r_intent < 0.62 THEN 'question'
                WHEN r_intent < 0.77 THEN 'complaint'
                WHEN r_intent < 0.89 THEN 'praise'
                WHEN r_intent < 0.98 THEN 'idea'
                ELSE 'lead' END AS intent
    FROM g
), u AS (
    SELECT t.*,
           posted + interval '1 minute' * (1 + r_jit * 20) AS fetched,
           CASE WHEN r_open < (CASE WHEN age_days < 7 THEN 0.75
                                    WHEN age_days < 30 THEN 0.25
                                    ELSE 0.02 END)
                THEN (CASE WHEN r_status < 0.6 THEN 'new' ELSE 'assigned' END)
                ELSE (CASE WHEN r_status < 0.35 THEN 'responded'
                           WHEN r_status < 0.65 THEN 'closed'
                           WHEN r_status < 0.95 THEN 'ignored'
                           WHEN r_status < 0.98 THEN 'linked'
                           ELSE 'invited' END)
           END AS status,
           CASE WHEN intent = 'complaint' THEN
                    (CASE WHEN r_sent < 0.85 THEN 'negative'
                          WHEN r_sent < 0.97 THEN 'neutral' ELSE 'positive' END)
                WHEN intent = 'praise' THEN
                    (CASE WHEN r_sent < 0.90 THEN 'positive'
                          WHEN r_sent < 0.99 THEN 'neutral' ELSE 'negative' END)
                ELSE (CASE WHEN r_sent < 0.20 THEN 'negative'
                           WHEN r_sent < 0.80 THEN 'neutral' ELSE 'positive' END)
           END AS sentiment
    FROM t
)
INSERT INTO listening_mention (
    source_id, external_id, url, author_handle, author_name, author_url,
    author_followers, text, language, language_confidence, posted_at,
    fetched_at, raw, cluster_key, sentiment_score, sentiment_label, intent,
    intent_confidence, is_lead, is_competitor, influence, engaged_at,
    pseudonymised_at, status, assignee_id, status_changed_at, due_at,
    first_response_at, first_response_seconds
)
SELECT
    (%(sources)s::bigint[])[1 + floor(power(r_src, 2.2) * 10)::int],
    'ib-' || i,
    'https://social.example/@user' || (i::bigint * 7919 %% 50000) || '/' || i,
    'user' || (i::bigint * 7919 %% 50000),
    'User ' || (i::bigint * 7919 %% 50000),
    '',
    floor(power(r_inf, 3) * 200000)::int,
    (%(texts)s::text[])[1 + floor(r_text * 8)::int] || ' #' || i,
    CASE WHEN r_lang < 0.55 THEN 'en' WHEN r_lang < 0.90 THEN 'nl'
         WHEN r_lang < 0.94 THEN 'de' WHEN r_lang < 0.97 THEN 'fr' ELSE '' END,
    0.5 + r_lang / 2,
    posted,
    fetched,
    '{}'::jsonb,
    left(md5((i / 3)::text), 32),
    CASE sentiment WHEN 'negative' THEN -0.2 - r_jit * 0.8
                   WHEN 'positive' THEN 0.2 + r_jit * 0.8
                   ELSE r_jit * 0.4 - 0.2 END,
    sentiment,
    intent,
    0.4 + r_resp * 0.6,
    (intent = 'lead' AND r_lead < 0.7) OR r_lead < 0.006,
    r_src > 0.9,
    round((100 * power(r_inf, 3))::numeric, 1)::float8,
    CASE WHEN status IN ('responded', 'linked', 'invited')
         THEN fetched + interval '1 hour' * (48 * power(r_resp, 2)) END,
    NULL,
    status,
    CASE WHEN status = 'new' THEN NULL
         WHEN status = 'assigned' OR status IN ('responded', 'linked', 'invited')
              OR r_asg < 0.3
         THEN (%(staff)s::bigint[])[1 + floor(power(r_asg, 1.5) * 5)::int] END,
    CASE WHEN status <> 'new' THEN fetched + interval '1 hour' * (1 + r_resp * 47) END,
    fetched + CASE WHEN intent = 'complaint' THEN interval '1 hour'
                   ELSE interval '24 hours' END,
    CASE WHEN status IN ('responded', 'linked', 'invited')
         THEN fetched + interval '1 hour' * (48 * power(r_resp, 2)) END,
    CASE WHEN status IN ('responded', 'linked', 'invited')
         THEN (3600 * 48 * power(r_resp, 2))::int END
FROM u
"""

# One tracker for every mention, a second one for about a third.
TRACKERS_SQL = """
WITH m AS MATERIALIZED (
    SELECT m.id, floor(power(random(), 1.8) * 8)::int AS k1, random() AS r2,
           random() AS r3
    FROM listening_mention m JOIN listening_source s ON s.id = m.source_id
    WHERE s.name LIKE 'Inbox bench %%'
)
INSERT INTO listening_mention_trackers (mention_id, tracker_id)
SELECT id, (%(trackers)s::bigint[])[1 + k1] FROM m
UNION ALL
SELECT id, (%(trackers)s::bigint[])[1 + (k1 + 1 + floor(r3 * 7)::int) %% 8]
FROM m WHERE r2 < 0.35
"""

LINKS_SQL = """
INSERT INTO listening_mentionlink (mention_id, idea_id, linked_by_id, created_at,
                                   loop_status)
SELECT m.id, (%(ideas)s::bigint[])[1 + floor(power(random(), 2) * %(n)s)::int],
       m.assignee_id, m.first_response_at, ''
FROM listening_mention m JOIN listening_source s ON s.id = m.source_id
WHERE s.name LIKE 'Inbox bench %%' AND m.status = 'linked'
"""

TEXTS = [
    "Why did my Vonk advance payment go up again this month? Nobody answers "
    "the phone and the app only shows an error.",
    "Vonk support fixed my meter reading in ten minutes, great service, "
    "thanks to the lady on the phone!",
    "Waarom is mijn voorschot bij Vonk weer omhoog gegaan? Ik snap er niets "
    "van en de klantenservice reageert niet.",
    "Idea: Vonk should show hourly prices in the app so I can plan when to "
    "charge the car and run the dishwasher.",
    "De app van Vonk crasht steeds bij het openen van de factuur, al drie "
    "dagen. Iemand anders ook last van?",
    "Thinking about switching from Stroomco to Vonk, does anyone have "
    "experience with their fixed contracts?",
    "Heeft Vonk ook een vast contract voor warmtepompen? Wij gaan volgend "
    "jaar verduurzamen en zoeken een leverancier.",
    "Not bad at all, Vonk answered my question within the hour on a Sunday.",
]


def seed(rows: int, staff: list[int]) -> dict[str, float]:
    """Empty the bench database's mention tables and fill them in SQL."""
    from django.db import connection, transaction
    from django.utils import timezone

    from ideas.models import Idea
    from listening.models import Source, Tracker

    times: dict[str, float] = {}
    start = time.perf_counter()
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        # No foreign-key triggers while loading (the rows are built from the
        # ids just created; PostgreSQL's superuser switch, as pg_restore
        # uses): a trigger per row would double the load time, and CREATE
        # INDEX refuses to run with deferred checks pending.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # The bench's own database: everything that hangs off a mention goes.
        cursor.execute("TRUNCATE listening_mention CASCADE")
        Source.objects.filter(name__startswith="Inbox bench ").delete()
        Tracker.objects.filter(name__startswith="Inbox bench ").delete()
        Idea.objects.filter(title__startswith="Inbox bench ").delete()
        sources = [
            Source.objects.create(name=name, kind=kind).pk
            for name, kind in zip(
                SOURCES,
                ["mastodon", "x", "bluesky", "reddit", "rss"] * 2,
                strict=True,
            )
        ]
        trackers = [
            Tracker.objects.create(
                name=name, kind="brand" if n < 2 else "topic", any_terms="vonk"
            ).pk
            for n, name in enumerate(TRACKERS)
        ]
        ideas = [
            idea.pk
            for idea in Idea.objects.bulk_create(
                Idea(
                    title=f"Inbox bench idea {n:02d}",
                    body="An idea that social mentions link to.",
                    author_id=staff[0],
                )
                for n in range(1, IDEAS + 1)
            )
        ]
        dropped = secondary_indexes(cursor, "listening_mention")
        dropped += secondary_indexes(cursor, "listening_mention_trackers")
        for name, _definition in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SELECT setseed(0.42)")  # the same data every time
        cursor.execute(
            MENTIONS_SQL,
            {
                "rows": rows,
                "now": now,
                "sources": sources,
                "staff": staff,
                "texts": TEXTS,
            },
        )
        times["insert mentions"] = time.perf_counter() - start
        mark = time.perf_counter()
        cursor.execute(TRACKERS_SQL, {"trackers": trackers})
        cursor.execute(LINKS_SQL, {"ideas": ideas, "n": IDEAS})
        times["insert trackers and links"] = time.perf_counter() - mark
        mark = time.perf_counter()
        for _name, definition in dropped:
            cursor.execute(definition)
        times[f"rebuild {len(dropped)} indexes"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with connection.cursor() as cursor:
        for table in (
            "listening_mention",
            "listening_mention_trackers",
            "listening_mentionlink",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    times["vacuum analyze"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - start
    return times


def placeholders(staff: list[int]) -> dict[str, int]:
    """{T1}…{T8}, {S1}…{S10}, {A1}…{A5}, {I1}…{I20}: biggest first."""
    from django.db.models import Count

    from ideas.models import Idea
    from listening.models import Source, Tracker

    names: dict[str, int] = {}
    trackers = Tracker.objects.filter(name__startswith="Inbox bench ").annotate(
        n=Count("mentions")
    )
    for rank, tracker in enumerate(trackers.order_by("-n", "pk"), start=1):
        names[f"T{rank}"] = tracker.pk
    sources = Source.objects.filter(name__startswith="Inbox bench ").annotate(
        n=Count("mentions")
    )
    for rank, source in enumerate(sources.order_by("-n", "pk"), start=1):
        names[f"S{rank}"] = source.pk
    for rank, pk in enumerate(staff, start=1):
        names[f"A{rank}"] = pk
    ideas = Idea.objects.filter(title__startswith="Inbox bench ").annotate(
        n=Count("social_links")
    )
    for rank, idea in enumerate(ideas.order_by("-n", "pk"), start=1):
        names[f"I{rank}"] = idea.pk
    return names


# --- the measurements ------------------------------------------------------------


def inbox_page(query: str, *, me, now):
    """What the admin inbox runs for one request: the form, the queryset and
    the first page with its trackers. Returns (mentions, queryset)."""
    from django.http import QueryDict

    from listening.inbox import InboxFilterForm, inbox_queryset

    form = InboxFilterForm(QueryDict(query), user=me)
    if not form.is_valid():
        raise ValueError(f"{query!r}: {form.errors.as_json()}")
    qs = inbox_queryset(form.cleaned_data, user=me, now=now)
    page = qs.select_related("source", "assignee").prefetch_related("trackers")
    return list(page[:PAGE]), qs


def baseline_page():
    from listening.models import Mention

    page = (
        Mention.objects.select_related("source", "assignee")
        .prefetch_related("trackers")
        .order_by("pk")
    )
    return list(page[:PAGE])


def pinned_queries(query: str, rows: int) -> int:
    """The mentions and their trackers (no prefetch for an empty page), plus
    the form's lookup of a chosen tracker and source (ModelChoiceField)."""
    return 1 + (rows > 0) + ("tracker=" in query) + ("source=" in query)


def timed(call, runs: int) -> tuple[list[float], object, int]:
    """Milliseconds of each of `runs` calls after one warm-up; the last result;
    the queries of the warm-up call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - start) * 1000)
    return times, result, len(captured.captured_queries)


def explain(qs) -> str:
    from django.db import connection

    sql, params = qs.select_related("source", "assignee")[:PAGE].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    problem = harness.postgres_problem()
    if problem:
        print(f"PostgreSQL not reachable ({problem}): the inbox bench needs it")
        return 0
    if harness.ensure_database(DB):
        print(f"created database {DB}")
    print(harness.machine_summary())
    print(f"database: PostgreSQL database {DB}")
    tmp = Path(tempfile.mkdtemp(prefix="inbox-bench-"))
    start = time.perf_counter()
    setup_django(f"{harness.PG_URL}/{DB}", tmp / "var")
    print(f"migrate: {time.perf_counter() - start:.1f} s")

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Max

    from listening.models import Mention

    staff = people_ensure()
    have = bench_rows()
    if have != args.rows or args.reseed:
        print(f"filling {args.rows:,} mentions (had {have:,})")
        for step, seconds in seed(args.rows, staff).items():
            print(f"  {step:<28} {seconds:>7.1f} s")
    else:
        print(f"database already holds {have:,} bench mentions: not refilling")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('listening_mention')), "
            "pg_size_pretty(pg_indexes_size('listening_mention')), "
            "(SELECT count(*) FROM listening_mention_trackers)"
        )
        total, indexes, links = cursor.fetchone()
        cursor.execute(
            "SELECT status, count(*) FROM listening_mention GROUP BY 1 ORDER BY 2 DESC"
        )
        statuses = ", ".join(f"{s} {n:,}" for s, n in cursor.fetchall())
    print(f"mention table {total} (indexes {indexes}), {links:,} tracker links")
    print(f"statuses: {statuses}")

    # Fresh planner statistics, extended ones included (migration 0008
    # creates them empty; ANALYZE fills them, as autovacuum would).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE listening_mention")
    names = placeholders(staff)
    me = get_user_model().objects.get(pk=staff[0])
    # The clock of the data, so a database filled days ago answers the same.
    now = Mention.objects.aggregate(last=Max("fetched_at"))["last"]
    combos = [c.format(**names) for c in COMBINATIONS]
    if args.only:
        combos = [c for c in combos if args.only in c]

    # What a pre-forked server does after loading the app: the objects of
    # the set-up (Django, Wagtail, the models) leave the garbage collector's
    # care, so a full collection of them does not land in one timing.
    gc.collect()
    gc.freeze()
    base_before, _rows, base_queries = timed(baseline_page, max(args.runs, 10))
    results = []
    failures = []
    for query in combos:
        times, (mentions, qs), queries = timed(
            lambda q=query: inbox_page(q, me=me, now=now), args.runs
        )
        pinned = pinned_queries(query, len(mentions))
        if queries != pinned:
            failures.append(f"{query}: {queries} queries, pinned {pinned}")
        results.append((query, times, len(mentions), queries, qs))
    base_after, _rows, _queries = timed(baseline_page, max(args.runs, 10))
    baseline = base_before + base_after
    base_p95 = harness.percentile(baseline, 95)

    print()
    print(
        f"baseline (first {PAGE} by id, same joins and prefetch, {base_queries} "
        f"queries): p50 {statistics.median(baseline):.1f} ms, p95 {base_p95:.1f} ms"
    )
    print(f"{len(combos)} combinations x {args.runs} runs after one warm-up each")
    print()
    width = max(len(q or "(default)") for q in combos)
    width = min(width, 72)
    print(
        f"{'query string':<{width}} {'rows':>4} {'q':>2} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'max ms':>7} {'x base':>7}"
    )
    everything = []
    for query, times, rows, queries, _qs in results:
        everything += times
        p95 = harness.percentile(times, 95)
        flag = "" if p95 < TARGET_MS else "  SLOW"
        print(
            f"{(query or '(default)')[:width]:<{width}} {rows:>4} {queries:>2} "
            f"{statistics.median(times):>7.1f} {p95:>7.1f} {max(times):>7.1f} "
            f"{p95 / base_p95:>7.1f}{flag}"
        )
    overall = harness.percentile(everything, 95)
    worst = sorted(results, key=lambda r: harness.percentile(r[1], 95), reverse=True)
    print()
    print(
        f"overall: p50 {statistics.median(everything):.1f} ms, p95 {overall:.1f} ms, "
        f"max {max(everything):.1f} ms over {len(everything)} timings; "
        f"ratio overall p95 / baseline p95: {overall / base_p95:.1f}"
    )
    print("slowest by p95:")
    for query, times, *_rest in worst[:5]:
        print(f"  {harness.percentile(times, 95):7.1f} ms  {query or '(default)'}")
    slow = [r for r in results if harness.percentile(r[1], 95) >= TARGET_MS]
    verdict = "PASS" if not slow else "FAIL"
    print(
        f"{verdict}: {len(results) - len(slow)} of {len(results)} combinations "
        f"under {TARGET_MS:.0f} ms at p95"
    )
    for query, times, _rows, _q, qs in worst[: args.explain]:
        print()
        p95 = harness.percentile(times, 95)
        print(f"EXPLAIN {query or '(default)'} (p95 {p95:.1f} ms)")
        print(explain(qs))
    if failures:
        print()
        print("query counts that differ from the pinned ones:")
        for failure in failures:
            print(f"  {failure}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
