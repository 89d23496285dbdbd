"""The insight reports on a million mentions and 100k ideas: every registered
report, every preset and a filtered variant, rendered and timed. Not a test;
one run.

    nice -n 10 .venv/bin/python bench/reports_bench.py [--mentions 1000000]
        [--ideas 100000] [--members 50000] [--runs 5] [--reseed] [--rollup]
        [--only SUBSTRING] [--explain]

The issue's target: "Every report over 1M mentions and 100k ideas renders in
under 1 s at p95 (measure in bench/)."

Runs in this process with `portal.settings.test` (DEBUG off) on the
PostgreSQL database "seed_reports_bench" (created if missing, then migrated,
so it carries the indexes of every migration). PostgreSQL is required:
without it the run says so and exits 0.

The data. When the database does not hold exactly --mentions and --ideas
bench rows (or with --reseed), the bench empties its own database's data
tables and fills them in SQL (`INSERT … SELECT generate_series`, without
foreign-key triggers, the big tables' secondary indexes dropped during the
load and rebuilt after, then VACUUM ANALYZE), with `setseed` so every fill is
the same:

- people:      8 staff, --members members (default 50k) who joined over
               three years, more of them recently, with a signup source
               (direct, social, invitation, staff; blank before two years
               ago, as for accounts older than the field), 60% with a login;
- listening:   10 sources, 8 trackers (2 brand, 3 competitor, 3 topic; one
               tracker per mention, a second for about a third), --mentions
               mentions over the last 365 days in the inbox bench's skewed
               mix (intent, sentiment following intent, language, influence
               100 * u^3, about 2% sales leads, 0.5% without posted_at),
               about 20% in near-duplicate clusters of 2 or 8, 50k authors
               of which a few write a lot; the response pattern of the inbox
               bench: about 5% still open (most of them recent), about 38%
               with a first response (first_response_at/seconds/by, one
               MentionReply each; never later than now: an answer that
               would lie in the future leaves the mention assigned),
               due_at 1 h for complaints, else 24 h; linked mentions link
               to recent ideas;
- ideas:       --ideas ideas over two years by members, the status mix of
               `seed_bench_ideas` (52% new … 9% launched, 2% merged), a
               StatusChange per step (creation, review, planned, in
               progress, launched or declined), official responses on 60%
               of reviewed ideas and on 5% of new ones, heavy-tailed
               vote_count adding up to about 10 per idea and one Vote row
               each (about 1M); about 2 comments per idea (django_comments
               with their django_comments_xtd rows, ~200k);
- questions:   20k questions over two years (15% unanswered, most of them
               recent), 1-4 answers each by experts, staff or members,
               first answer time and whether an expert gave it, accepted
               answers on "solved" ones; helpful votes behind each
               answer's helpful_count; 10k ExpertProfiles (80% active); a
               reputation event per accepted or helpful expert answer;
- invitations: 3,000 people offered an invitation from an invited mention
               over the year, with the consent ledger of every step
               (offered → opened → joined → contributed, declined, opted
               out; refusals and overrides), joined ones linked to members
               whose signup source is "invitation"; OptOut rows.

The rollup. When a rollup table (MentionDaily, and CareDaily/CareResponse
where they exist) is empty, or with --rollup, the bench runs
`listening.rollup.rollup_refresh(days=<every day of the data>)` and times
it, then the first periodic refresh (without days), then inserts 1,000 new
mentions and times an incremental refresh. (The incremental mentions stay:
each such run adds 1,000.)

The timing. For each registered report (`portal.core.reports.reports()`),
for the presets 7d, 30d, 90d and 365d, and for one filtered variant per
filter field of the report's form (a tracker: the biggest brand tracker; an
intent: complaint; a language: nl; a sentiment: negative; any other choice:
its first; at 30d and 365d), the bench renders the full page through Django's
test `Client` as a staff user (`/admin/insight/<slug>/?preset=…`): once to
warm up (its time is shown as "cold", its queries are counted with
CaptureQueriesContext, the slowest of them is kept) and then --runs times. It
also renders the overview (`/admin/insight/`). The baseline, measured in the
same run before and after, is the same view with a report of no sections
(registered in this process only): the frame's own cost (Wagtail admin
chrome, form, template). Output: p50/p95/max per page, the ratio of each p95
to the baseline's p95, the overall verdict against 1 s, the slowest five with
their slowest query (and any other over 100 ms), and with --explain the
EXPLAIN ANALYZE of each one's slowest query.

Exits non-zero only when a page does not answer 200, never because of a time.
"""

import argparse
import gc
import inspect
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

DB = "seed_reports_bench"
TARGET_MS = 1000.0
PREFIX = "reports-bench"
MEMBER_PREFIX = f"{PREFIX}-m-"
STAFF = [f"{PREFIX}-staff-{n}" for n in range(1, 9)]
VIEWER = f"{PREFIX}-viewer"
SOURCES = [f"Reports bench source {n:02d}" for n in range(1, 11)]
# (name, kind): the first brand is the biggest tracker.
TRACKERS = [
    ("Reports bench Vonk", "brand"),
    ("Reports bench Vonk app", "brand"),
    ("Reports bench Stroomco", "competitor"),
    ("Reports bench Greenwatt", "competitor"),
    ("Reports bench Energiek", "competitor"),
    ("Reports bench heat pumps", "topic"),
    ("Reports bench solar", "topic"),
    ("Reports bench prices", "topic"),
]
QUESTIONS = 20_000
EXPERT_EVERY = 5  # every fifth member is an expert: 10k of 50k
INVITATIONS = 3_000
INCREMENTAL = 1_000
PRESETS = ["7d", "30d", "90d", "365d"]
FILTER_PRESETS = ["30d", "365d"]
EMPTY_REPORT = "reports-bench-empty"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs each")
    parser.add_argument("--reseed", action="store_true", help="fill again")
    parser.add_argument(
        "--rollup", action="store_true", help="rebuild the rollup even if filled"
    )
    parser.add_argument("--only", help="only pages whose URL contains this text")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest"
    )
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


