"""The ideas part of the community report (ideas/reports.py), checked against
numbers worked out by hand on a small history.

January 2026 (Amsterdam is UTC+1 in winter); every time is local:

=====  ==========  ===================================================  =========
idea   submitted   history                                              votes
=====  ==========  ===================================================  =========
A      Jan 2 10h   review Jan 4 10h + response, response only Jan 10,  –
                   planned Jan 9 10h, launched Jan 19 10h
B      Jan 5 10h   declined Jan 6 10h + response                        –
C      Jan 10 10h  review Jan 13 10h                                    2
D      Jan 12 10h  merged into A Jan 14 10h                             –
E      Jan 31 23h30  (last half hour of the period)                     –
F      Feb 1 0h30  (first half hour after it)                           3
G      Jan 15 10h  hidden; launched Jan 16 10h                          –
H      Dec 20      launched Jan 31 23h30                                –
I      Dec 22      launched Feb 1 0h30                                  –
=====  ==========  ===================================================  =========

Cohort (submitted in January, not hidden): A B C D E.
Funnel: submitted 5, reviewed 3 (A B C), planned 1, launched 1; declined 1 (B),
merged 1 (D).
Days in "new": A 2, B 1, C 3, D 2 → median 2, p90 2 + 0.7 × (3 − 2) = 2.7.
Days under review: A 5 (C has not left). Planned: A 10 (the response-only
entry on Jan 10 does not end the stage).
Days to the first official response: A 2, B 1 → median 1.5, p90 1.9; 2 of 5
ideas (40 %) have one.
Launched in January: A and H (G is hidden, I is a February launch) → 2.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ideas import reports as ir
from ideas.models import Idea, IdeaStatus, StatusChange, Vote
from ideas.services import idea_merge, idea_respond, idea_set_hidden, idea_vote
from portal.core import reports as r
from tests.factories import StaffFactory, UserFactory, make_idea

AMS = ZoneInfo("Europe/Amsterdam")
JANUARY = r.Period(date(2026, 1, 1), date(2026, 1, 31))


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026):
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def submitted(when: datetime, **kwargs) -> Idea:
    idea = make_idea(**kwargs)
    Idea.objects.filter(pk=idea.pk).update(created_at=when)
    StatusChange.objects.filter(idea=idea).update(created_at=when)
    idea.refresh_from_db()
    return idea


def respond(idea: Idea, by, when: datetime, status: str | None = None, text=""):
    change = idea_respond(idea=idea, by=by, status=status, response=text)
    StatusChange.objects.filter(pk=change.pk).update(created_at=when)
    idea.refresh_from_db()
    return change


@pytest.fixture
def january(db):
    staff = StaffFactory()
    ideas = {}
    a = ideas["A"] = submitted(at(1, 2))
    respond(a, staff, at(1, 4), IdeaStatus.UNDER_REVIEW, "We are looking at it.")
    respond(a, staff, at(1, 9), IdeaStatus.PLANNED)
    respond(a, staff, at(1, 10), text="Planned for the spring release.")
    respond(a, staff, at(1, 19), IdeaStatus.LAUNCHED)
    b = ideas["B"] = submitted(at(1, 5))
    respond(b, staff, at(1, 6), IdeaStatus.DECLINED, "Not something we will do.")
    c = ideas["C"] = submitted(at(1, 10))
    respond(c, staff, at(1, 13), IdeaStatus.UNDER_REVIEW)
    d = ideas["D"] = submitted(at(1, 12))
    idea_merge(source=d, target=a, by=staff)
    StatusChange.objects.filter(idea=d, to_status=IdeaStatus.MERGED).update(
        created_at=at(1, 14)
    )
    ideas["E"] = submitted(at(1, 31, 23, 30))
    f = ideas["F"] = submitted(at(2, 1, 0, 30))
    g = ideas["G"] = submitted(at(1, 15))
    respond(g, staff, at(1, 16), IdeaStatus.LAUNCHED)
    idea_set_hidden(idea=g, by=staff, hidden=True, reason="spam")
    h = ideas["H"] = submitted(at(12, 20, year=2025))
    respond(h, staff, at(1, 31, 23, 30), IdeaStatus.LAUNCHED)
    i = ideas["I"] = submitted(at(12, 22, year=2025))
    respond(i, staff, at(2, 1, 0, 30), IdeaStatus.LAUNCHED)
    for voter in [UserFactory() for _ in range(3)]:
        idea_vote(idea=f, user=voter)
    for voter in [UserFactory() for _ in range(2)]:
        idea_vote(idea=c, user=voter)
    return ideas


def test_funnel_counts_each_idea_at_the_furthest_stage_it_reached(january):
    assert ir.idea_funnel(JANUARY) == {
        "submitted": 5,
        "reviewed": 3,
        "planned": 1,
        "launched": 1,
        "declined": 1,
        "merged": 1,
    }


def test_funnel_uses_the_current_status_when_history_is_missing(january):
    # An idea imported without history still counts at its current stage.
    StatusChange.objects.filter(idea=january["C"]).delete()
    assert ir.idea_funnel(JANUARY)["reviewed"] == 3
    assert ir.idea_funnel(JANUARY)["submitted"] == 5


def test_stage_durations_from_the_status_history(january):
    durations = ir.stage_durations(JANUARY)
    n, p50, p90 = durations[IdeaStatus.NEW]
    assert n == 4
    assert ir.days(p50) == 2.0 and ir.days(p90) == 2.7
    assert durations[IdeaStatus.UNDER_REVIEW][0] == 1
    assert ir.days(durations[IdeaStatus.UNDER_REVIEW][1]) == 5.0
    assert ir.days(durations[IdeaStatus.PLANNED][1]) == 10.0
    assert IdeaStatus.IN_PROGRESS not in durations
    assert IdeaStatus.LAUNCHED not in durations  # never left


def test_official_response_time_for_the_cohort(january):
    p50, p90 = ir.official_response_seconds(JANUARY)
    assert ir.days(p50) == 1.5 and ir.days(p90) == 1.9
    assert ir.median_official_response_days(JANUARY) == 1.5


def test_launched_in_the_period_respects_the_local_day_boundary(january):
    assert ir.ideas_launched_count(JANUARY) == 2  # A and H; not G, not I
    february = r.Period(date(2026, 2, 1), date(2026, 2, 28))
    assert ir.ideas_launched_count(february) == 1  # I


def test_open_ideas_without_response_most_voted_first(january):
    waiting = ir.open_ideas_without_response()
    assert [i.pk for i in waiting] == [
        january["F"].pk,
        january["C"].pk,
        january["E"].pk,
    ]


def test_headline_figures(january):
    figures = {f.key: f for f in ir.ideas_headline(JANUARY, {})}
    assert figures["ideas-submitted"].value == 5
    assert figures["ideas-submitted"].previous == 2  # H and I in December
    assert figures["ideas-launched"].value == 2
    assert figures["ideas-launched"].previous == 0
    assert figures["ideas-response-days"].value == 1.5
    assert figures["ideas-response-days"].previous is None


def test_sections_show_the_hand_computed_numbers(january):
    blocks = {b.key: b for b in ir.ideas_funnel_section(JANUARY, {})}
    assert blocks["ideas-funnel"].series[0].values == [5, 3, 1, 1]
    assert blocks["ideas-funnel-conversion"].rows == [
        ["Submitted", 5, 100.0, None],
        ["Reviewed", 3, 60.0, 60.0],
        ["Planned", 1, 20.0, 33.3],
        ["Launched", 1, 20.0, 100.0],
        ["Declined", 1, 20.0, None],
        ["Merged", 1, 20.0, None],
    ]
    stages = {b.key: b for b in ir.ideas_stage_section(JANUARY, {})}["ideas-stage-days"]
    assert stages.labels == ["New", "Under review", "Planned", "In progress"]
    assert stages.series[0].values == [2.0, 5.0, 10.0, None]
    assert stages.series[1].values == [2.7, 5.0, 10.0, None]
    response = {b.key: b for b in ir.ideas_response_section(JANUARY, {})}
    assert response["ideas-response-median"].value == 1.5
    assert response["ideas-response-p90"].value == 1.9
    assert response["ideas-responded-share"].value == 40.0
    table = response["ideas-waiting"]
    assert [row[0] for row in table.rows] == [january[k].title for k in "FCE"]
    assert [row[2] for row in table.rows] == [3, 2, 0]
    assert table.links[0] == f"/admin/ideas-console/{january['F'].pk}/respond/"


def test_focus_area_filter_narrows_the_cohort(january, community_settings):
    area = community_settings.focus_areas.get(slug="billing")
    Idea.objects.filter(pk=january["B"].pk).update(focus_area=area)
    filters = {"focus_area": area}
    assert ir.idea_funnel(JANUARY, filters)["submitted"] == 1
    assert ir.idea_funnel(JANUARY, filters)["declined"] == 1
    assert ir.median_official_response_days(JANUARY, filters) == 1.0
    assert ir.ideas_launched_count(JANUARY, filters) == 0
    assert ir.open_ideas_without_response(filters) == []


@pytest.mark.django_db
def test_empty_range():
    assert ir.idea_funnel(JANUARY) == dict.fromkeys(
        ["submitted", "reviewed", "planned", "launched", "declined", "merged"], 0
    )
    assert ir.stage_durations(JANUARY) == {}
    assert ir.official_response_seconds(JANUARY) == [None, None]
    assert ir.ideas_launched_count(JANUARY) == 0
    blocks = [
        *ir.ideas_headline(JANUARY, {}),
        *ir.ideas_funnel_section(JANUARY, {}),
        *ir.ideas_stage_section(JANUARY, {}),
        *ir.ideas_response_section(JANUARY, {}),
    ]
    conversion = next(b for b in blocks if b.key == "ideas-funnel-conversion")
    assert conversion.rows[0] == ["Submitted", 0, None, None]
    assert next(b for b in blocks if b.key == "ideas-waiting").is_empty


@pytest.mark.django_db
def test_single_idea():
    staff = StaffFactory()
    idea = submitted(at(1, 20))
    respond(idea, staff, at(1, 20, 22), IdeaStatus.UNDER_REVIEW, "Thanks!")
    assert ir.idea_funnel(JANUARY)["reviewed"] == 1
    n, p50, p90 = ir.stage_durations(JANUARY)[IdeaStatus.NEW]
    assert n == 1 and p50 == p90 == pytest.approx(12 * 3600, abs=1)
    assert ir.median_official_response_days(JANUARY) == 0.5  # 12 hours


def test_public_figures_equal_the_report_figures(january, monkeypatch):
    monkeypatch.setattr(ir, "_today", lambda: date(2026, 1, 31))
    launched = r.public_figure("ideas_launched_year").compute()
    assert launched.value == ir.ideas_launched_count(JANUARY) == 2
    median = r.public_figure("median_official_response").compute()
    # The last 365 days hold the January cohort plus H and I, which have no
    # response: the median is the January one.
    assert median.value == ir.median_official_response_days(ir.last_365_days()) == 1.5
    assert median.unit == "d"


def test_activity_sources_list_idea_authors_and_voters(january):
    start, end = JANUARY.start_at, JANUARY.end_at
    authors = set(ir._idea_activity(start, end))
    assert january["A"].author_id in authors and january["E"].author_id in authors
    assert january["G"].author_id not in authors  # hidden
    assert january["F"].author_id not in authors  # February
    Vote.objects.update(created_at=at(1, 20))
    assert set(ir._vote_activity(start, end)) == set(
        Vote.objects.values_list("user_id", flat=True)
    )
