"""Get the seeded database ready for the load scenario and list what the
simulated visitors will open (run by bench/load/run.py, in its own process).

    DJANGO_SETTINGS_MODULE=bench.load.settings python bench/load/prepare.py OUT.json

- The page tree: reports_bench's seed fills tables in SQL and creates no
  pages, so when there is no ideas page yet this runs `seed_demo` (home, ideas
  and questions pages, focus areas, a few demo members), with Celery eager and
  embeddings off so it neither needs the worker nor loads the model.
- Logged-in members: --members of the seed's members (English, joined more
  than a week ago, neither banned nor erased) each get a session, created
  the way Django's login() fills one (user id, backend, password hash), as a
  member who logged in earlier and comes back. Logging in through the form
  during the run would measure PBKDF2 (one million iterations, about a
  second of a worker per login on this machine) instead of the pages.
- A sample of what is opened: visible ideas (any status) for the detail page,
  votable ones for the votes, public questions, the list pages' URLs and the
  number of list pages.

Writes OUT.json for the locustfile (LOAD_BENCH_DATA).
"""

import argparse
import json
import os
import sys
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MEMBER_PREFIX = "reports-bench-m-"  # bench/reports_bench.py's members


def member_session(member) -> str:
    """A new session in which `member` is logged in, filled as Django's
    login() fills one; returns its key (the session cookie's value)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = member._meta.pk.value_to_string(member)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = member.get_session_auth_hash()
    session.create()
    return session.session_key


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--sample", type=int, default=5000, help="ideas sampled")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.load.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings
    from django.utils import timezone
    from django.utils.translation import override
    from wagtail.models import Locale

    from experts.pages import QuestionsIndexPage
    from ideas.models import VOTABLE_STATUSES
    from ideas.pages import IdeasIndexPage

    if not IdeasIndexPage.objects.exists():
        print("no ideas page yet: running seed_demo for the page tree")
        with override_settings(
            SEMANTIC_STORE="memory",
            SEMANTIC_EMBEDDINGS_ENABLED=False,
            CELERY_TASK_ALWAYS_EAGER=True,
        ):
            call_command("seed_demo", verbosity=0)

    english = Locale.objects.get(language_code="en")
    ideas_page = IdeasIndexPage.objects.live().get(locale=english)
    questions_page = QuestionsIndexPage.objects.live().get(locale=english)
    with override("en"):
        ideas_url, questions_url = ideas_page.url, questions_page.url
        home_url = ideas_page.get_parent().url

    user_model = get_user_model()
    week_ago = timezone.now() - timezone.timedelta(days=7)
    members = list(
        user_model.objects.filter(
            username__startswith=MEMBER_PREFIX,
            language="en",
            is_active=True,
            is_erased=False,
            banned_at__isnull=True,
            date_joined__lt=week_ago,
        ).order_by("pk")[: args.members]
    )
    sessions = [member_session(member) for member in members]

    with connection.cursor() as cursor:
        # TABLESAMPLE would be cheaper, but 100k rows sort in well under 1 s.
        cursor.execute(
            "SELECT id, status = ANY(%s) AND NOT is_locked FROM ideas_idea "
            "WHERE NOT is_hidden AND merged_into_id IS NULL "
            "ORDER BY md5(id::text) LIMIT %s",
            [list(VOTABLE_STATUSES), args.sample],
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT id FROM experts_question WHERE NOT is_private AND NOT is_hidden "
            "ORDER BY md5(id::text) LIMIT %s",
            [args.sample // 2],
        )
        questions = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT count(*) FROM ideas_idea WHERE NOT is_hidden "
            "AND merged_into_id IS NULL"
        )
        visible = cursor.fetchone()[0]
        cursor.execute(
            "SELECT (SELECT count(*) FROM ideas_idea), "
            "(SELECT count(*) FROM ideas_vote), "
            "(SELECT count(*) FROM listening_mention), "
            "(SELECT count(*) FROM experts_expertprofile), "
            "(SELECT count(*) FROM experts_question), "
            "(SELECT count(*) FROM accounts_user), "
            "(SELECT count(*) FROM django_comments)"
        )
        names = ["ideas", "votes", "mentions", "experts", "questions", "users"]
        sizes = dict(zip([*names, "comments"], cursor.fetchone(), strict=True))

    data = {
        "home_url": home_url,
        "ideas_url": ideas_url,
        "questions_url": questions_url,
        "ideas": [pk for pk, _votable in rows],
        "votable_ideas": [pk for pk, votable in rows if votable],
        "questions": questions,
        "list_pages": max(1, visible // 20),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "sizes": sizes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data))
    print(
        f"prepared {len(sessions)} member sessions, {len(data['ideas'])} ideas "
        f"({len(data['votable_ideas'])} votable), {len(questions)} questions; "
        f"home {home_url}, ideas {ideas_url}, questions {questions_url}"
    )
    if len(sessions) < args.members or not data["votable_ideas"] or not questions:
        print("not enough bench data: run bench/load/seed.py first")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