def bench_counts() -> tuple[int, int]:
    """(bench mentions, bench ideas) in the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM listening_mention "
            "WHERE external_id LIKE 'rb-m-%%'), "
            "(SELECT count(*) FROM ideas_idea i JOIN accounts_user u "
            "ON u.id = i.author_id WHERE u.username LIKE %s)",
            [f"{MEMBER_PREFIX}%"],
        )
        mentions, ideas = cursor.fetchone()
    return mentions, ideas


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


# Tables whose rows the bench owns entirely (its own database): emptied
# before a fill. CASCADE empties what hangs off them (votes, history,
# trackers of mentions, links, replies, invitations, answers …).
OWNED_TABLES = [
    "listening_mention",
    "listening_mentiondaily",
    "listening_rollupstate",
    "listening_spikealert",
    "ideas_idea",
    "experts_question",
    "experts_answer",
    "experts_expertprofile",
    "experts_reputationevent",
    "experts_reputation",
    "listening_person",
    "listening_consentevent",
    "listening_optout",
    "django_comments",
]
# Big tables whose secondary indexes are dropped during the load.
LOADED_TABLES = [
    "listening_mention",
    "listening_mention_trackers",
    "listening_mentionreply",
    "ideas_idea",
    "ideas_vote",
    "ideas_statuschange",
    "django_comments",
]

MEMBERS_SQL = """
WITH g AS (
    SELECT i, (i - 1)::float8 / %(n)s AS f, random() AS r_src, random() AS r_login,
           random() AS r_lang, random() AS r_jit
    FROM generate_series(1, %(n)s) AS i
), t AS (
    -- Ages shrink with i and crowd towards now: more members join lately.
    SELECT g.*, 1095 * (1 - f) * (0.5 + 0.5 * (1 - f)) + r_jit * 0.5 AS age_days
    FROM g
)
INSERT INTO accounts_user (
    password, last_login, is_superuser, username, first_name, last_name, email,
    is_staff, is_active, date_joined, display_name, avatar, bio, language,
    is_erased, erased_at, ban_reason, banned_at, signup_source
)
SELECT '!', CASE WHEN r_login < 0.6
                 THEN %(now)s::timestamptz - interval '1 day' * age_days * r_login END,
       false, %(prefix)s || lpad(i::text, 6, '0'), '', '',
       %(prefix)s || i || '@bench.invalid', false, true,
       %(now)s::timestamptz - interval '1 day' * age_days,
       'Bench member ' || i, '', '', CASE WHEN r_lang < 0.6 THEN 'nl' ELSE 'en' END,
       false, NULL, '', NULL,
       CASE WHEN age_days > 730 THEN ''
            WHEN r_src < 0.62 THEN 'direct'
            WHEN r_src < 0.93 THEN 'social'
            WHEN r_src < 0.99 THEN 'invitation'
            ELSE 'staff' END
FROM t
ON CONFLICT (username) DO NOTHING
"""

MENTIONS_SQL = """
WITH g AS (
    SELECT i,
           -- 0 = the oldest, 1 = now: ids follow the time of arrival
           i::float8 / %(rows)s AS f,
           random() AS r_open, random() AS r_status, random() AS r_intent,
           random() AS r_sent, random() AS r_lang, random() AS r_src,
           random() AS r_inf, random() AS r_asg, random() AS r_resp,
           random() AS r_lead, random() AS r_jit, random() AS r_text,
           random() AS r_auth, random() AS r_post
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
                ELSE 'lead' END AS intent,
           -- near-duplicates: 10%% in clusters of 8 consecutive posts, 10%%
           -- in pairs, the rest alone
           CASE WHEN (i / 8) %% 10 = 0 THEN 'c8-' || (i / 8)
                WHEN (i / 2) %% 9 = 1 THEN 'c2-' || (i / 2)
                ELSE 'm-' || i END AS cluster,
           -- 50k authors, a few of them very active
           floor(50000 * power(r_auth, 2.5))::int AS author
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
           END AS status0,
           (3600 * 48 * power(r_resp, 2))::int AS rs,
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
), u2 AS (
    -- an answer would lie in the future: not answered yet, still assigned
    SELECT u.*,
           CASE WHEN status0 IN ('responded', 'linked', 'invited')
                     AND fetched + interval '1 second' * rs > %(now)s::timestamptz
                THEN 'assigned' ELSE status0 END AS status
    FROM u
), v AS (
    SELECT u2.*,
           CASE WHEN status = 'new' THEN NULL
                WHEN status = 'assigned'
                     OR status IN ('responded', 'linked', 'invited')
                     OR r_asg < 0.3
                THEN (%(staff)s::bigint[])[1 + floor(power(r_asg, 1.5) * 8)::int]
           END AS assignee,
           CASE WHEN status IN ('responded', 'linked', 'invited')
                THEN rs END AS response_seconds
    FROM u2
)
INSERT INTO listening_mention (
    source_id, external_id, url, author_handle, author_name, author_url,
    author_followers, text, language, language_confidence, posted_at,
    fetched_at, raw, cluster_key, sentiment_score, sentiment_label, intent,
    intent_confidence, is_lead, is_competitor, influence, engaged_at,
    pseudonymised_at, status, assignee_id, status_changed_at, due_at,
    first_response_at, first_response_seconds, first_response_by_id
)
SELECT
    (%(sources)s::bigint[])[1 + floor(power(r_src, 2.2) * 10)::int],
    %(id_prefix)s || i,
    'https://social.example/@author' || author || '/' || i,
    'author' || author,
    'Author ' || author,
    '',
    floor(power(r_inf, 3) * 200000)::int,
    (%(texts)s::text[])[1 + floor(r_text * 8)::int] || ' #' || i,
    CASE WHEN r_lang < 0.55 THEN 'en' WHEN r_lang < 0.90 THEN 'nl'
         WHEN r_lang < 0.94 THEN 'de' WHEN r_lang < 0.97 THEN 'fr' ELSE '' END,
    0.5 + r_lang / 2,
    CASE WHEN r_post < 0.005 THEN NULL ELSE posted END,
    fetched,
    '{}'::jsonb,
    left(md5(%(id_prefix)s || cluster), 32),
    CASE sentiment WHEN 'negative' THEN -0.2 - r_jit * 0.8
                   WHEN 'positive' THEN 0.2 + r_jit * 0.8
                   ELSE r_jit * 0.4 - 0.2 END,
    sentiment,
    intent,
    0.4 + r_resp * 0.6,
    (intent = 'lead' AND r_lead < 0.7) OR r_lead < 0.006,
    r_src > 0.9,
    round((100 * power(r_inf, 3))::numeric, 1)::float8,
    fetched + interval '1 second' * response_seconds,
    NULL,
    status,
    assignee,
    CASE WHEN status <> 'new'
         THEN least(%(now)s::timestamptz,
                    fetched + interval '1 hour' * (1 + r_resp * 47)) END,
    fetched + CASE WHEN intent = 'complaint' THEN interval '1 hour'
                   ELSE interval '24 hours' END,
    fetched + interval '1 second' * response_seconds,
    response_seconds,
    CASE WHEN response_seconds IS NOT NULL THEN assignee END
FROM v
"""

# One tracker for every mention (skewed: the first brand is the biggest), a
# second one for about a third.
TRACKERS_SQL = """
WITH m AS MATERIALIZED (
    SELECT id, floor(power(random(), 1.8) * 8)::int AS k1, random() AS r2,
           random() AS r3
    FROM listening_mention WHERE external_id LIKE %(like)s
)
INSERT INTO listening_mention_trackers (mention_id, tracker_id)
SELECT id, (%(trackers)s::bigint[])[1 + k1] FROM m
UNION ALL
SELECT id, (%(trackers)s::bigint[])[1 + (k1 + 1 + floor(r3 * 7)::int) %% 8]
FROM m WHERE r2 < 0.35
"""

REPLIES_SQL = """
INSERT INTO listening_mentionreply (
    mention_id, kind, text, channel, external_id, external_url, replied_by_id,
    created_at
)
SELECT id, 'reply', 'Thanks for letting us know, we are on it.',
       CASE WHEN id %% 3 = 0 THEN 'manual' ELSE 'posted' END, '', '',
       first_response_by_id, first_response_at
