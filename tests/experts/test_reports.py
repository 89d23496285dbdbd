"""The questions and experts part of the community report (experts/reports.py),
checked against numbers worked out by hand.

January 2026, local time (Amsterdam, UTC+1 in winter):

====  ============  ==============================================  ==========
q     asked         first answer                                    cohort
====  ============  ==============================================  ==========
Q1    Jan 3 10h     expert Joost after 2 h; accepted, 2 helpful,    yes
                    verified
Q2    Jan 8 10h     staff after 10 h                                yes
Q3    Jan 15 10h    expert Joost after 4 h                          yes
Q4    Jan 20 10h    none                                            yes
Q5    Jan 31 23h30  a member (no expert) after 1 h                  yes
Q6    Feb 1 0h30    –                                               no (Feb)
Q7    Jan 10 10h    –                                               no (hidden)
Q8    Jan 11 10h    –                                               no (private)
Q0    Dec 10 10h    expert Joost after 1 h, expert Amira twice      no (Dec)
====  ============  ==============================================  ==========

Asked 5, answered 4 (80 %), accepted 1 (20 %), first answered by an expert 2
of the 4 answered (50 %). Hours to a first answer 1, 2, 4, 10 → median 3,
p90 4 + 0.7 × 6 = 8.2.
Expert activity: Joost 2 answers (1 accepted, 2 helpful, 1 verified) against
1 in December (+100 %); Amira 0 against 2 (−100 %).
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from experts import reports as er
from experts.models import Answer, ExpertStatus, HelpfulVote, Question
from experts.services import answer_accept, answer_helpful, answer_verify
from portal.core import reports as r
from tests.experts.conftest import make_answer, make_expert, make_question
from tests.factories import StaffFactory, UserFactory

AMS = ZoneInfo("Europe/Amsterdam")
JANUARY = r.Period(date(2026, 1, 1), date(2026, 1, 31))


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026):
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def asked(author, when: datetime, area=None) -> Question:
    question = make_question(author, area)
    Question.objects.filter(pk=question.pk).update(created_at=when)
    question.refresh_from_db()
    return question


def answered(question: Question, author, after: timedelta, first=True) -> Answer:
    answer = make_answer(question, author)
    when = question.created_at + after
    Answer.objects.filter(pk=answer.pk).update(created_at=when)
    if first:
        # The service measured the real clock; place the first answer in time.
        Question.objects.filter(pk=question.pk).update(
            first_answered_at=when, first_answer_seconds=int(after.total_seconds())
        )
    answer.refresh_from_db()
    return answer


@pytest.fixture
def people(billing):
    return {
        "joost": make_expert(billing, username="joost"),
        "amira": make_expert(billing, username="amira"),
        "staff": StaffFactory(),
        "asker": UserFactory(),
        "member": UserFactory(),
    }


@pytest.fixture
def january(people, billing):
    joost, amira = people["joost"].user, people["amira"].user
    asker, staff = people["asker"], people["staff"]
    q = {}
    q[1] = asked(asker, at(1, 3), billing)
    a1 = answered(q[1], joost, timedelta(hours=2))
    answer_accept(answer=a1, by=asker)
    for voter in [UserFactory(), UserFactory()]:
        answer_helpful(answer=a1, user=voter)
    answer_verify(answer=a1, by=staff)
    q[2] = asked(asker, at(1, 8), billing)
    answered(q[2], staff, timedelta(hours=10))
    q[3] = asked(asker, at(1, 15), billing)
    answered(q[3], joost, timedelta(hours=4))
    q[4] = asked(asker, at(1, 20), billing)
    q[5] = asked(asker, at(1, 31, 23, 30), billing)
    answered(q[5], people["member"], timedelta(hours=1))
    q[6] = asked(asker, at(2, 1, 0, 30), billing)
    answered(q[6], joost, timedelta(hours=1))
    q[7] = asked(asker, at(1, 10), billing)
    Question.objects.filter(pk=q[7].pk).update(is_hidden=True)
    q[8] = asked(asker, at(1, 11), billing)
    Question.objects.filter(pk=q[8].pk).update(is_private=True)
    q[0] = asked(asker, at(12, 10, year=2025), billing)
    answered(q[0], joost, timedelta(hours=1))
    answered(q[0], amira, timedelta(hours=2), first=False)
    answered(q[0], amira, timedelta(hours=3), first=False)
    return q


def test_question_figures(january):
    summary = er.questions_summary(JANUARY)
    assert summary == {"asked": 5, "answered": 4, "accepted": 1, "by_expert": 2}
    assert er.answer_rate(summary) == 80.0
    assert er.accepted_rate(summary) == 20.0
    assert er.expert_share(summary) == 50.0
    assert er.first_answer_hours(JANUARY) == [3.0, 8.2]


def test_headline(january):
    figures = {f.key: f for f in er.questions_headline(JANUARY, {})}
    assert figures["questions-answer-rate"].value == 80.0
    assert figures["questions-answer-rate"].previous == 100.0  # Q0 in December
    assert figures["questions-first-answer-hours"].value == 3.0
    assert figures["questions-first-answer-hours"].previous == 1.0
    assert figures["questions-expert-share"].value == 50.0
    assert figures["questions-expert-share"].previous == 100.0


def test_trend_per_day_with_the_local_day_boundary(january):
    blocks = {b.key: b for b in er.questions_section(JANUARY, {})}
    assert blocks["questions-asked"].value == 5
    assert blocks["questions-accepted"].value == 20.0
    assert blocks["questions-first-answer-p90"].value == 8.2
    stacked = blocks["questions-by-first-answer"]
    expert, other, unanswered = (s.values for s in stacked.series)
    assert expert[2] == expert[14] == 1 and sum(expert) == 2  # Jan 3 and 15
    assert other[7] == 1 and other[30] == 1 and sum(other) == 2  # Jan 8, 31
    assert unanswered[19] == 1 and sum(unanswered) == 1  # Jan 20
    trend = blocks["questions-first-answer-trend"]
    median = trend.series[0].values
    assert median[2] == 2.0 and median[7] == 10.0 and median[30] == 1.0
    assert median[19] is None and median[0] is None


def test_expert_activity_against_the_previous_period(january, people):
    rows = {row["author_id"]: row for row in er.expert_activity(JANUARY)}
    joost = rows[people["joost"].user_id]
    assert (joost["answers"], joost["accepted"], joost["helpful"]) == (2, 1, 2)
    assert (joost["verified"], joost["before"]) == (1, 1)
    assert er.change_percent(joost["answers"], joost["before"]) == 100
    amira = rows[people["amira"].user_id]
    assert (amira["answers"], amira["before"]) == (0, 2)
    assert er.change_percent(0, 2) == -100
    assert people["staff"].pk not in rows and people["member"].pk not in rows
    table = {b.key: b for b in er.experts_section(JANUARY, {})}["experts-activity"]
    name = people["joost"].user.public_name
    assert table.rows[0] == [name, 2, 1, 2, 1, 1, 100]
    assert table.links[0].endswith(f"/{people['joost'].pk}/")


def test_focus_area_filter(january, people, solar):
    Question.objects.filter(pk=january[3].pk).update(focus_area=solar)
    filters = {"focus_area": solar}
    assert er.questions_summary(JANUARY, filters) == {
        "asked": 1,
        "answered": 1,
        "accepted": 0,
        "by_expert": 1,
    }
    rows = er.expert_activity(JANUARY, filters)
    assert [(row["author_id"], row["answers"]) for row in rows] == [
        (people["joost"].user_id, 1)
    ]


@pytest.mark.parametrize(
    ("recent", "baseline", "flag"),
    [
        (6, 4, "rise"),  # 3 a week against 0.5
        (5, 0, None),  # fewer than 6 answers
        (6, 0, "rise"),  # from nothing to 3 a week
        (6, 16, None),  # 3 a week against 2: not twice
        (8, 16, "rise"),  # 4 a week against 2
        (1, 16, "fall"),  # 0.5 a week against 2: exactly a quarter
        (2, 16, None),  # 1 a week against 2
        (0, 14, None),  # a baseline under 2 a week
        (0, 0, None),
    ],
)
def test_burnout_rule(recent, baseline, flag):
    assert er.burnout_flag(recent, baseline) == flag


def bulk_answers(question: Question, author, times: list[datetime]) -> None:
    made = Answer.objects.bulk_create(
        [
            Answer(question=question, author=author, body="An answer.", by_expert=True)
            for _ in times
        ]
    )
    for answer, when in zip(made, times, strict=True):
        Answer.objects.filter(pk=answer.pk).update(created_at=when)


@pytest.mark.django_db
def test_experts_at_risk_of_burnout(billing):
    question = asked(UserFactory(), at(11, 1, year=2025), billing)
    # The last 14 days of January start on 18 January at midnight; the eight
    # weeks before start on 23 November.
    base, recent, end = er.burnout_window(JANUARY)
    assert (base, recent, end) == (at(11, 23, 0, year=2025), at(1, 18, 0), at(2, 1, 0))
    riser = make_expert(billing, username="riser")
    bulk_answers(question, riser.user, [at(12, 1, year=2025)] * 4)
    bulk_answers(question, riser.user, [at(1, 20)] * 5 + [at(1, 31, 23, 30)])
    almost = make_expert(billing, username="almost")
    # Five in the window; the sixth is 30 minutes after the period ends.
    bulk_answers(question, almost.user, [at(1, 25)] * 5 + [at(2, 1, 0, 30)])
    faller = make_expert(billing, username="faller")
    bulk_answers(question, faller.user, [at(12, 15, year=2025)] * 16 + [at(1, 20)])
    # Sixteen answers, but on 22 November: before the baseline window.
    early = make_expert(billing, username="early")
    bulk_answers(question, early.user, [at(11, 22, 23, year=2025)] * 16)
    paused = make_expert(billing, username="paused", status=ExpertStatus.PAUSED)
    bulk_answers(question, paused.user, [at(12, 15, year=2025)] * 16)

    at_risk = er.experts_at_risk(JANUARY)
    assert [(row["author_id"], row["flag"]) for row in at_risk] == [
        (riser.user_id, "rise"),
        (faller.user_id, "fall"),
    ]
    table = {b.key: b for b in er.experts_section(JANUARY, {})}["experts-burnout"]
    assert table.rows == [
        [riser.user.public_name, "Sudden rise", 6, 3.0, 0.5],
        [faller.user.public_name, "Sudden fall", 1, 0.5, 2.0],
    ]


@pytest.mark.django_db
def test_empty_range():
    summary = er.questions_summary(JANUARY)
    assert summary == {"asked": 0, "answered": 0, "accepted": 0, "by_expert": 0}
    assert er.answer_rate(summary) is None and er.expert_share(summary) is None
    assert er.first_answer_hours(JANUARY) == [None, None]
    blocks = [
        *er.questions_headline(JANUARY, {}),
        *er.questions_section(JANUARY, {}),
        *er.experts_section(JANUARY, {}),
    ]
    by_key = {b.key: b for b in blocks}
    assert by_key["questions-by-first-answer"].is_empty
    assert by_key["experts-activity"].is_empty and by_key["experts-burnout"].is_empty


def test_single_question(people, billing):
    question = asked(people["asker"], at(1, 12), billing)
    answered(question, people["joost"].user, timedelta(minutes=90))
    assert er.questions_summary(JANUARY)["by_expert"] == 1
    assert er.first_answer_hours(JANUARY) == [1.5, 1.5]


def test_public_figure_equals_the_section_figure(january, monkeypatch):
    monkeypatch.setattr(er, "_today", lambda: date(2026, 1, 31))
    figure = r.public_figure("questions_answered_by_experts").compute()
    # The last 365 days: January's 4 answered (2 by experts) plus Q0 (expert).
    assert figure.value == 60.0
    assert figure.value == er.expert_share(er.questions_summary(er.last_365_days()))
    assert figure.unit == "%"


def test_activity_sources(january, people):
    start, end = JANUARY.start_at, JANUARY.end_at
    assert people["asker"].pk in set(er._question_activity(start, end))
    answerers = set(er._answer_activity(start, end))
    assert people["joost"].user_id in answerers
    assert people["amira"].user_id not in answerers  # December only
    assert set(er._helpful_activity(start, end)) == set()  # voted "now"
    HelpfulVote.objects.update(created_at=at(1, 4))
    assert len(set(er._helpful_activity(start, end))) == 2
