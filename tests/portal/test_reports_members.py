"""The community report's members sections (portal/accounts/reports.py) and
the whole community report page.

January 2026, local time (Amsterdam, UTC+1 in winter):

- joined: Ann Jan 5 (direct), Bram Jan 10 (invitation), Cas Jan 15 (no
  source: before sources were recorded), Dirk Jan 31 23h30 (social), Eef
  Feb 1 0h30 (direct, out), Fien Dec 15 (direct, previous period), a staff
  member Jan 12 (not counted).
- active in January: Ann posts an idea and votes, Bram votes, Fien comments,
  Cas asks a question, Dirk answers at 23h30 on the 31st; Eef's helpful vote
  at 0h30 on 1 February is out; the staff member's answer does not count.
  → 5 active members. December: Fien votes → 1.
"""

import csv
import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.urls import reverse
from django_comments_xtd.models import XtdComment

from experts.models import Answer, HelpfulVote, Question
from ideas.models import Idea, Vote
from portal.accounts import reports as ar
from portal.accounts.models import SignupSource
from portal.core import reports as r
from tests.factories import StaffFactory, UserFactory, make_idea

AMS = ZoneInfo("Europe/Amsterdam")
JANUARY = r.Period(date(2026, 1, 1), date(2026, 1, 31))
URL = "/admin/insight/community/"
RANGE = {"since": "2026-01-01", "until": "2026-01-31"}


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026):
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def joined(name: str, when: datetime, source: str = "", **kwargs):
    user = UserFactory(username=name, **kwargs)
    type(user).objects.filter(pk=user.pk).update(date_joined=when, signup_source=source)
    return user


def question(author, when: datetime) -> Question:
    q = Question.objects.create(
        title="How do I read my annual bill?",
        body="The statement has three totals.",
        author=author,
        first_answer_due_at=when + timedelta(days=1),
    )
    Question.objects.filter(pk=q.pk).update(created_at=when)
    return q


def answer(q: Question, author, when: datetime) -> Answer:
    a = Answer.objects.create(question=q, author=author, body="Look at the bottom.")
    Answer.objects.filter(pk=a.pk).update(created_at=when)
    return a


@pytest.fixture
def members(db):
    people = {
        "ann": joined("ann", at(1, 5), SignupSource.DIRECT),
        "bram": joined("bram", at(1, 10), SignupSource.INVITATION),
        "cas": joined("cas", at(1, 15)),
        "dirk": joined("dirk", at(1, 31, 23, 30), SignupSource.SOCIAL),
        "eef": joined("eef", at(2, 1, 0, 30), SignupSource.DIRECT),
        "fien": joined("fien", at(12, 15, year=2025), SignupSource.DIRECT),
        "staff": joined("colleague", at(1, 12), SignupSource.STAFF, is_staff=True),
    }
    idea = make_idea(author=people["ann"])
    Idea.objects.filter(pk=idea.pk).update(created_at=at(1, 6))
    for who, when in [
        ("ann", at(1, 6)),
        ("bram", at(1, 7)),
        ("fien", at(12, 20, year=2025)),
    ]:
        vote = Vote.objects.create(idea=idea, user=people[who])
        Vote.objects.filter(pk=vote.pk).update(created_at=when)
    XtdComment.objects.create(
        content_type=ContentType.objects.get_for_model(idea),
        object_pk=str(idea.pk),
        site=Site.objects.get_current(),
        user=people["fien"],
        comment="Yes please",
        submit_date=at(1, 8),
    )
    q = question(people["cas"], at(1, 9))
    answer(q, people["staff"], at(1, 10))
    helped = answer(q, people["dirk"], at(1, 31, 23, 30))
    vote = HelpfulVote.objects.create(answer=helped, user=people["eef"])
    HelpfulVote.objects.filter(pk=vote.pk).update(created_at=at(2, 1, 0, 30))
    return people