FROM listening_mention
WHERE first_response_at IS NOT NULL AND external_id LIKE %(like)s
"""

LINKS_SQL = """
WITH recent AS (
    SELECT array_agg(id ORDER BY id DESC) AS ids
    FROM (SELECT id FROM ideas_idea WHERE status <> 'merged'
          ORDER BY id DESC LIMIT 2000) AS r
)
INSERT INTO listening_mentionlink (mention_id, idea_id, linked_by_id, created_at,
                                   loop_status)
SELECT m.id, recent.ids[1 + floor(power(random(), 2) * 2000)::int],
       m.assignee_id, m.first_response_at, ''
FROM listening_mention m, recent
WHERE m.status = 'linked' AND m.external_id LIKE 'rb-m-%%'
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

# A numbered copy of the bench members: joins by position instead of
# passing 50k ids as a parameter.
MEMBER_TABLE_SQL = """
CREATE TEMP TABLE rb_members ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY id) - 1)::int AS rn, id, date_joined,
       signup_source
FROM accounts_user WHERE username LIKE %(like)s;
CREATE UNIQUE INDEX ON rb_members (rn);
"""

IDEAS_SQL = """
WITH g AS (
    SELECT i, (i - 1)::float8 / %(n)s AS f, random() AS r_status,
           random() AS r_votes, random() AS r_hidden, random() AS r_lang,
           random() AS r_resp, random() AS r_a, random() AS r_b,
           random() AS r_c, random() AS r_d, random() AS r_jit
    FROM generate_series(1, %(n)s) AS i
), t AS (
    SELECT g.*,
           %(now)s::timestamptz - interval '730 days' * (1 - f)
               - interval '1 minute' * (r_jit * 60) AS created,
           CASE WHEN i <= 100 OR r_status < 0.52 THEN 'new'
                WHEN r_status < 0.66 THEN 'under_review'
                WHEN r_status < 0.73 THEN 'planned'
                WHEN r_status < 0.79 THEN 'in_progress'
                WHEN r_status < 0.88 THEN 'launched'
                WHEN r_status < 0.98 THEN 'declined'
                ELSE 'merged' END AS status,
           power(1 - r_votes, -1 / 1.6) AS weight
    FROM g
), w AS (
    SELECT t.*, sum(CASE WHEN status = 'merged' THEN 0 ELSE weight END)
                    OVER () AS weights
    FROM t
)
INSERT INTO ideas_idea (
    created_at, updated_at, title, body, body_html, image, language, status,
    status_changed_at, vote_count, comment_count, follower_count,
    trending_score, last_activity_at, is_hidden, hidden_reason, is_locked,
    flag_count, has_official_response, author_id, focus_area_id, merged_into_id
)
SELECT created, created,
       'Reports bench idea ' || i, 'An idea of the reports bench, number ' || i,
       '<p>An idea of the reports bench, number ' || i || '</p>', '',
       CASE WHEN r_lang < 0.6 THEN 'nl' ELSE 'en' END,
       CASE WHEN status = 'merged' THEN 'new' ELSE status END,
       created, -- corrected with the history below
       CASE WHEN status = 'merged' THEN 0
            ELSE least(%(cap)s, round(weight * %(votes)s / weights))::int END,
       0, 1, 0, created, r_hidden < 0.005,
       CASE WHEN status = 'merged' THEN 'rb-merge' ELSE '' END, false, 0, false,
       m.id, NULL, NULL
FROM w JOIN rb_members m ON m.rn = (i * 31) %% %(members)s
ORDER BY i
"""

# The steps of each idea's life: reviewed after a while, then planned, in
# progress, launched (or declined after review). Times are fractions of the
# time left between the previous step and now, so every step is in the past.
IDEA_STEPS_SQL = """
CREATE TEMP TABLE rb_steps ON COMMIT DROP AS
WITH i AS (
    SELECT id, created_at AS c, status, random() AS r_a, random() AS r_b,
           random() AS r_c, random() AS r_d, random() AS r_resp
    FROM ideas_idea WHERE title LIKE 'Reports bench idea %%'
), s1 AS (
    SELECT i.*, c + (%(now)s::timestamptz - c) * (0.02 + 0.2 * r_a) AS t1 FROM i
), s2 AS (
    SELECT s1.*, t1 + (%(now)s::timestamptz - t1) * (0.05 + 0.3 * r_b) AS t2 FROM s1
), s3 AS (
    SELECT s2.*, t2 + (%(now)s::timestamptz - t2) * (0.05 + 0.3 * r_c) AS t3 FROM s2
)
SELECT s3.*, t3 + (%(now)s::timestamptz - t3) * (0.05 + 0.4 * r_d) AS t4 FROM s3;
"""

HISTORY_SQL = """
INSERT INTO ideas_statuschange (
    created_at, updated_at, from_status, to_status, response, response_html,
    admits_mistake, changed_by_id, idea_id
)
SELECT at, at, from_status, to_status, response,
       CASE WHEN response = '' THEN '' ELSE '<p>' || response || '</p>' END,
       false, by_id, id
FROM (
    SELECT id, c AS at, '' AS from_status, 'new' AS to_status, '' AS response,
           NULL::bigint AS by_id
    FROM rb_steps
    UNION ALL  -- an official word without a status change on 5%% of new ideas
    SELECT id, t1, 'new', 'new', 'Thanks! We are looking into this.', %(staff)s
    FROM rb_steps WHERE status = 'new' AND r_resp < 0.05
    UNION ALL  -- reviewed (or merged, or declined straight away)
    SELECT id, t1, 'new',
           CASE WHEN status = 'merged' THEN 'merged'
                WHEN status = 'declined' AND r_b < 0.5 THEN 'declined'
                ELSE 'under_review' END,
           CASE WHEN r_resp < 0.6 AND status <> 'merged'
                THEN 'This is on our list, thanks.' ELSE '' END, %(staff)s
    FROM rb_steps WHERE status <> 'new'
    UNION ALL
    SELECT id, t2, 'under_review', 'declined', 'We won''t do this, and here is why.',
           %(staff)s
    FROM rb_steps WHERE status = 'declined' AND r_b >= 0.5
    UNION ALL
    SELECT id, t2, 'under_review', 'planned', '', %(staff)s
    FROM rb_steps WHERE status IN ('planned', 'in_progress', 'launched')
    UNION ALL
    SELECT id, t3, 'planned', 'in_progress', '', %(staff)s
    FROM rb_steps WHERE status IN ('in_progress', 'launched')
    UNION ALL
    SELECT id, t4, 'in_progress', 'launched', 'Live in the latest release.', %(staff)s
    FROM rb_steps WHERE status = 'launched'
) AS steps
ORDER BY at
"""

