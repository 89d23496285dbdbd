"""The webcare inbox in the Wagtail admin (listening/inbox_views.py): the
list with its filters, sorting, SLA clock and pages; bulk and single
actions; the invitation conversion page."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experts.models import ExpertProfile
from listening.models import (
    ConsentEvent,
    Invitation,
    Mention,
    Person,
    Source,
    Tracker,
)
from listening.webcare import webcare_settings
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/admin/listening/inbox/"
BULK = f"{INBOX}bulk/"
CONVERSION = f"{INBOX}conversion/"
_ids = count(1)


@pytest.fixture
def forum():
    return Source.objects.create(name="Forum", kind="rss", url="http://x.test/")


@pytest.fixture
def mastodon():
    return Source.objects.create(
        name="Mastodon", kind="mastodon", url="https://mastodon.test/"
    )


@pytest.fixture
def vonk():
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


@pytest.fixture
def rival():
    return Tracker.objects.create(name="Rival", kind="competitor", any_terms="rival")


@pytest.fixture
def colleague(db):
    return StaffFactory(username="piet", display_name="Piet")


def make(source, *, trackers=(), external_id=None, **fields) -> Mention:
    n = next(_ids)
    fields.setdefault("text", f"Vonk post {n}")
    fields.setdefault("author_handle", f"@author{n}")
    fields.setdefault("language", "en")
    fields.setdefault("posted_at", timezone.now() - timedelta(minutes=n))
    fields.setdefault("due_at", timezone.now() + timedelta(hours=5))
    mention = Mention.objects.create(
        source=source,
        external_id=external_id or f"m{n}",
        cluster_key=f"c{n}",
        **fields,
    )
    if trackers:
        mention.trackers.set(trackers)
    return mention


def row_ids(response) -> list[int]:
    """The mention ids of the rows, in page order."""
    html = response.content.decode()
    ids = []
    for part in html.split('data-mention="')[1:]:
        ids.append(int(part.split('"', 1)[0]))
    return ids


def texts(response) -> list[str]:
    return [str(m) for m in messages_of(response)]


def messages_of(response):
    return list(get_messages(response.wsgi_request))


def _client(role, member, staff) -> Client:
    client = Client()
    if role == "member":
        client.force_login(member)
    elif role == "expert":
        user = UserFactory(username="joost-expert")
        ExpertProfile.objects.create(user=user)
        client.force_login(user)
    elif role == "staff":
        client.force_login(staff)
    return client


# --- permissions -------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "member", "expert"])
def test_only_staff_reach_the_inbox_and_its_actions(role, member, staff, forum):
    mention = make(forum)
    client = _client(role, member, staff)
    for url in (INBOX, CONVERSION):
        response = client.get(url)
        assert response.status_code in (302, 403)
        if role == "anonymous":
            assert "/admin/login/" in response["Location"]
    posts = [
        (BULK, {"ids": [mention.pk], "action": "close"}),
        (f"{INBOX}{mention.pk}/assign/", {"assignee": "me"}),
        (f"{INBOX}{mention.pk}/status/", {"status": "ignored"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code in (302, 403)
    mention.refresh_from_db()
    assert (mention.status, mention.assignee_id) == ("new", None)


def test_staff_without_the_staff_flag_are_refused(forum):
    # Admin access alone (a superuser who is not staff) is not enough.
    user = UserFactory(username="boss", is_superuser=True, is_staff=False)
    client = Client()
    client.force_login(user)
    response = client.get(INBOX)
    # Wagtail turns PermissionDenied into a redirect to the dashboard.
    assert response.status_code in (302, 403)
    assert response.get("Location", "") != INBOX
    assert b"data-inbox" not in response.content


def test_actions_need_csrf_and_post(staff, forum):
    mention = make(forum)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    assert strict.post(BULK, {"ids": [mention.pk], "action": "close"}).status_code == (
        403
    )
    status_url = f"{INBOX}{mention.pk}/status/"
    assert strict.post(status_url, {"status": "closed"}).status_code == 403
    mention.refresh_from_db()
    assert mention.status == "new"
    assert strict.get(status_url).status_code == 405
    assert strict.get(BULK).status_code == 405


# --- the list ----------------------------------------------------------------


def test_staff_see_rows_with_their_columns(staff_client, forum, vonk, colleague):
    mention = make(
        forum,
        trackers=[vonk],
        text="<script>alert('x')</script> Vonk bills are wrong",
        author_handle="@sanne",
        sentiment_label="negative",
        intent="complaint",
        influence=42.4,
        assignee=colleague,
        status="assigned",
    )
    response = staff_client.get(INBOX)
    html = response.content.decode()
    assert response.status_code == 200
    assert row_ids(response) == [mention.pk]
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    for text in ("@sanne", "Forum", "EN", "Negative", "Complaint", "42", "Piet"):
        assert text in html
    assert f'href="{INBOX}{mention.pk}/"' in html
    assert 'name="ids"' in html and "csrfmiddlewaretoken" in html
    assert "listening/inbox.js" in html
    assert "onclick" not in html and "onkeydown" not in html
    assert CONVERSION in html


def test_long_texts_are_truncated(staff_client, forum):
    make(forum, text="Vonk " + "word " * 200 + "TAIL")
    html = staff_client.get(INBOX).content.decode()
    assert "TAIL" not in html
    assert "…" in html


def test_the_inbox_is_in_the_listening_menu(staff_client):
    assert INBOX in staff_client.get("/admin/").content.decode()


def test_the_guidelines_page_is_linked_when_set(staff_client, home, webcare):
    from listening.pages import WebcareGuidelinesPage

    html = staff_client.get(INBOX).content.decode()
    assert "Webcare guidelines" not in html
    page = WebcareGuidelinesPage(title="Webcare guidelines", slug="webcare")
    home.add_child(instance=page)
    page.save_revision().publish()
    webcare(guidelines_page=page)
    html = staff_client.get(INBOX).content.decode()
    assert "Webcare guidelines" in html
    assert 'href="/en/webcare/"' in html or 'href="/webcare/"' in html


@pytest.fixture
def spread(forum, mastodon, vonk, rival, staff, colleague):
    """One mention per filter value, named by what sets it apart."""
    now = timezone.now()
    return {
        "plain": make(forum, trackers=[vonk], posted_at=now - timedelta(days=3)),
        "rival": make(mastodon, trackers=[rival], posted_at=now - timedelta(days=3)),
        "dutch": make(forum, language="nl", posted_at=now - timedelta(days=3)),
        "angry": make(
            forum,
            sentiment_label="negative",
            intent="complaint",
            posted_at=now - timedelta(days=3),
        ),
        "loud": make(forum, influence=90, posted_at=now - timedelta(days=3)),
        "mine": make(
            forum, assignee=staff, status="assigned", posted_at=now - timedelta(days=3)
        ),
        "piet": make(
            forum,
            assignee=colleague,
            status="assigned",
            posted_at=now - timedelta(days=3),
        ),
        "fresh": make(forum, posted_at=now - timedelta(minutes=10)),
        "late": make(
            forum,
            due_at=now - timedelta(minutes=5),
            posted_at=now - timedelta(days=3),
        ),
        "lead": make(forum, is_lead=True, posted_at=now - timedelta(days=3)),
        "closed": make(forum, status="closed", posted_at=now - timedelta(days=3)),
        "ignored": make(forum, status="ignored", posted_at=now - timedelta(days=3)),
    }


OPEN = {
    "plain",
    "rival",
    "dutch",
    "angry",
    "loud",
    "mine",
    "piet",
    "fresh",
    "late",
    "lead",
}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, OPEN),
        ({"tracker": "rival"}, {"rival"}),
        ({"source": "mastodon"}, {"rival"}),
        ({"language": "nl"}, {"dutch"}),
        ({"sentiment": "negative"}, {"angry"}),
        ({"intent": "complaint"}, {"angry"}),
        ({"influence": "50"}, {"loud"}),
        ({"status": ["closed"]}, {"closed"}),
        ({"status": ["closed", "ignored"]}, {"closed", "ignored"}),
        ({"status": ["all"]}, OPEN | {"closed", "ignored"}),
        ({"assignee": "me"}, {"mine"}),
        ({"assignee": "piet"}, {"piet"}),
        ({"assignee": "none"}, OPEN - {"mine", "piet"}),
        ({"age": "1h"}, {"fresh"}),
        ({"overdue": "on"}, {"late"}),
        ({"lead": "on"}, {"lead"}),
        ({"language": "en", "intent": "complaint"}, {"angry"}),
    ],
)
def test_each_filter_narrows_the_list(
    staff_client, spread, rival, mastodon, colleague, params, expected
):
    values = {"rival": rival.pk, "mastodon": mastodon.pk, "piet": colleague.pk}
    query = {
        k: values.get(v, v) if isinstance(v, str) else v for k, v in params.items()
    }
    response = staff_client.get(INBOX, query)
    assert response.status_code == 200
    by_pk = {m.pk: name for name, m in spread.items()}
    assert {by_pk[pk] for pk in row_ids(response)} == expected


def test_the_filter_bar_offers_staff_and_keeps_the_choices(
    staff_client, spread, colleague
):
    html = staff_client.get(INBOX, {"assignee": colleague.pk}).content.decode()
    assert f'<option value="{colleague.pk}" selected>Piet</option>' in html
    assert '<option value="me">Me</option>' in html
    assert '<option value="none">Nobody</option>' in html
    for name in ("tracker", "source", "language", "sentiment", "intent"):
        assert f'name="{name}"' in html
    for name in ("influence", "status", "age", "overdue", "lead"):
        assert f'name="{name}"' in html


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "text"},
        {"sort": "-password"},
        {"influence": "lots"},
        {"assignee": "everyone"},
        {"status": ["maybe"]},
        {"tracker": "999999"},
        {"age": "1y"},
    ],
)
def test_bad_filters_show_the_error_and_no_rows(staff_client, forum, params):
    make(forum)
    response = staff_client.get(INBOX, params)
    assert response.status_code == 400
    assert row_ids(response) == []
    html = response.content.decode()
    assert 'class="error-message"' in html
    assert "Fix the filters above" in html


def test_a_bad_page_number_falls_back_to_the_first_page(staff_client, forum):
    mention = make(forum)
    for page in ("x", "-3", "0", "99999999999999999999"):
        response = staff_client.get(INBOX, {"page": page})
        assert response.status_code == 200
    assert row_ids(staff_client.get(INBOX, {"page": "x"})) == [mention.pk]


def _header_url(response, label: str) -> str:
    html = response.content.decode()
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    for cell in head.split("<th ")[1:]:
        if f">{label}" in cell:
            return cell.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    raise AssertionError(f"no header {label}")


def test_sort_links_toggle_both_directions_and_keep_the_filters(staff_client, forum):
    low = make(forum, influence=1, language="nl")
    mid = make(forum, influence=50, language="nl")
    high = make(forum, influence=99, language="nl")
    make(forum, influence=70, language="en")

    first = staff_client.get(INBOX, {"language": "nl"})
    url = _header_url(first, "Influence")
    assert "language=nl" in url and "sort=-influence" in url
    descending = staff_client.get(INBOX + url)
    assert row_ids(descending) == [high.pk, mid.pk, low.pk]
    assert 'aria-sort="descending"' in descending.content.decode()

    url = _header_url(descending, "Influence")
    assert "sort=influence" in url and "sort=-influence" not in url
    ascending = staff_client.get(INBOX + url)
    assert row_ids(ascending) == [low.pk, mid.pk, high.pk]
    assert 'aria-sort="ascending"' in ascending.content.decode()
    assert "sort=-influence" in _header_url(ascending, "Influence")


@pytest.mark.parametrize(
    ("key", "field", "values"),
    [
        ("posted", "posted_at", None),
        ("due", "due_at", None),
        ("sentiment", "sentiment_score", [0.9, -0.5, 0.1]),
        ("intent", "intent", ["question", "complaint", "praise"]),
        ("language", "language", ["nl", "en", "de"]),
        ("status", "status", ["new", "assigned", "new"]),
        ("author", "author_handle", ["@b", "@a", "@c"]),
        ("assignee", "assignee", "staff"),
        ("source", "source", "sources"),
    ],
)
def test_every_column_sorts_both_ways(
    staff_client, forum, mastodon, staff, colleague, key, field, values
):
    now = timezone.now()
    made = []
    for n in range(3):
        fields = {}
        if values == "staff":
            fields = {"assignee": [staff, colleague, staff][n], "status": "assigned"}
        elif values == "sources":
            fields = {"source": [mastodon, forum, mastodon][n]}
        elif values is None:
            fields = {field: now - timedelta(hours=[2, 1, 3][n])}
        else:
            fields = {field: values[n]}
        source = fields.pop("source", forum)
        made.append(make(source, **fields))

    def key_of(mention):
        value = getattr(mention, field)
        if field in ("assignee",):
            return value.username
        if field == "source":
            return value.name
        return value

    expected = [m.pk for m in sorted(made, key=lambda m: (key_of(m), m.pk))]
    assert row_ids(staff_client.get(INBOX, {"sort": key})) == expected
    reverse = [
        m.pk for m in sorted(made, key=lambda m: (key_of(m), m.pk), reverse=True)
    ]
    assert row_ids(staff_client.get(INBOX, {"sort": f"-{key}"})) == reverse


def test_the_sla_clock_shows_due_overdue_and_answered(staff_client, forum):
    now = timezone.now()
    due = make(forum, due_at=now + timedelta(minutes=35, seconds=30))
    late = make(forum, due_at=now - timedelta(hours=2, minutes=5))
    answered = make(forum, status="assigned")
    Mention.objects.filter(pk=answered.pk).update(
        fetched_at=now - timedelta(minutes=30),
        first_response_at=now - timedelta(minutes=18),
        first_response_seconds=12 * 60,
        due_at=now,
    )
    missed = make(forum, status="assigned")
    Mention.objects.filter(pk=missed.pk).update(
        fetched_at=now - timedelta(hours=5),
        first_response_at=now - timedelta(hours=1),
        first_response_seconds=4 * 3600,
        due_at=now - timedelta(hours=4),
    )
    response = staff_client.get(INBOX)
    html = response.content.decode()
    rows = {
        int(part.split('"', 1)[0]): part.split("</tr>", 1)[0]
        for part in html.split('data-mention="')[1:]
    }
    assert "due in 35 min" in rows[due.pk]
    assert "inbox-row--overdue" not in html.split(f'data-mention="{due.pk}"')[0][-200:]
    assert "Overdue by 2 h" in rows[late.pk]
    row_start = html.split(f'data-mention="{late.pk}"')[0].rsplit("<tr", 1)[1]
    assert "inbox-row--overdue" in row_start
    assert "answered in 12 min (met)" in rows[answered.pk]
    assert "answered in 4 h (missed)" in rows[missed.pk]
    assert html.count("inbox-row--overdue") == 1


def test_pages_of_fifty_without_counting_the_table(staff_client, forum):
    mentions = [make(forum) for _n in range(53)]
    with CaptureQueriesContext(connection) as queries:
        first = staff_client.get(INBOX, {"sort": "-posted", "language": "en"})
    assert not [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "listening_mention" in q["sql"]
    ]
    newest_first = [m.pk for m in mentions]  # made newest first
    assert row_ids(first) == newest_first[:50]
    html = first.content.decode()
    assert 'rel="next"' in html and 'rel="prev"' not in html
    next_url = html.split('rel="next" href="', 1)[1].split('"', 1)[0]
    next_url = next_url.replace("&amp;", "&")
    assert "page=2" in next_url and "language=en" in next_url
    second = staff_client.get(INBOX + next_url)
    assert row_ids(second) == newest_first[50:]
    html = second.content.decode()
    assert 'rel="prev"' in html and 'rel="next"' not in html
    empty = staff_client.get(INBOX, {"page": 3})
    assert row_ids(empty) == []
    assert "No more mentions." in empty.content.decode()


def test_a_page_of_fifty_takes_a_fixed_number_of_queries(
    staff_client, forum, mastodon, vonk, rival, colleague, django_assert_max_num_queries
):
    for n in range(60):
        make(
            [forum, mastodon][n % 2],
            trackers=[vonk, rival][: n % 3],
            assignee=colleague if n % 2 else None,
            status="assigned" if n % 2 else "new",
        )
    # The first admin visit creates the settings row and the staff member's
    # Wagtail profile; measure the visits after that.
    webcare_settings()
    staff_client.get("/admin/")
    # Wagtail's shell (session, user, profile, notifications, locales, the
    # page tree for the menu) takes 7; the inbox 7: staff, mentions,
    # trackers, site and settings, and the tracker and source choices.
    with django_assert_max_num_queries(14):
        response = staff_client.get(INBOX)
    assert len(row_ids(response)) == 50
    # A tracker filter looks its tracker up once.
    with django_assert_max_num_queries(15):
        response = staff_client.get(INBOX, {"tracker": vonk.pk, "sort": "-assignee"})
    assert response.status_code == 200


# --- bulk actions ------------------------------------------------------------


def _bulk(client, mentions, action, **extra):
    return client.post(
        BULK,
        {
            "ids": [m.pk for m in mentions],
            "action": action,
            "next": f"{INBOX}?language=en",
            **extra,
        },
    )


@pytest.mark.parametrize(
    ("action", "status", "assignee", "message"),
    [
        ("assign_me", "assigned", "eva", "2 mentions assigned to Eva."),
        ("assign", "assigned", "piet", "2 mentions assigned to Piet."),
        ("unassign", "new", None, "2 mentions unassigned."),
        ("close", "closed", "start", "2 mentions closed."),
        ("ignore", "ignored", "start", "2 mentions ignored."),
    ],
)
def test_bulk_actions(
    staff_client, staff, colleague, forum, action, status, assignee, message
):
    start = colleague if action == "unassign" else None
    picked = [
        make(forum, assignee=start, status="assigned" if start else "new")
        for _n in range(2)
    ]
    other = make(forum)
    response = _bulk(staff_client, picked, action, assignee=colleague.pk)
    assert response.status_code == 302
    assert response["Location"] == f"{INBOX}?language=en"
    assert texts(response) == [message]
    users = {"eva": staff, "piet": colleague, None: None, "start": start}
    for mention in picked:
        mention.refresh_from_db()
        assert mention.status == status
        assert mention.assignee == users[assignee]
    other.refresh_from_db()
    assert (other.status, other.assignee) == ("new", None)


def test_bulk_reopen_goes_back_to_new_or_assigned(staff_client, colleague, forum):
    closed = make(forum, status="closed")
    ignored = make(forum, status="ignored", assignee=colleague)
    response = _bulk(staff_client, [closed, ignored], "reopen")
    assert texts(response) == ["2 mentions reopened."]
    closed.refresh_from_db()
    ignored.refresh_from_db()
    assert (closed.status, ignored.status) == ("new", "assigned")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "close"}, "Select at least one mention first."),
        ({"ids": ["1", "x"], "action": "close"}, "The selection was not valid"),
        ({"ids": ["1"], "action": "delete"}, "Choose what to do"),
        ({"ids": ["1"]}, "Choose what to do"),
        ({"ids": ["1"], "action": "assign"}, "Choose a staff member"),
        ({"ids": ["1"], "action": "assign", "assignee": "abc"}, "Choose a staff"),
    ],
)
def test_bad_bulk_requests_say_what_is_wrong(staff_client, forum, data, message):
    mention = make(forum)
    data = {k: [str(mention.pk)] if v == ["1"] else v for k, v in data.items()}
    response = staff_client.post(BULK, data)
    assert response.status_code == 302
    assert response["Location"] == INBOX
    [text] = texts(response)
    assert message in text
    mention.refresh_from_db()
    assert (mention.status, mention.assignee_id) == ("new", None)


def test_bulk_refuses_a_member_as_assignee(staff_client, member, forum):
    mention = make(forum)
    response = _bulk(staff_client, [mention], "assign", assignee=member.pk)
    assert "Choose a staff member" in texts(response)[0]
    mention.refresh_from_db()
    assert mention.assignee_id is None


def test_bulk_takes_at_most_500(staff_client, forum):
    mentions = [make(forum) for _n in range(3)]
    ids = [m.pk for m in mentions] + list(range(10_000, 10_497))
    response = staff_client.post(BULK, {"ids": ids, "action": "close"})
    assert texts(response) == ["3 mentions closed."]
    ids.append(20_000)
    reopen = staff_client.post(BULK, {"ids": ids, "action": "reopen"})
    assert "at most 500" in texts(reopen)[-1]
    assert set(Mention.objects.values_list("status", flat=True)) == {"closed"}


@pytest.mark.parametrize(
    "bad_next", ["https://evil.test/", "//evil.test/inbox", "javascript:alert(1)"]
)
def test_next_must_stay_on_this_site(staff_client, forum, bad_next):
    mention = make(forum)
    response = staff_client.post(
        BULK, {"ids": [mention.pk], "action": "close", "next": bad_next}
    )
    assert response["Location"] == INBOX
    response = staff_client.post(
        f"{INBOX}{mention.pk}/assign/", {"assignee": "me", "next": bad_next}
    )
    assert response["Location"] == INBOX


# --- one mention -------------------------------------------------------------


def test_assign_one_mention(staff_client, staff, colleague, member, forum):
    mention = make(forum)
    url = f"{INBOX}{mention.pk}/assign/"
    back = f"{INBOX}?sort=-posted&page=2"

    response = staff_client.post(url, {"assignee": "me", "next": back})
    assert response["Location"] == back
    mention.refresh_from_db()
    assert (mention.assignee, mention.status) == (staff, "assigned")
    assert texts(response) == [f"Mention {mention.pk} assigned to Eva."]

    staff_client.post(url, {"assignee": str(colleague.pk)})
    mention.refresh_from_db()
    assert mention.assignee == colleague

    response = staff_client.post(url, {"assignee": str(member.pk)})
    assert texts(response)[-1] == "Mentions can only be assigned to staff."
    mention.refresh_from_db()
    assert mention.assignee == colleague

    response = staff_client.post(url, {"assignee": "none"})
    mention.refresh_from_db()
    assert (mention.assignee, mention.status) == (None, "new")
    assert texts(response)[-1] == f"Mention {mention.pk} unassigned."

    assert staff_client.post(url, {"assignee": ""}).status_code == 302
    assert (
        staff_client.post(f"{INBOX}999999/assign/", {"assignee": "me"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("status", "expected", "message"),
    [
        ("closed", "closed", "closed"),
        ("ignored", "ignored", "ignored"),
        ("new", "new", "reopened"),
    ],
)
def test_set_the_status_of_one_mention(staff_client, forum, status, expected, message):
    mention = make(forum, status="closed" if status == "new" else "new")
    response = staff_client.post(
        f"{INBOX}{mention.pk}/status/", {"status": status, "next": INBOX + "?lead=on"}
    )
    assert response["Location"] == INBOX + "?lead=on"
    mention.refresh_from_db()
    assert mention.status == expected
    assert texts(response) == [f"Mention {mention.pk} {message}."]


@pytest.mark.parametrize("status", ["responded", "linked", "", "deleted"])
def test_statuses_that_follow_from_work_cannot_be_set_by_hand(
    staff_client, forum, status
):
    mention = make(forum)
    response = staff_client.post(f"{INBOX}{mention.pk}/status/", {"status": status})
    assert response.status_code == 302
    assert texts(response) == ["Choose close, ignore or reopen."]
    mention.refresh_from_db()
    assert mention.status == "new"


# --- invitation conversion ---------------------------------------------------

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _invitation(person, created, **steps) -> Invitation:
    n = next(_ids)
    invitation = Invitation.objects.create(
        person=person,
        handle_hash=f"h{n}",
        nonce=f"nonce{n}",
        expires_at=created + timedelta(days=14),
        status="offered",
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=created, **{f"{step}_at": created for step in steps}
    )
    return invitation


def _event(kind, created, reason=""):
    event = ConsentEvent.objects.create(kind=kind, reason=reason)
    ConsentEvent.objects.filter(pk=event.pk).update(created_at=created)


@pytest.fixture
def ledger():
    person = Person.objects.create()
    # Ten invitations in March: 8 opened, 4 joined, 3 contributed, 2 declined,
    # 1 opted out.
    plan = (
        [{"opened": 1, "joined": 1, "contributed": 1}] * 3
        + [{"opened": 1, "joined": 1}]
        + [{"opened": 1, "declined": 1}] * 2
        + [{"opened": 1, "opted_out": 1}]
        + [{"opened": 1}]
        + [{}] * 2
    )
    for steps in plan:
        _invitation(person, DAY, **steps)
    # Two in January, both opened and joined.
    for _n in range(2):
        _invitation(person, DAY - timedelta(days=60), opened=1, joined=1)
    _event("refused", DAY, "sensitive: strongly negative")
    _event("refused", DAY, "sensitive: health")
    _event("refused", DAY, "invited_before")
    _event("refused", DAY, "opted_out")
    _event("refused", DAY - timedelta(days=60), "opted_out")
    _event("override", DAY, "sensitive: strongly negative — asked for help")
    _event("override", DAY - timedelta(days=60), "sensitive: x — y")
    _event("offered", DAY)


def _funnel(response) -> dict:
    html = response.content.decode()
    table = html.split("data-funnel>", 1)[1].split("</table>", 1)[0]
    result = {}
    for part in table.split('data-step="')[1:]:
        key = part.split('"', 1)[0]
        number = int(part.split("<td data-count>", 1)[1].split("<", 1)[0])
        percent = part.split("<td data-percent>", 1)[1].split("</td>", 1)[0].strip()
        result[key] = (number, percent)
    return result


def _refusals(response) -> dict:
    html = response.content.decode()
    table = html.split("data-refusals>", 1)[1].split("</table>", 1)[0]
    result = {}
    for part in table.split('data-reason="')[1:]:
        code = part.split('"', 1)[0]
        result[code] = int(part.split("<td>", 1)[1].split("<", 1)[0])
    result["overrides"] = int(
        table.split("data-overrides>", 1)[1].split("<td>", 1)[1].split("<", 1)[0]
    )
    return result


def test_conversion_shows_the_funnel_all_time(
    staff_client, ledger, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = staff_client.get(CONVERSION)
    assert response.status_code == 200
    assert _funnel(response) == {
        "offered": (12, ""),
        "opened": (10, "83% of offered"),
        "joined": (6, "60% of opened"),
        "contributed": (3, "50% of joined"),
        "declined": (2, "20% of opened"),
        "opted_out": (1, "10% of opened"),
    }
    assert _refusals(response) == {
        "opted_out": 2,
        "sensitive": 2,
        "invited_before": 1,
        "overrides": 2,
    }
    html = response.content.decode()
    assert "5 offers were refused" in html
    assert "Emotional or sensitive post" in html


def test_conversion_for_a_period(staff_client, ledger):
    response = staff_client.get(
        CONVERSION, {"since": "2026-03-01", "until": "2026-03-10"}
    )
    assert _funnel(response) == {
        "offered": (10, ""),
        "opened": (8, "80% of offered"),
        "joined": (4, "50% of opened"),
        "contributed": (3, "75% of joined"),
        "declined": (2, "25% of opened"),
        "opted_out": (1, "12% of opened"),
    }
    assert _refusals(response) == {
        "sensitive": 2,
        "invited_before": 1,
        "opted_out": 1,
        "overrides": 1,
    }
    before = staff_client.get(CONVERSION, {"until": "2026-03-09"})
    assert _funnel(before)["offered"] == (2, "")
    assert _funnel(before)["opened"] == (2, "100% of offered")


def test_conversion_with_nothing_yet_and_with_bad_dates(staff_client):
    response = staff_client.get(CONVERSION)
    assert response.status_code == 200
    funnel = _funnel(response)
    assert funnel["offered"] == (0, "")
    assert funnel["opened"] == (0, "—")
    assert "No refusals in this period." in response.content.decode()
    bad = staff_client.get(CONVERSION, {"since": "March"})
    assert bad.status_code == 400
    assert 'class="error-message"' in bad.content.decode()
    backwards = staff_client.get(
        CONVERSION, {"since": "2026-03-10", "until": "2026-03-01"}
    )
    assert backwards.status_code == 400
    assert "before the start date" in backwards.content.decode()