def test_active_members_counts_each_member_once_in_one_query(
    members, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert ar.active_members_count(JANUARY.start_at, JANUARY.end_at) == 5
    december = JANUARY.previous()
    assert ar.active_members_count(december.start_at, december.end_at) == 1


def test_active_members_of_both_periods(members, django_assert_num_queries):
    # A short period: the union per period, one query each.
    with django_assert_num_queries(2):
        assert ar.active_members_counts(JANUARY) == (5, 1)


def test_long_periods_count_the_same_members_in_one_query(
    members, monkeypatch, django_assert_num_queries
):
    # The per-member EXISTS shape of long periods, forced on January: the
    # same members (Eef's helpful vote at 0h30 on 1 February stays out, the
    # staff answer does not count), both periods in one query.
    monkeypatch.setattr(ar, "LONG_PERIOD_DAYS", 1)
    with django_assert_num_queries(1):
        assert ar.active_members_counts(JANUARY) == (5, 1)


def test_votes_are_probed_first():
    # The commonest activity first, so most members' probes stop there.
    assert ar._activity[0].__name__ == "_vote_activity"


def test_register_activity_is_idempotent():
    before = list(ar._activity)
    ar.register_activity(before[0])
    assert ar._activity == before


def test_new_members_by_source(members):
    blocks = {b.key: b for b in ar.new_members_by_source(JANUARY, {})}
    chart = blocks["members-new-by-source"]
    values = {s.key: s.values for s in chart.series}
    assert list(values) == ["direct", "invitation", "social", "staff", "unknown"]
    assert values["direct"][4] == 1 and sum(values["direct"]) == 1  # Ann
    assert values["invitation"][9] == 1 and sum(values["invitation"]) == 1
    assert values["social"][30] == 1 and sum(values["social"]) == 1  # Dirk
    assert values["unknown"][14] == 1 and sum(values["unknown"]) == 1  # Cas
    assert sum(values["staff"]) == 0
    assert chart.series[-1].label == "Before sources were recorded"
    assert blocks["members-new-sources"].series[0].values == [1, 1, 1, 0, 1]


def test_members_headline(members):
    figures = {f.key: f for f in ar.members_headline(JANUARY, {})}
    assert figures["members-new"].value == 4
    assert figures["members-new"].previous == 1  # Fien
    assert figures["members-active"].value == 5
    assert figures["members-active"].previous == 1


@pytest.mark.django_db
def test_empty_range():
    figures = {f.key: f for f in ar.members_headline(JANUARY, {})}
    assert figures["members-new"].value == 0
    assert figures["members-active"].value == 0
    chart = {b.key: b for b in ar.new_members_by_source(JANUARY, {})}[
        "members-new-by-source"
    ]
    assert chart.is_empty
    # No "unknown" series when nobody lacks a source.
    assert [s.key for s in chart.series] == ["direct", "invitation", "social", "staff"]


@pytest.mark.django_db
def test_single_member_on_the_last_evening():
    joined("late", at(1, 31, 23, 30), SignupSource.INVITATION)
    assert ar.new_members_count(JANUARY) == 1
    assert ar.new_members_count(r.Period(date(2026, 2, 1), date(2026, 2, 1))) == 0


# --- the report page ----------------------------------------------------------------


def chart_json(html: str, key: str) -> dict:
    start = html.index(f'id="chart-{key}"')
    return json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])


@pytest.mark.django_db
def test_community_report_permissions(client):
    assert client.get(URL).status_code == 302
    client.force_login(UserFactory())
    assert client.get(URL).status_code in (302, 403)
    client.force_login(StaffFactory())
    assert client.get(URL).status_code == 200


def test_community_report_page(
    client, members, community_settings, django_assert_max_num_queries
):
    client.force_login(StaffFactory())
    # Session, user and admin profile, then a fixed number per section: no
    # query depends on how many ideas, questions or experts there are.
    with django_assert_max_num_queries(33):
        page = client.get(URL, RANGE)
    assert page.status_code == 200
    html = page.content.decode()
    for key in [
        "ideas-funnel",
        "ideas-funnel-conversion",
        "ideas-stage-days",
        "ideas-waiting",
        "questions-by-first-answer",
        "questions-first-answer-trend",
        "experts-activity",
        "experts-burnout",
        "members-new-by-source",
        "members-new-sources",
    ]:
        assert f'id="block-{key}"' in html
    data = chart_json(html, "members-new-by-source")
    assert data["labels"][0] == "2026-01-01" and len(data["labels"]) == 31
    assert data["series"][0]["values"][4] == 1

    export = client.get(
        URL, {**RANGE, "format": "csv", "block": "members-new-by-source"}
    )
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Period" and len(rows) == 32
    for row, label in zip(rows[1:], data["labels"], strict=True):
        assert row[0] == label
        assert [int(v) for v in row[1:]] == [
            s["values"][data["labels"].index(label)] for s in data["series"]
        ]

    whole = client.get(URL, {**RANGE, "format": "csv"})
    long_rows = list(csv.reader(io.StringIO(whole.content.decode("utf-8-sig"))))
    assert ["members-active", "Active members", "", "", "5"] in long_rows
    assert ["ideas-submitted", "Ideas submitted", "", "", "1"] in long_rows


def test_community_report_focus_area_filter(client, members, community_settings):
    area = community_settings.focus_areas.get(slug="billing")
    client.force_login(StaffFactory())
    response = client.get(URL, {**RANGE, "focus_area": area.pk, "format": "csv"})
    long_rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    # Ann's idea has no focus area; members are not filtered.
    assert ["ideas-submitted", "Ideas submitted", "", "", "0"] in long_rows
    assert ["members-active", "Active members", "", "", "5"] in long_rows
    assert client.get(URL, {**RANGE, "focus_area": "999999"}).status_code == 400


def test_headline_figures_take_a_fixed_number_of_queries(
    members, django_assert_num_queries
):
    report = r.get_report("community")
    # Members 4, ideas 5 (submitted, launched ×2, median ×2), questions 4.
    with django_assert_num_queries(13):
        figures = report.headline_figures(JANUARY, {})
    assert [f.key for f in figures] == [
        "ideas-submitted",
        "ideas-launched",
        "ideas-response-days",
        "questions-answer-rate",
        "questions-first-answer-hours",
        "questions-expert-share",
        "members-new",
        "members-active",
    ]


def test_overview_shows_the_community_headline(client, members):
    client.force_login(StaffFactory())
    response = client.get(reverse("insight:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Community" in html and "Active members" in html