# Merged ideas go in as new ones (a merged idea needs a target, which the
# insert cannot name) and are merged into an older idea here.
MERGE_SQL = """
UPDATE ideas_idea i SET status = 'merged', hidden_reason = '', merged_into_id = (
    SELECT max(o.id) FROM ideas_idea o
    WHERE o.id < i.id AND o.id >= i.id - 100 AND o.hidden_reason = ''
) WHERE i.hidden_reason = 'rb-merge'
"""

IDEAS_FIX_SQL = """
UPDATE ideas_idea i SET
    status_changed_at = h.changed, last_activity_at = h.changed,
    updated_at = h.changed, has_official_response = h.responded,
    trending_score = i.vote_count
        / power(extract(epoch FROM %(now)s::timestamptz - i.created_at) / 3600 + 2,
                1.5)
FROM (
    SELECT idea_id, max(created_at) AS changed, bool_or(response <> '') AS responded
    FROM ideas_statuschange GROUP BY idea_id
) AS h
WHERE h.idea_id = i.id;
"""

# vote_count votes per idea, each by a different member (a stride coprime
# with the member count never repeats a member within one idea).
VOTES_SQL = """
INSERT INTO ideas_vote (created_at, idea_id, user_id)
SELECT i.created_at + (%(now)s::timestamptz - i.created_at) * power(random(), 1.5),
       i.id, m.id
FROM ideas_idea i
CROSS JOIN LATERAL generate_series(1, i.vote_count) AS k
JOIN rb_members m ON m.rn = ((i.id * 7)::bigint + k::bigint * %(stride)s) %% %(members)s
WHERE i.title LIKE 'Reports bench idea %%' AND i.vote_count > 0
"""

EXPERTS_SQL = """
INSERT INTO experts_expertprofile (
    created_at, updated_at, status, headline, joined_at, paused_until, left_at,
    quiet_hours_start, quiet_hours_end, timezone, daily_cap, user_id
)
SELECT at, at, status, '', at,
       CASE WHEN status = 'paused' THEN %(now)s::timestamptz + interval '14 days' END,
       CASE WHEN status IN ('left', 'removed')
            THEN at + (%(now)s::timestamptz - at) * r END,
       NULL, NULL, 'Europe/Amsterdam', 3, id
FROM (
    SELECT m.id, random() AS r,
           m.date_joined + (%(now)s::timestamptz - m.date_joined) * random() * 0.5
               AS at,
           CASE WHEN random() < 0.80 THEN 'active'
                WHEN random() < 0.40 THEN 'paused'
                WHEN random() < 0.90 THEN 'left' ELSE 'removed' END AS status
    FROM rb_members m WHERE m.rn %% %(every)s = 0
) AS e
"""

QUESTIONS_SQL = """
WITH g AS (
    SELECT i, (i - 1)::float8 / %(n)s AS f, random() AS r_ans, random() AS r_t,
           random() AS r_exp, random() AS r_count, random() AS r_solved,
           random() AS r_lang, random() AS r_author
    FROM generate_series(1, %(n)s) AS i
), t AS (
    SELECT g.*,
           %(now)s::timestamptz - interval '730 days' * (1 - f) AS created,
           730 * (1 - f) AS age_days
    FROM g
), u AS (
    SELECT t.*,
           r_ans > (CASE WHEN age_days < 3 THEN 0.7 WHEN age_days < 30 THEN 0.2
                         ELSE 0.1 END) AS answered,
           (3600 * 72 * power(r_t, 2.5))::int AS seconds
    FROM t
)
INSERT INTO experts_question (
    created_at, updated_at, title, body, body_html, language, status,
    answer_count, last_activity_at, first_answer_due_at, first_answered_at,
    first_answer_seconds, first_answer_by_expert, rerouted_at, escalated_at,
    is_private, is_hidden, accepted_answer_id, author_id, converted_idea_id,
    focus_area_id
)
SELECT created, created, 'Reports bench question ' || i,
       'How do I read my meter? Question ' || i, '<p>Question ' || i || '</p>',
       CASE WHEN r_lang < 0.6 THEN 'nl' ELSE 'en' END,
       CASE WHEN NOT answered THEN 'open'
            WHEN r_solved < 0.45 THEN 'solved' ELSE 'answered' END,
       CASE WHEN answered THEN 1 + floor(power(r_count, 2) * 4)::int ELSE 0 END,
       created + CASE WHEN answered THEN interval '1 second' * seconds
                      ELSE interval '0' END,
       created + interval '24 hours',
       CASE WHEN answered THEN created + interval '1 second' * seconds END,
       CASE WHEN answered THEN seconds END,
       CASE WHEN answered THEN r_exp < 0.55 END,
       NULL,
       CASE WHEN NOT answered AND age_days > 2 AND r_t < 0.3
            THEN created + interval '48 hours' END,
       false, r_lang > 0.995, NULL,
       m.id, NULL, NULL
FROM u JOIN rb_members m ON m.rn = floor(r_author * %(members)s)::int
ORDER BY i
"""

# The experts, numbered (see MEMBER_TABLE_SQL).
EXPERTS_TABLE_SQL = """
CREATE TEMP TABLE rb_experts ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY e.id) - 1)::int AS rn, e.user_id AS id
FROM experts_expertprofile e;
CREATE UNIQUE INDEX ON rb_experts (rn)
"""

# Answer 1 is the first answer (by an expert when the question says so,
# else by staff); later answers by experts, members or staff.
ANSWERS_INSERT_SQL = """
WITH a AS (
    SELECT q.id AS question_id, q.first_answered_at AS first_at,
           q.first_answer_by_expert AS first_expert, q.status, k,
           random() AS r_who, random() AS r_when, random() AS r_help,
           -- a few experts answer most: skewed choice of expert
           floor(power(random(), 2.2) * %(experts)s)::int AS expert_rn
    FROM experts_question q
    CROSS JOIN LATERAL generate_series(1, q.answer_count) AS k
    WHERE q.title LIKE 'Reports bench question %%' AND q.answer_count > 0
), b AS (
    SELECT a.*,
           CASE WHEN k = 1 THEN (CASE WHEN first_expert THEN 'expert' ELSE 'staff' END)
                WHEN r_who < 0.5 THEN 'expert'
                WHEN r_who < 0.8 THEN 'member' ELSE 'staff' END AS who,
           first_at + (%(now)s::timestamptz - first_at) * 0.1 * r_when * (k - 1)
               AS at
    FROM a
)
INSERT INTO experts_answer (
    created_at, updated_at, body, body_html, by_expert, is_official, is_accepted,
    accepted_at, helpful_count, verified_at, is_hidden, author_id,
    verified_by_id, question_id
)
SELECT at, at, 'Look at the display of the meter.',
       '<p>Look at the display of the meter.</p>', who = 'expert', who = 'staff',
       k = 1 AND status = 'solved',
       CASE WHEN k = 1 AND status = 'solved' THEN at + interval '2 hours' END,
       floor(power(r_help, 3) * 12)::int, NULL, false,
       CASE who WHEN 'expert' THEN e.id
                WHEN 'staff' THEN (%(staff)s::bigint[])[1 + (question_id %% 8)::int]
                ELSE m.id END,
       NULL, question_id
FROM b
JOIN rb_experts e ON e.rn = b.expert_rn
JOIN rb_members m ON m.rn = ((question_id * 13 + k * 101) %% %(members)s)::int
ORDER BY at
"""

