"""The invitations report (listening/reports/invitations.py): the funnel from
the consent ledger, the opt-out rate and the opt-outs recorded, over time and
by refusal reason. Every expected figure is worked out by hand below."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from django.urls import reverse

from listening.models import ConsentEvent, Invitation, OptOut, Person
from portal.core.reports import Period, get_report

pytestmark = pytest.mark.django_db
_ids = count(1)

URL = reverse("insight:report", args=["invitations"])
MARCH = {"since": "2026-03-01", "until": "2026-03-31"}
MAR = Period(date(2026, 3, 1), date(2026, 3, 31))
DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
# MAR's previous period is 29 January – 28 February.
FEB = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)


def invite(person, created, **steps) -> Invitation:
    n = next(_ids)
    invitation = Invitation.objects.create(
        person=person,
        handle_hash=f"h{n}",
        nonce=f"nonce-r{n}",
        expires_at=created + timedelta(days=14),
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=created, **{f"{step}_at": created for step in steps}
    )
    return invitation


def event(kind, created, reason=""):
    e = ConsentEvent.objects.create(kind=kind, reason=reason)
    ConsentEvent.objects.filter(pk=e.pk).update(created_at=created)


def opt_out(created, via="link"):
    n = next(_ids)
    o = OptOut.objects.create(handle_hash=f"opt{n}", via=via)
    OptOut.objects.filter(pk=o.pk).update(created_at=created)


@pytest.fixture
def ledger():
    person = Person.objects.create()
    # March: 10 offered, 8 opened, 4 joined, 3 contributed, 2 declined, 1
    # opted out.
    plan = (
        [{"opened": 1, "joined": 1, "contributed": 1}] * 3
        + [{"opened": 1, "joined": 1}]
        + [{"opened": 1, "declined": 1}] * 2
        + [{"opened": 1, "opted_out": 1}]
        + [{"opened": 1}]
        + [{}] * 2
    )
    for steps in plan:
        invite(person, DAY, **steps)
    # February: 4 offered, 2 joined, 1 opted out.
    for steps in [{"opened": 1, "joined": 1}] * 2 + [{"opted_out": 1}, {}]:
        invite(person, FEB, **steps)
    # Opt-outs: two on 10 March (the invitee's, and someone on the public
    # page who was never invited), one by staff on 20 March; one in February.
    opt_out(DAY)
    opt_out(DAY)
    opt_out(datetime(2026, 3, 20, 9, tzinfo=UTC), via="staff")
    opt_out(FEB)
    event("refused", DAY, "sensitive: strongly negative")
    event("refused", DAY, "sensitive: health")
    event("refused", DAY, "invited_before")
    event("refused", DAY, "opted_out")
    event("refused", FEB, "opted_out")
    event("override", DAY, "sensitive: strongly negative — asked for help")
    event("offered", DAY)


def blocks(period: Period) -> dict:
    report = get_report("invitations")
    found = {b.key: b for b in report.headline_figures(period, {})}
    found.update({b.key: b for b in report.blocks(period, {})})
    return found


def chart_json(response, key: str) -> dict:
    html = response.content.decode()
    start = html.index(f'id="chart-{key}"')
    return json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_headline_by_hand(ledger):
    b = blocks(MAR)
    assert b["invitations-offered"].value == 10
    assert b["invitations-offered"].previous == 4
    assert b["invitations-joined-rate"].value == 40.0  # 4 of 10
    assert b["invitations-joined-rate"].previous == 50.0  # 2 of 4
    assert b["invitations-contributed"].value == 3
    assert b["invitations-contributed"].previous == 0
    assert b["invitations-opt-out-rate"].value == 10.0  # 1 of 10
    assert b["invitations-opt-out-rate"].previous == 25.0  # 1 of 4
    assert b["invitations-opt-out-rate"].change_is_good is True
    # Every opt-out recorded, with or without an invitation.
    assert b["invitations-opt-outs"].value == 3
    assert b["invitations-opt-outs"].previous == 1


def test_funnel_chart_and_table(ledger):
    b = blocks(MAR)
    chart = b["invitations-funnel"]
    assert chart.kind == "bar"
    assert chart.labels == [
        "Offered",
        "Opened",
        "Joined",
        "Contributed",
        "Declined (“not now”)",
        "Opted out (“never ask me again”)",
    ]
    assert chart.series[0].values == [10, 8, 4, 3, 2, 1]
    assert b["invitations-funnel-table"].rows == [
        ["Offered", 10, "", None, 100.0],
        ["Opened", 8, "Offered", 80.0, 80.0],
        ["Joined", 4, "Opened", 50.0, 40.0],
        ["Contributed", 3, "Joined", 75.0, 30.0],
        ["Declined (“not now”)", 2, "Opened", 25.0, 20.0],
        ["Opted out (“never ask me again”)", 1, "Opened", 12.5, 10.0],
    ]


def test_over_time_and_refusals(ledger):
    b = blocks(MAR)
    chart = b["invitations-over-time"]
    assert chart.kind == "line" and len(chart.labels) == 31
    offers, opt_outs = chart.series
    assert offers.values[9] == 10 and sum(offers.values) == 10
    assert opt_outs.values[9] == 2 and opt_outs.values[19] == 1
    assert sum(opt_outs.values) == 3
    refusals = b["invitations-refusals"]
    assert refusals.kind == "hbar"
    assert refusals.labels == [
        "Emotional or sensitive post",
        "Invited before",
        "Opted out",
    ]
    assert refusals.series[0].values == [2, 1, 1]
    note = str(b["invitations-ledger"].description)
    assert "refused by the consent checks in the period: 4" in note
    assert "with a written reason: 1" in note


def test_empty_range(ledger):
    b = blocks(Period(date(2025, 6, 1), date(2025, 6, 30)))
    assert b["invitations-offered"].value == 0
    assert b["invitations-joined-rate"].value is None
    assert b["invitations-opt-out-rate"].value is None
    assert b["invitations-opt-outs"].value == 0
    assert b["invitations-funnel"].is_empty
    assert b["invitations-funnel-table"].rows[1] == ["Opened", 0, "Offered", None, None]
    assert b["invitations-over-time"].is_empty
    assert b["invitations-refusals"].labels == []


def test_a_single_invitation():
    invite(Person.objects.create(), DAY, opened=1)
    b = blocks(MAR)
    assert b["invitations-offered"].value == 1
    assert b["invitations-joined-rate"].value == 0.0
    assert b["invitations-funnel"].series[0].values == [1, 1, 0, 0, 0, 0]
    assert b["invitations-funnel-table"].rows[2] == ["Joined", 0, "Opened", 0.0, 0.0]


def test_the_period_ends_at_local_midnight():
    person = Person.objects.create()
    # Summer time began on 29 March: 31 March 23:30 in Amsterdam is 21:30 UTC.
    invite(person, datetime(2026, 3, 31, 21, 30, tzinfo=UTC))
    invite(person, datetime(2026, 3, 31, 22, 30, tzinfo=UTC))  # 1 April 00:30
    opt_out(datetime(2026, 3, 31, 21, 30, tzinfo=UTC))
    opt_out(datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    # And at the start, in winter time: 1 March 00:30 is 23:30 UTC the day
    # before; 28 February 23:30 is 22:30 UTC.
    invite(person, datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
    invite(person, datetime(2026, 2, 28, 22, 30, tzinfo=UTC))
    b = blocks(MAR)
    assert b["invitations-offered"].value == 2
    assert b["invitations-offered"].previous == 1
    assert b["invitations-opt-outs"].value == 1
    offers = b["invitations-over-time"].series[0].values
    assert offers[0] == 1 and offers[-1] == 1
    april = blocks(Period(date(2026, 4, 1), date(2026, 4, 30)))
    assert april["invitations-offered"].value == 1
    assert april["invitations-opt-outs"].value == 1


def test_only_staff_see_the_report(client, member, staff):
    assert client.get(URL).status_code == 302
    client.force_login(member)
    assert client.get(URL).status_code in (302, 403)
    client.force_login(staff)
    assert client.get(URL).status_code == 200


def test_report_page_with_pinned_queries(
    staff_client, ledger, django_assert_max_num_queries
):
    # Session, user and profile (3); headline: two periods and the opt-outs
    # (3); funnel (1); over time (2); refusals and the ledger note (2); the
    # admin chrome (4).
    with django_assert_max_num_queries(15):
        response = staff_client.get(URL, MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "From offer to contribution" in html
    assert "The consent ledger" in html
    assert chart_json(response, "invitations-funnel")["series"][0]["values"] == [
        10,
        8,
        4,
        3,
        2,
        1,
    ]


def test_csv_of_a_chart_equals_its_json(staff_client, ledger):
    page = staff_client.get(URL, MARCH)
    for key in ("invitations-funnel", "invitations-over-time", "invitations-refusals"):
        data = chart_json(page, key)
        rows = csv_rows(staff_client.get(URL, {**MARCH, "format": "csv", "block": key}))
        assert rows[0][1:] == [s["label"] for s in data["series"]]
        assert rows[1:] == [
            [label, *(str(s["values"][i]) for s in data["series"])]
            for i, label in enumerate(data["labels"])
        ], key
    table = csv_rows(
        staff_client.get(
            URL, {**MARCH, "format": "csv", "block": "invitations-funnel-table"}
        )
    )
    assert table[0] == [
        "Step",
        "Invitations",
        "Step before",
        "Conversion from the step before (%)",
        "Of all offered (%)",
    ]
    assert table[6] == [
        "Opted out (“never ask me again”)",
        "1",
        "Opened",
        "12.5",
        "10.0",
    ]


def test_the_conversion_page_links_to_the_report(staff_client, ledger):
    response = staff_client.get("/admin/listening/inbox/conversion/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{URL}"' in html
    assert "Charts and CSV: Insight → Invitations" in html