ANSWERS_FIX_SQL = """
UPDATE experts_question q SET accepted_answer_id = a.id
FROM experts_answer a WHERE a.question_id = q.id AND a.is_accepted;
INSERT INTO experts_reputationevent (
    points, reason, created_at, actor_id, answer_id, focus_area_id, question_id,
    user_id
)
SELECT 15, 'accepted', accepted_at, NULL::bigint, id, NULL::bigint, question_id,
       author_id
FROM experts_answer WHERE by_expert AND is_accepted
UNION ALL
SELECT 5 * helpful_count, 'helpful', created_at + interval '1 day', NULL, id,
       NULL, question_id, author_id
FROM experts_answer WHERE by_expert AND helpful_count > 0;
"""

# Comments on ideas (django_comments, with the django_comments_xtd row
# each needs): about two per idea, most soon after the idea, by members.
COMMENTS_SQL = """
CREATE TEMP TABLE rb_comments ON COMMIT DROP AS
SELECT nextval(pg_get_serial_sequence('django_comments', 'id'))::int AS id,
       i.id AS idea_id,
       i.created_at + (%(now)s::timestamptz - i.created_at) * power(random(), 3)
           AS at,
       m.id AS user_id
FROM ideas_idea i
CROSS JOIN LATERAL generate_series(1, (i.id %% 5)::int) AS k
JOIN rb_members m ON m.rn = ((i.id * 17 + k * 7919) %% %(members)s)::int
WHERE i.title LIKE 'Reports bench idea %%' AND i.status <> 'merged';
INSERT INTO django_comments (
    id, object_pk, user_name, user_email, user_url, comment, submit_date,
    ip_address, is_public, is_removed, content_type_id, site_id, user_id
)
SELECT id, idea_id::text, '', '', '', 'I would like this too.', at, NULL,
       true, id %% 100 = 0, %(content_type)s, %(site)s, user_id
FROM rb_comments ORDER BY at;
INSERT INTO django_comments_xtd_xtdcomment (
    comment_ptr_id, thread_id, parent_id, level, "order", followup, nested_count
)
SELECT id, id, id, 0, 1, false, 0 FROM rb_comments;
UPDATE ideas_idea i SET comment_count = c.n
FROM (SELECT idea_id, count(*) AS n FROM rb_comments GROUP BY idea_id) AS c
WHERE c.idea_id = i.id;
SELECT count(*) FROM rb_comments
"""

# Helpful votes behind each answer's helpful_count, by members.
HELPFUL_SQL = """
INSERT INTO experts_helpfulvote (created_at, answer_id, user_id)
SELECT a.created_at + (%(now)s::timestamptz - a.created_at) * 0.2 * random(),
       a.id, m.id
FROM experts_answer a
CROSS JOIN LATERAL generate_series(1, a.helpful_count) AS k
JOIN rb_members m ON m.rn = ((a.id * 11 + k * 1009) %% %(members)s)::int
WHERE a.helpful_count > 0
"""

INVITATIONS_SQL = """
CREATE TEMP TABLE rb_inv ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY m.r) - 1)::int AS rn, m.id AS mention_id,
       m.fetched_at, m.language, m.assignee_id,
       md5('rb-handle-' || m.author_handle) || md5('x' || m.id) AS handle_hash,
       random() AS r_open, random() AS r_join, random() AS r_contrib,
       random() AS r_no, random() AS r_t
FROM (SELECT id, fetched_at, language, assignee_id, author_handle, random() AS r
      FROM listening_mention
      WHERE status = 'invited' AND external_id LIKE 'rb-m-%%') AS m
ORDER BY m.r LIMIT %(n)s;
INSERT INTO listening_person (created_at, user_id)
SELECT fetched_at, NULL FROM rb_inv ORDER BY rn;
CREATE TEMP TABLE rb_people ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY id) - 1)::int AS rn, id FROM listening_person;
CREATE TEMP TABLE rb_inv2 ON COMMIT DROP AS
SELECT v.*, p.id AS person_id,
       v.fetched_at + interval '1 hour' * (1 + 48 * v.r_t) AS offered,
       CASE WHEN v.r_no < 0.04 THEN 'opted_out'
            WHEN v.r_no < 0.12 THEN 'declined'
            WHEN v.r_open < 0.55 THEN
                (CASE WHEN v.r_join < 0.4 THEN
                     (CASE WHEN v.r_contrib < 0.5 THEN 'contributed' ELSE 'joined' END)
                 ELSE 'opened' END)
            ELSE 'offered' END AS status
FROM rb_inv v JOIN rb_people p ON p.rn = v.rn;
INSERT INTO listening_personhandle (handle_hash, network, created_at, person_id)
SELECT handle_hash, 'mastodon', offered, person_id FROM rb_inv2;
INSERT INTO listening_invitation (
    handle_hash, status, override_reason, language, reply_text, nonce,
    expires_at, created_at, opened_at, joined_at, contributed_at, declined_at,
    opted_out_at, mention_id, offered_by_id, person_id
)
SELECT handle_hash, status, '', language, 'Join us in the community!',
       md5('rb-nonce-' || mention_id), offered + interval '30 days', offered,
       CASE WHEN status IN ('opened', 'joined', 'contributed')
            THEN offered + interval '1 hour' * 10 * r_t END,
       CASE WHEN status IN ('joined', 'contributed')
            THEN offered + interval '1 hour' * (10 + 30 * r_t) END,
       CASE WHEN status = 'contributed'
            THEN offered + interval '1 hour' * (40 + 100 * r_t) END,
       CASE WHEN status = 'declined' THEN offered + interval '1 hour' * 5 * r_t END,
       CASE WHEN status = 'opted_out' THEN offered + interval '1 hour' * 5 * r_t END,
       mention_id, coalesce(assignee_id, %(staff)s), person_id
FROM rb_inv2 ORDER BY offered;
INSERT INTO listening_consentevent (
    kind, handle_hash, reason, created_at, actor_id, invitation_id, person_id
)
SELECT kind, handle_hash, '', at, actor, id, person_id FROM (
    SELECT 'offered' AS kind, handle_hash, created_at AS at, offered_by_id AS actor,
           id, person_id FROM listening_invitation
    UNION ALL
    SELECT 'opened', handle_hash, opened_at, NULL, id, person_id
    FROM listening_invitation WHERE opened_at IS NOT NULL
    UNION ALL
    SELECT 'joined', handle_hash, joined_at, NULL, id, person_id
    FROM listening_invitation WHERE joined_at IS NOT NULL
    UNION ALL
    SELECT 'contributed', handle_hash, contributed_at, NULL, id, person_id
    FROM listening_invitation WHERE contributed_at IS NOT NULL
    UNION ALL
    SELECT 'declined', handle_hash, declined_at, NULL, id, person_id
    FROM listening_invitation WHERE declined_at IS NOT NULL
    UNION ALL
    SELECT 'opted_out', handle_hash, opted_out_at, NULL, id, person_id
    FROM listening_invitation WHERE opted_out_at IS NOT NULL
    UNION ALL  -- offers refused because the person had opted out before
    SELECT 'refused', handle_hash, opted_out_at + interval '20 days', %(staff)s,
           NULL, person_id
    FROM listening_invitation WHERE opted_out_at IS NOT NULL
    UNION ALL  -- a few overrides of the cooling-off rule, with a reason
    SELECT 'override', handle_hash, created_at - interval '1 minute', offered_by_id,
           id, person_id
    FROM listening_invitation WHERE id %% 50 = 0
) AS e ORDER BY at;
INSERT INTO listening_optout (handle_hash, via, created_at)
SELECT handle_hash, 'link', opted_out_at FROM listening_invitation
WHERE opted_out_at IS NOT NULL
ON CONFLICT (handle_hash) DO NOTHING;
UPDATE listening_person p SET user_id = m.id
FROM (SELECT row_number() OVER (ORDER BY person_id) AS rn, person_id
      FROM listening_invitation WHERE joined_at IS NOT NULL) AS j
JOIN (SELECT row_number() OVER (ORDER BY id) AS rn, id FROM rb_members
      WHERE signup_source = 'invitation') AS m ON m.rn = j.rn
WHERE p.id = j.person_id;
"""


def _run(cursor, sql: str, params: dict) -> int:
    """Run one or more ;-separated statements; the last one's row count."""
    count = 0
    for statement in sql.split(";\n"):
        if statement.strip():
            cursor.execute(statement, params)
            count = cursor.rowcount
    return count


def seed(args: argparse.Namespace) -> dict[str, float]:
    """Empty the bench database's data tables and fill them in SQL."""
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sites.models import Site
    from django.db import connection, transaction
    from django.utils import timezone

    from ideas.models import Idea
    from listening.models import Source, Tracker

    times: dict[str, float] = {}
    counts: dict[str, int] = {}
    start = mark = time.perf_counter()
    now = timezone.now()

    def step(name: str) -> None:
        nonlocal mark
        times[name] = time.perf_counter() - mark
        mark = time.perf_counter()

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        # No foreign-key triggers while loading (the rows are built from the
        # ids just created), as pg_restore does; see bench/inbox_bench.py.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("TRUNCATE " + ", ".join(OWNED_TABLES) + " CASCADE")
        Source.objects.filter(name__startswith="Reports bench ").delete()
        Tracker.objects.filter(name__startswith="Reports bench ").delete()
        cursor.execute("SELECT setseed(0.42)")  # the same data every time
        params = {"now": now, "like": f"{MEMBER_PREFIX}%", "prefix": MEMBER_PREFIX}
        _run(cursor, MEMBERS_SQL, {**params, "n": args.members})
        staff = staff_ensure()
        params["staff"] = staff
        _run(cursor, MEMBER_TABLE_SQL, params)
        cursor.execute("SELECT count(*) FROM rb_members")
        members = cursor.fetchone()[0]
        step("members")
        sources = [
            Source.objects.create(name=name, kind=kind).pk
            for name, kind in zip(
                SOURCES, ["mastodon", "x", "bluesky", "reddit", "rss"] * 2, strict=True
            )
        ]
        trackers = [
            Tracker.objects.create(name=name, kind=kind, any_terms="vonk").pk
            for name, kind in TRACKERS
        ]
        dropped = []
        for table in LOADED_TABLES:
            dropped += secondary_indexes(cursor, table)
        for name, _definition in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
        counts["mentions"] = _run(
            cursor,
            MENTIONS_SQL,
            {
                "rows": args.mentions,
                "now": now,
                "sources": sources,
                "staff": staff,
                "texts": TEXTS,
                "id_prefix": "rb-m-",
            },
        )
        step("insert mentions")
        counts["tracker links"] = _run(
            cursor, TRACKERS_SQL, {"trackers": trackers, "like": "rb-m-%"}
        )
        counts["replies"] = _run(cursor, REPLIES_SQL, {"like": "rb-m-%"})
        step("insert trackers, replies")
        counts["ideas"] = _run(
            cursor,
            IDEAS_SQL,
            {
                **params,
                "n": args.ideas,
                "votes": 10 * args.ideas,
                "cap": min(5000, members),
                "members": members,
            },
        )
        _run(cursor, MERGE_SQL, params)
        _run(cursor, IDEA_STEPS_SQL, params)
        counts["status changes"] = _run(
            cursor, HISTORY_SQL, {**params, "staff": staff[0]}
        )
        _run(cursor, IDEAS_FIX_SQL, params)
        counts["votes"] = _run(
            cursor,
            VOTES_SQL,
            {**params, "stride": _stride(members), "members": members},
        )
        counts["mention links"] = _run(cursor, LINKS_SQL, params)
        _run(
            cursor,
            COMMENTS_SQL,
            {
                **params,
                "members": members,
                "content_type": ContentType.objects.get_for_model(Idea).pk,
                "site": Site.objects.get_current().pk,
            },
        )
        counts["comments"] = cursor.fetchone()[0]
        step("insert ideas, votes, comments")
        counts["experts"] = _run(cursor, EXPERTS_SQL, {**params, "every": EXPERT_EVERY})
        counts["questions"] = _run(
            cursor, QUESTIONS_SQL, {**params, "n": QUESTIONS, "members": members}
        )
        _run(cursor, EXPERTS_TABLE_SQL, params)
        cursor.execute("SELECT count(*) FROM rb_experts")
        experts = cursor.fetchone()[0]
        counts["answers"] = _run(
            cursor,
            ANSWERS_INSERT_SQL,
            {**params, "experts": experts, "members": members},
        )
        counts["reputation events"] = _run(cursor, ANSWERS_FIX_SQL, params)
        counts["helpful votes"] = _run(
            cursor, HELPFUL_SQL, {**params, "members": members}
        )
        step("insert experts, questions, answers")
        _run(cursor, INVITATIONS_SQL, {**params, "n": INVITATIONS, "staff": staff[0]})
        cursor.execute(
            "SELECT (SELECT count(*) FROM listening_invitation), "
            "(SELECT count(*) FROM listening_consentevent)"
        )
        counts["invitations"], counts["consent events"] = cursor.fetchone()
        step("insert invitations, consent")
        for _name, definition in dropped:
            cursor.execute(definition)
        step(f"rebuild {len(dropped)} indexes")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    step("vacuum analyze")
    times["total"] = time.perf_counter() - start
    for name, n in counts.items():
        print(f"  {name:<28} {n:>10,}")
    return times


def _stride(members: int) -> int:
    """A step coprime with the member count, so one idea's voters never repeat."""
    import math

    step = 1009
    while math.gcd(step, members) != 1:
        step += 1
    return step


def staff_ensure() -> list[int]:
    """The bench's staff (who answer, respond and review) and its viewer."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    ids = []
    for name in STAFF:
        user, _created = user_model.objects.get_or_create(
            username=name,
            defaults={
                "email": f"{name}@example.com",
                "is_staff": True,
                "display_name": name.replace("-", " ").title(),
            },
        )
        ids.append(user.pk)
    return ids


def viewer():
    from django.contrib.auth import get_user_model

    user, _created = get_user_model().objects.get_or_create(
        username=VIEWER,
        defaults={
            "email": f"{VIEWER}@example.com",
            "is_staff": True,
            "is_superuser": True,
        },
    )
    return user


# --- the rollup ------------------------------------------------------------------


def rollup_models() -> list:
    """The rollup tables that exist: MentionDaily, and the care report's
    (CareDaily, CareResponse) where the code has them."""
    from listening import models

    names = ["MentionDaily", "CareDaily", "CareResponse"]
    return [getattr(models, n) for n in names if hasattr(models, n)]


def rollup_rows() -> str:
    return ", ".join(
        f"{model.objects.count():,} {model.__name__} rows" for model in rollup_models()
    )


def rollup() -> None:
    """The full rebuild over every day of the data, the first periodic refresh
    (no watermark yet), then an incremental refresh after 1,000 new
    mentions; each timed."""
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from listening import rollup as rollup_module
    from listening.models import MentionDaily, Source, Tracker
    from portal.core.reports import local_date

    refresh = rollup_module.rollup_refresh
    accepts_days = "days" in inspect.signature(refresh).parameters
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(coalesce(posted_at, fetched_at)) FROM listening_mention"
        )
        oldest = cursor.fetchone()[0]
    today = local_date(timezone.now())
    first = local_date(oldest) if oldest else today
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    start = time.perf_counter()
    result = refresh(days=days) if accepts_days else refresh()
    full = time.perf_counter() - start
    rows = MentionDaily.objects.count()
    how = f"rollup_refresh(days=<{len(days)} days>)" if accepts_days else "()"
    print(f"rollup, full rebuild: {how} {full:.1f} s, {rollup_rows()}")
    print(f"  result: {result!r}"[:300])
    if not rows:
        print("  (the rollup wrote nothing: still a placeholder?)")
    if accepts_days:
        # What beat's first run does on a database without a watermark.
        start = time.perf_counter()
        result = refresh()
        print(
            f"rollup, first periodic refresh (no watermark yet): "
            f"{time.perf_counter() - start:.1f} s, {result!r}"[:300]
        )

    # 1,000 new mentions, as a fetch would bring them, then the periodic task.
    sources = list(
        Source.objects.filter(name__startswith="Reports bench ").values_list(
            "pk", flat=True
        )
    )
    trackers = list(
        Tracker.objects.filter(name__startswith="Reports bench ").values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM listening_mention WHERE external_id LIKE 'rb-inc-%%'"
        )
        batch = cursor.fetchone()[0] // INCREMENTAL + 1
        prefix = f"rb-inc-{batch}-"
        cursor.execute(
            MENTIONS_SQL.replace(
                "interval '365 days' * (1 - f)", "interval '1 hour' * (1 - f)"
            ).replace("365 * (1 - f) AS age_days", "0 AS age_days"),
            {
                "rows": INCREMENTAL,
                "now": timezone.now(),
                "sources": sources,
                "staff": staff_ensure(),
                "texts": TEXTS,
                "id_prefix": prefix,
            },
        )
        cursor.execute(TRACKERS_SQL, {"trackers": trackers, "like": f"{prefix}%"})
    start = time.perf_counter()
    result = refresh()
    incremental = time.perf_counter() - start
    print(
        f"rollup, incremental after {INCREMENTAL:,} new mentions: rollup_refresh() "
        f"{incremental * 1000:.0f} ms, {rollup_rows()}"
    )
    print(f"  result: {result!r}"[:300])


# --- the measurements ------------------------------------------------------------


def filter_values(report) -> list[tuple[str, object]]:
    """(field, value) for each filter field of the report's form."""
    from django import forms

    from listening.models import Tracker

    out = []
    form = report.form_class()
    for name, field in form.fields.items():
        if name in ("preset", "since", "until"):
            continue
        value = None
        if isinstance(field, forms.ModelChoiceField):
            queryset = field.queryset
            if queryset.model is Tracker:
                obj = queryset.filter(name=TRACKERS[0][0]).first() or queryset.first()
            else:
                obj = queryset.first()
            if obj is not None:
                key = field.to_field_name or "pk"
                value = getattr(obj, key)
                if isinstance(field, forms.ModelMultipleChoiceField):
                    value = [value]
        elif isinstance(field, forms.ChoiceField):
            choices = [
                str(c[0])
                for c in field.choices
                if c[0] not in ("", None) and not isinstance(c[1], list | tuple)
            ]
            preferred = {
                "intent": "complaint",
                "language": "nl",
                "sentiment": "negative",
                "kind": "competitor",
            }
            wanted = next((v for k, v in preferred.items() if k in name), None)
            value = wanted if wanted in choices else (choices[0] if choices else None)
            if value is not None and isinstance(field, forms.MultipleChoiceField):
                value = [value]
        elif isinstance(field, forms.BooleanField):
            value = "on"
        if value is not None:
            out.append((name, value))
    return out


def pages(only: str | None) -> list[tuple[str, str]]:
    """(report slug, URL) of every page to time."""
    from portal.core.reports import reports

    out = [("overview", "/admin/insight/")]
    for report in reports():
        if report.slug == EMPTY_REPORT:
            continue
        base = f"/admin/insight/{report.slug}/"
        for preset in PRESETS:
            out.append((report.slug, f"{base}?preset={preset}"))
        for name, value in filter_values(report):
            for preset in FILTER_PRESETS:
                query = urlencode({"preset": preset, name: value}, doseq=True)
                out.append((report.slug, f"{base}?{query}"))
    if only:
        out = [p for p in out if only in p[1]]
    return out


def timed(client, url: str, runs: int):
    """(ms of each timed run, ms of the warm-up, its queries, status)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        response = client.get(url)
        cold = (time.perf_counter() - start) * 1000
    # A property that slices the connection's log: read it before the next
    # request resets that log.
    queries = list(captured.captured_queries)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return times, cold, queries, response.status_code


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def short_sql(sql: str, width: int = 160) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    problem = harness.postgres_problem()
    if problem:
        print(f"PostgreSQL not reachable ({problem}): the reports bench needs it")
        return 0
    if harness.ensure_database(DB):
        print(f"created database {DB}")
    print(harness.machine_summary())
    print(f"database: PostgreSQL database {DB}")
    tmp = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    start = time.perf_counter()
    setup_django(f"{harness.PG_URL}/{DB}", tmp / "var")
    print(f"migrate: {time.perf_counter() - start:.1f} s")

    from django.db import connection
    from django.test import Client

    from portal.core.reports import Report, register_report, reports

    have_mentions, have_ideas = bench_counts()
    if args.reseed or (have_mentions, have_ideas) != (args.mentions, args.ideas):
        print(
            f"filling {args.mentions:,} mentions and {args.ideas:,} ideas "
            f"(had {have_mentions:,} and {have_ideas:,})"
        )
        for name, seconds in seed(args).items():
            print(f"  {name:<28} {seconds:>7.1f} s")
        args.rollup = True
    else:
        print(
            f"database already holds {have_mentions:,} bench mentions and "
            f"{have_ideas:,} bench ideas: not refilling"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('listening_mention')), "
            "(SELECT count(*) FROM listening_mention), "
            "(SELECT count(*) FROM ideas_idea), (SELECT count(*) FROM ideas_vote), "
            "(SELECT count(*) FROM ideas_statuschange), "
            "(SELECT count(*) FROM experts_question), "
            "(SELECT count(*) FROM experts_answer), "
            "(SELECT count(*) FROM accounts_user), "
            "(SELECT count(*) FROM listening_consentevent)"
        )
        size, *numbers = cursor.fetchone()
    names = ["mentions", "ideas", "votes", "status changes", "questions", "answers"]
    names += ["users", "consent events"]
    print(
        f"mention table {size}; "
        + ", ".join(f"{n:,} {name}" for n, name in zip(numbers, names, strict=True))
    )
    if args.rollup or any(not model.objects.exists() for model in rollup_models()):
        rollup()
    else:
        print(f"rollup already filled ({rollup_rows()}): not rebuilding (--rollup)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    registered = [r.slug for r in reports()]
    print(f"reports registered: {', '.join(registered) or 'none'}")
    # The baseline: the same view and template with a report of no sections.
    register_report(Report(EMPTY_REPORT, "Empty (bench baseline)", order=999))
    client = Client()
    client.force_login(viewer())
    todo = pages(args.only)
    baseline_url = f"/admin/insight/{EMPTY_REPORT}/?preset=30d"

    gc.collect()
    gc.freeze()  # see bench/inbox_bench.py: a pre-forked server's set-up
    base_before, _cold, base_queries, _status = timed(
        client, baseline_url, max(args.runs, 10)
    )
    results = []
    failures = []
    for slug, url in todo:
        times, cold, queries, status = timed(client, url, args.runs)
        if status != 200:
            failures.append(f"{url}: HTTP {status}")
        results.append((slug, url, times, cold, queries))
    base_after, _cold, _queries, _status = timed(
        client, baseline_url, max(args.runs, 10)
    )
    baseline = base_before + base_after
    base_p95 = harness.percentile(baseline, 95)

    print()
    print(
        f"baseline (a report with no sections, {len(base_queries)} queries): "
        f"p50 {statistics.median(baseline):.1f} ms, p95 {base_p95:.1f} ms"
    )
    print(f"{len(todo)} pages x {args.runs} runs after one warm-up each")
    print()
    longest = max((len(u) for _s, u in todo), default=25)
    width = min(longest - len("/admin/insight/"), 64)
    print(
        f"{'page':<{width}} {'q':>3} {'sql ms':>7} {'cold ms':>8} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'max ms':>7} {'x base':>6}"
    )
    everything = []
    for _slug, url, times, cold, queries in results:
        everything += times
        p95 = harness.percentile(times, 95)
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        flag = "" if p95 < TARGET_MS else "  SLOW"
        label = url.removeprefix("/admin/insight/") or "(overview)"
        print(
            f"{label[:width]:<{width}} {len(queries):>3} {sql_ms:>7.0f} {cold:>8.0f} "
            f"{statistics.median(times):>7.0f} {p95:>7.0f} {max(times):>7.0f} "
            f"{p95 / base_p95:>6.1f}{flag}"
        )
    if not results:
        print("nothing to time")
        return 1 if failures else 0
    overall = harness.percentile(everything, 95)
    print()
    print(
        f"overall: p50 {statistics.median(everything):.0f} ms, p95 {overall:.0f} ms, "
        f"max {max(everything):.0f} ms over {len(everything)} timings; "
        f"ratio overall p95 / baseline p95: {overall / base_p95:.1f}"
    )
    per_report: dict[str, list[float]] = {}
    for slug, _url, times, _cold, _queries in results:
        per_report.setdefault(slug, []).extend(times)
    for slug, times in per_report.items():
        print(
            f"  {slug:<12} p95 {harness.percentile(times, 95):7.0f} ms, "
            f"max {max(times):7.0f} ms"
        )
    slow = [r for r in results if harness.percentile(r[2], 95) >= TARGET_MS]
    print(
        f"all under 1 s p95: {'yes' if not slow else 'no'} "
        f"({len(results) - len(slow)} of {len(results)} pages)"
    )
    worst = sorted(results, key=lambda r: harness.percentile(r[2], 95), reverse=True)
    print()
    print(
        "slowest 5 by p95, each with its slowest query and any other over "
        "100 ms (of the warm-up):"
    )
    for _slug, url, times, _cold, queries in worst[:5]:
        print(f"  {harness.percentile(times, 95):7.0f} ms  {url}")
        ranked = sorted(queries, key=lambda q: float(q["time"]), reverse=True)
        # The slowest query, and every other one over 100 ms.
        for n, query in enumerate(ranked):
            if n and float(query["time"]) < 0.1:
                break
            ms = float(query["time"]) * 1000
            print(f"      {ms:6.0f} ms  {short_sql(query['sql'])}")
    if args.explain:
        for _slug, url, _times, _cold, queries in worst[:5]:
            if not queries:
                continue
            top = max(queries, key=lambda q: float(q["time"]))
            print()
            print(f"EXPLAIN ANALYZE, the slowest query of {url}:")
            print(f"    {short_sql(top['sql'], 2000)}")
            try:
                print(explain(top["sql"]))
            except Exception as exc:  # a query that cannot be replayed as text
                print(f"    (could not explain: {exc})")
    load = os.getloadavg()
    print()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if failures:
        print()
        print("pages that did not answer 200:")
        for failure in failures:
            print(f"  {failure}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
