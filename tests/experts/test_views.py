import json

import pytest

from experts import services
from experts.models import (
    Answer,
    ApplicationStatus,
    CaseMessage,
    ExpertApplication,
    ExpertProfile,
    ExpertStatus,
    HelpfulVote,
    Question,
)
from tests.factories import StaffFactory, UserFactory

from .conftest import make_answer, make_expert, make_question

pytestmark = pytest.mark.django_db

HOSTILE_SCRIPT = "<script>alert(1)</script>"


def _url(page, question, suffix=""):
    return page.url + question.path_segment + suffix


def _login(client, user):
    client.force_login(user)
    return client


# Question list ---------------------------------------------------------------


def test_index_lists_questions_with_filters_search_and_links(
    client, questions_page, member, billing, solar, staff
):
    solved = make_question(member, billing, title="How do I read my annual bill?")
    open_one = make_question(member, solar, title="Why do my solar panels stop at noon")
    services.answer_accept(
        answer=make_answer(solved, staff, body="Look at the total at the bottom."),
        by=member,
    )
    response = client.get(questions_page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert solved.title in html and open_one.title in html
    assert 'href="/en/questions/ask/"' in html
    assert 'href="/en/questions/experts/"' in html
    assert "Solved" in html and "Unanswered" in html
    assert "Billing" in html and "Solar panels" in html

    def titles(**params):
        return client.get(questions_page.url, params).content.decode()

    only_solved = titles(show="solved")
    assert solved.title in only_solved and open_one.title not in only_solved
    unanswered = titles(show="unanswered")
    assert open_one.title in unanswered and solved.title not in unanswered
    by_area = titles(focus_area="solar")
    assert open_one.title in by_area and solved.title not in by_area
    found = titles(q="noon")
    assert open_one.title in found and solved.title not in found
    newest = titles(sort="new")
    assert newest.index(open_one.title) < newest.index(solved.title)
    active = titles(sort="active")  # accepting moved the solved one up
    assert active.index(solved.title) < active.index(open_one.title)


def test_index_with_htmx_returns_only_the_list(client, questions_page, question):
    response = client.get(questions_page.url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert question.title.encode() in response.content
    assert b"<html" not in response.content


def test_index_hides_hidden_and_private_questions(
    client, questions_page, member, billing, staff
):
    hidden = make_question(member, billing, title="A hidden question for review")
    services.question_set_hidden(question=hidden, by=staff, hidden=True)
    private = make_question(member, billing, title="A question that goes private")
    services.question_make_private(question=private, by=staff, reason="account")
    html = client.get(questions_page.url).content.decode()
    assert hidden.title not in html and "goes private" not in html


def test_index_survives_hostile_query_strings(client, questions_page, question):
    for params in [
        {"sort": "'; DROP TABLE experts_question; --"},
        {"show": "<script>"},
        {"page": "-1"},
        {"page": "99999"},
        {"q": HOSTILE_SCRIPT},
        {"focus_area": "x" * 500},
    ]:
        response = client.get(questions_page.url, params)
        assert response.status_code == 200
        assert HOSTILE_SCRIPT.encode() not in response.content
    # A NUL is refused before the view (portal.core.middleware).
    assert client.get(questions_page.url, {"q": "\x00" * 10}).status_code == 400


def test_index_query_count_is_pinned(
    client, questions_page, member, billing, django_assert_max_num_queries
):
    for n in range(20):
        make_question(member, billing, title=f"Question number {n} about my bill")
    client.force_login(member)
    client.get(questions_page.url)
    with django_assert_max_num_queries(21):
        response = client.get(questions_page.url)
    assert response.content.count(b'class="idea-card question-card"') == 20


# Asking ----------------------------------------------------------------------


def test_ask_requires_login(client, questions_page):
    response = client.get(questions_page.url + "ask/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    response = client.post(questions_page.url + "ask/", {"title": "x"})
    assert response.status_code == 302 and not Question.objects.exists()


@pytest.mark.parametrize("who", ["member", "expert", "paused_expert", "staff"])
def test_signed_in_users_ask_a_question(client, questions_page, billing, who, request):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    client.force_login(user)
    form = client.get(questions_page.url + "ask/")
    assert form.status_code == 200
    assert b'hx-get="/en/questions/similar/"' in form.content
    assert b'aria-live="polite"' in form.content
    response = client.post(
        questions_page.url + "ask/",
        {
            "title": "How do I move my contract to a new address?",
            "body": "I am moving next month and want to keep my tariff.",
            "focus_area": "billing",
        },
    )
    question = Question.objects.get()
    assert response.status_code == 302
    assert response.url == _url(questions_page, question)
    assert question.author == user and question.focus_area == billing
    assert question.language == "en"


HOSTILE_QUESTIONS = [
    ({"title": "", "body": "x" * 40, "focus_area": "billing"}, "title"),
    ({"title": "Too short", "body": "x" * 40, "focus_area": "billing"}, "title"),
    ({"title": "A" * 5000, "body": "x" * 40, "focus_area": "billing"}, "title"),
    (
        {"title": "A fine question title", "body": "tiny", "focus_area": "billing"},
        "body",
    ),
    (
        {
            "title": "A fine question title",
            "body": "x" * 20000,
            "focus_area": "billing",
        },
        "body",
    ),
    (
        {"title": "A fine question title", "body": "x" * 40, "focus_area": "nope"},
        "focus_area",
    ),
    ({"title": "A fine question title", "body": "x" * 40}, "focus_area"),
    (
        {
            "title": HOSTILE_SCRIPT + " what now?",
            "body": HOSTILE_SCRIPT + "<img src=x onerror=alert(1)>" * 3,
            "focus_area": "billing",
        },
        None,
    ),
    (
        {
            "title": "\u202e\u200b\ufeff Zero width \x00 title",
            "body": "🌱" * 30 + "\x00",
            "focus_area": "billing",
        },
        None,
    ),
]


@pytest.mark.parametrize(("data", "error_field"), HOSTILE_QUESTIONS)
def test_ask_handles_bad_and_hostile_input(
    client, questions_page, member, billing, data, error_field
):
    client.force_login(member)
    response = client.post(questions_page.url + "ask/", data)
    assert response.status_code in (302, 400)
    if error_field:
        assert response.status_code == 400
        form = response.context["form"]
        assert error_field in form.errors
        assert f'id="id_{error_field}_error"'.encode() in response.content
        assert not Question.objects.exists()
    for question in Question.objects.all():
        assert "<script" not in question.body_html and "<img" not in question.body_html
        page = client.get(_url(questions_page, question)).content.decode()
        assert HOSTILE_SCRIPT not in page
        assert "<img src=x" not in page


def test_ask_is_rate_limited(client, questions_page, member, billing, settings):
    settings.EXPERTS_ASK_RATE = "1/m"
    client.force_login(member)
    data = {"body": "Some details that are long enough.", "focus_area": "billing"}
    first = client.post(
        questions_page.url + "ask/", {**data, "title": "The first question here"}
    )
    second = client.post(
        questions_page.url + "ask/", {**data, "title": "The second question here"}
    )
    assert first.status_code == 302 and second.status_code == 429
    assert b"Try later" in second.content
    assert Question.objects.count() == 1


def test_similar_questions_show_only_answered_ones(
    client, questions_page, member, billing, staff
):
    solved = make_question(member, billing, title="How do I read my annual energy bill")
    services.answer_accept(
        answer=make_answer(solved, staff, body="The amount under the line is it."),
        by=member,
    )
    make_question(member, billing, title="How do I read my monthly energy bill")
    from portal import semantic

    semantic.index_ids(kind="question", ids=[solved.pk])
    response = client.get(
        questions_page.url + "similar/", {"title": "reading the annual energy bill"}
    )
    assert response.status_code == 200
    assert solved.title.encode() in response.content
    assert b"monthly energy bill" not in response.content
    assert b"Is your question already answered?" in response.content
    assert (
        client.get(questions_page.url + "similar/", {"title": "ab"}).content.strip()
        == b""
    )


# Question page ---------------------------------------------------------------


def test_detail_shows_answers_with_badges_marks_and_actions(
    client, questions_page, question, answer, member, staff, billing
):
    official = make_answer(
        question, staff, body="Officially: see the Te betalen line.", official=True
    )
    services.answer_accept(answer=answer, by=member)
    services.answer_verify(answer=answer, by=staff)
    html = client.get(_url(questions_page, question)).content.decode()
    assert question.title in html
    assert f'id="answer-{answer.pk}"' in html and f'id="answer-{official.pk}"' in html
    assert html.index(f'id="answer-{answer.pk}"') < html.index(
        f'id="answer-{official.pk}"'
    )
    assert 'class="expert-badge">Expert<' in html
    assert "Official answer" in html
    assert "Accepted answer" in html
    assert "Verified by Vonk on" in html and "(Eva)" in html
    assert "Newcomer" in html  # a level for every author
    assert "Log in to answer this question." in html
    assert "Manage in admin" not in html
    assert f"/answers/{answer.pk}/accept/" not in html  # visitors cannot accept

    asker = _login(client, member).get(_url(questions_page, question)).content.decode()
    assert f"/answers/{answer.pk}/accept/" in asker and "Undo accept" in asker
    assert f"/answers/{answer.pk}/helpful/" in asker
    assert f"/answers/{answer.pk}/verify/" not in asker
    assert 'name="body"' in asker and 'name="official"' not in asker

    staff_html = (
        _login(client, staff).get(_url(questions_page, question)).content.decode()
    )
    assert f"/admin/expertcare/questions/{question.pk}/" in staff_html
    assert "Withdraw verification" in staff_html
    assert 'name="official"' in staff_html
    # No helpful button on your own answer.
    assert f"/answers/{official.pk}/helpful/" not in staff_html


def test_each_answer_has_its_own_comment_thread_with_unique_ids(
    client, questions_page, question, answer, staff, member
):
    import django_comments

    other = make_answer(question, staff, body="A second answer with some content.")
    client.force_login(member)
    form = django_comments.get_form()(answer)
    data = {**form.initial, "comment": "Thanks, that helped!", "reply_to": 0}
    assert client.post("/comments/post/", data).status_code == 302
    html = client.get(_url(questions_page, question)).content.decode()
    for pk in (answer.pk, other.pk):
        assert html.count(f'id="comments-heading-{pk}"') == 1
        assert html.count(f'id="id_comment_{pk}"') == 1
    assert html.count('id="comments-heading"') == 0
    assert 'id="id_content_type"' not in html and 'id="id_honeypot"' not in html
    assert "Thanks, that helped!" in html and "1 comment" in html


def test_detail_query_count_is_pinned(
    client, questions_page, question, member, billing, django_assert_max_num_queries
):
    for n in range(5):
        make_answer(question, UserFactory(), body=f"Answer number {n} with some text.")
    client.force_login(member)
    url = _url(questions_page, question)
    client.get(url)
    with django_assert_max_num_queries(23):
        response = client.get(url)
    assert response.content.count(b'<article class="answer') == 5
    for n in range(5):
        make_answer(question, UserFactory(), body=f"Later answer {n} with some text.")
    with django_assert_max_num_queries(23):
        response = client.get(url)
    assert response.content.count(b'<article class="answer') == 10


def test_unknown_question_is_404(client, questions_page):
    assert client.get(questions_page.url + "99999/").status_code == 404


def test_hidden_question_is_only_visible_to_author_and_staff(
    client, questions_page, question, member, staff
):
    services.question_set_hidden(question=question, by=staff, hidden=True)
    url = _url(questions_page, question)
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(member)
    assert b"This question is hidden" in client.get(url).content
    client.force_login(staff)
    assert client.get(url).status_code == 200


def test_private_question_shows_a_neutral_notice(
    client, questions_page, member, billing, staff
):
    question = make_question(
        member,
        billing,
        title="My bill for sanne@example.com is wrong",
        body="Please call me on 06-12345678, my account is a mess and I am angry.",
    )
    make_answer(question, UserFactory(), body="Have you tried calling support?")
    case = services.question_make_private(question=question, by=staff, reason="anger")
    services.case_resolve(case=case, by=staff, public_summary="We fixed the bill.")
    old_url = _url(questions_page, question)  # its slug has the email in it
    response = client.get(old_url)
    assert response.status_code == 301
    assert "sanne" not in response["Location"]
    url = response["Location"]
    html = client.get(url).content.decode()
    assert "This question moved to private support" in html
    assert "My bill for" in html and "sanne@example.com" not in html
    assert "06-12345678" not in html and "my account is a mess" not in html
    assert "We fixed the bill." in html
    assert "Have you tried calling" not in html
    assert 'name="body"' not in html
    assert f"{question.pk}/private/" not in html
    client.force_login(UserFactory())
    assert f"{question.pk}/private/" not in client.get(url).content.decode()
    client.force_login(member)
    assert f"{question.pk}/private/" in client.get(url).content.decode()
    client.force_login(staff)
    assert f"{question.pk}/private/" in client.get(url).content.decode()


def test_converted_question_links_to_the_idea(
    client, questions_page, question, staff, answer
):
    idea = services.question_convert_to_idea(question=question, by=staff)
    html = client.get(_url(questions_page, question)).content.decode()
    assert "This question became an idea" in html
    assert idea.get_absolute_url() in html
    assert "This question no longer takes answers." in html


def test_hostile_text_in_question_and_answer_is_escaped(
    client, questions_page, member, billing, expert
):
    question = make_question(
        member,
        billing,
        title=f"{HOSTILE_SCRIPT} How do I pay?",
        body=f"{HOSTILE_SCRIPT} <img src=x onerror=alert(1)> [x](javascript:alert(1))",
    )
    make_answer(question, expert.user, body=f"{HOSTILE_SCRIPT} **bold** <b>b</b>")
    for url in (questions_page.url, _url(questions_page, question), "/en/"):
        html = client.get(url).content.decode()
        assert HOSTILE_SCRIPT not in html
        assert "<img src=x" not in html and 'href="javascript:' not in html
    detail = client.get(_url(questions_page, question)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; How do I pay?" in detail
    assert "<strong>bold</strong>" in detail


# Answering -------------------------------------------------------------------


def test_answer_requires_login_and_post(client, questions_page, question):
    url = questions_page.url + f"{question.pk}/answer/"
    assert client.get(url).status_code == 405
    response = client.post(url, {"body": "A helpful answer for you."})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    ("who", "by_expert", "official"),
    [
        ("member", False, False),
        ("expert", True, False),
        ("paused_expert", True, False),
        ("staff", False, True),
    ],
)
def test_anyone_signed_in_answers_and_only_staff_officially(
    client, questions_page, question, request, who, by_expert, official
):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    client.force_login(user)
    response = client.post(
        questions_page.url + f"{question.pk}/answer/",
        {"body": "Look for the line that says Te betalen.", "official": "on"},
    )
    answer = Answer.objects.get()
    assert response.status_code == 302
    assert response.url == _url(questions_page, question, f"#answer-{answer.pk}")
    assert answer.by_expert is by_expert and answer.is_official is official


@pytest.mark.parametrize("body", ["", "short", "x" * 20000, "\x00" * 30])
def test_answer_with_bad_input_gives_400_with_errors(
    client, questions_page, question, member, body
):
    client.force_login(member)
    response = client.post(
        questions_page.url + f"{question.pk}/answer/", {"body": body}
    )
    assert response.status_code == 400
    assert "body" in response.context["answer_form"].errors
    assert b'id="id_body_error"' in response.content
    assert not Answer.objects.exists()


def test_answer_is_rate_limited(client, questions_page, question, member, settings):
    settings.EXPERTS_ANSWER_RATE = "1/m"
    client.force_login(member)
    url = questions_page.url + f"{question.pk}/answer/"
    assert client.post(url, {"body": "The first answer I give."}).status_code == 302
    assert client.post(url, {"body": "The second answer I give."}).status_code == 429
    assert Answer.objects.count() == 1


def test_answer_on_a_private_question_is_refused(
    client, questions_page, question, member, staff
):
    services.question_make_private(question=question, by=staff, reason="money")
    client.force_login(UserFactory())
    response = client.post(
        questions_page.url + f"{question.pk}/answer/",
        {"body": "Trying to answer a private case."},
        follow=True,
    )
    assert b"This question no longer takes answers." in response.content
    assert not Answer.objects.exists()


# Accepting -------------------------------------------------------------------


def test_accept_permissions(
    client, questions_page, question, answer, member, staff, paused_expert
):
    url = questions_page.url + f"answers/{answer.pk}/accept/"
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    for user in (UserFactory(), answer.author, paused_expert.user):
        client.force_login(user)
        assert client.post(url).status_code == 403
    answer.refresh_from_db()
    assert not answer.is_accepted
    client.force_login(member)
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == _url(questions_page, question, f"#answer-{answer.pk}")
    answer.refresh_from_db()
    assert answer.is_accepted
    client.post(url, {"action": "unaccept"})
    answer.refresh_from_db()
    assert not answer.is_accepted
    client.force_login(staff)
    client.post(url)
    answer.refresh_from_db()
    assert answer.is_accepted
    client.force_login(member)
    assert client.post(questions_page.url + "answers/99999/accept/").status_code == 404


# Helpful votes ---------------------------------------------------------------


def test_helpful_toggles_and_is_not_allowed_on_your_own_answer(
    client, questions_page, question, answer, member
):
    url = questions_page.url + f"answers/{answer.pk}/helpful/"
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(member)
    assert client.post(url).status_code == 302
    answer.refresh_from_db()
    assert answer.helpful_count == 1
    client.post(url, {"action": "unhelpful"})
    answer.refresh_from_db()
    assert answer.helpful_count == 0
    client.force_login(answer.author)
    response = client.post(url, follow=True)
    assert b"You cannot vote on your own answer." in response.content
    assert not HelpfulVote.objects.exists()


def test_helpful_with_htmx_returns_the_button(client, questions_page, answer, member):
    url = questions_page.url + f"answers/{answer.pk}/helpful/"
    client.force_login(member)
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'aria-pressed="true"' in response.content
    assert b"1 member found this helpful" in response.content
    assert b"<html" not in response.content
    client.force_login(answer.author)
    assert client.post(url, HTTP_HX_REQUEST="true").status_code == 409
    client.logout()
    anonymous = client.post(url, HTTP_HX_REQUEST="true")
    assert anonymous.status_code == 401 and "HX-Redirect" in anonymous.headers


@pytest.mark.parametrize("who", ["expert", "paused_expert", "staff"])
def test_others_can_vote_helpful(client, questions_page, question, who, request):
    author = UserFactory()
    answer = make_answer(question, author)
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    client.post(questions_page.url + f"answers/{answer.pk}/helpful/")
    assert HelpfulVote.objects.filter(answer=answer).count() == 1


def test_helpful_is_rate_limited(client, questions_page, question, member, settings):
    settings.EXPERTS_HELPFUL_RATE = "2/m"
    answers = [make_answer(question, UserFactory()) for _ in range(3)]
    client.force_login(member)
    for answer in answers:
        client.post(
            questions_page.url + f"answers/{answer.pk}/helpful/", HTTP_HX_REQUEST="true"
        )
    assert HelpfulVote.objects.filter(user=member).count() == 2


# Verification ----------------------------------------------------------------


def test_verify_is_for_staff_only(
    client, questions_page, answer, member, expert, paused_expert, staff
):
    url = questions_page.url + f"answers/{answer.pk}/verify/"
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    for user in (member, expert.user, paused_expert.user):
        client.force_login(user)
        assert client.post(url).status_code == 403
    answer.refresh_from_db()
    assert answer.verified_at is None
    client.force_login(staff)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    answer.refresh_from_db()
    assert answer.verified_by == staff and answer.verified_at
    client.post(url, {"action": "withdraw"})
    answer.refresh_from_db()
    assert answer.verified_at is None and answer.verified_by is None


# Private cases ---------------------------------------------------------------


@pytest.fixture
def private_case(question, staff):
    make_answer(question, UserFactory(), body="Call me on 06-12345678 about it.")
    return services.question_make_private(question=question, by=staff, reason="account")


def test_private_case_page_is_only_for_staff_and_the_asker(
    client, questions_page, question, private_case, member, expert, paused_expert, staff
):
    url = questions_page.url + f"{question.pk}/private/"
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    for user in (UserFactory(), expert.user, paused_expert.user):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert (
            client.post(url, {"action": "message", "body": "hi there"}).status_code
            == 404
        )
    client.force_login(member)
    html = client.get(url).content.decode()
    assert private_case.original_title in html
    assert "Answers before the case moved" in html
    assert 'name="public_summary"' not in html
    assert "redacted on the public page" not in html
    client.force_login(staff)
    html = client.get(url).content.decode()
    assert 'name="public_summary"' in html
    assert "redacted on the public page" in html
    assert not CaseMessage.objects.exists()


def test_private_case_page_is_404_for_a_public_question(
    client, questions_page, question, staff
):
    client.force_login(staff)
    assert client.get(questions_page.url + f"{question.pk}/private/").status_code == 404
    assert client.get(questions_page.url + "99999/private/").status_code == 404


def test_private_conversation_and_resolution(
    client, questions_page, question, private_case, member, staff
):
    url = questions_page.url + f"{question.pk}/private/"
    client.force_login(member)
    response = client.post(
        url, {"action": "message", "body": f"{HOSTILE_SCRIPT} My account number?"}
    )
    assert response.status_code == 302
    bad = client.post(url, {"action": "message", "body": ""})
    assert bad.status_code == 400 and b'id="id_message_body_error"' in bad.content
    assert (
        client.post(url, {"action": "resolve", "public_summary": "x"}).status_code
        == 403
    )
    assert client.post(url, {"action": "nonsense"}).status_code == 400
    client.force_login(staff)
    client.post(url, {"action": "message", "body": "We are looking into it."})
    html = client.get(url).content.decode()
    assert HOSTILE_SCRIPT not in html and "My account number?" in html
    assert "We are looking into it." in html and "Support team" in html
    response = client.post(
        url, {"action": "resolve", "public_summary": "Refunded; mail sanne@example.com"}
    )
    assert response.status_code == 302
    private_case.refresh_from_db()
    assert private_case.closed_at is not None
    public = client.get(_url(questions_page, question)).content.decode()
    assert "Refunded" in public and "sanne@example.com" not in public
    client.force_login(member)
    closed = client.post(url, {"action": "message", "body": "One more thing"})
    assert closed.status_code == 400 and b"This case is resolved." in closed.content


# Experts directory and profiles ----------------------------------------------


def test_directory_lists_current_experts_and_the_leaderboard(
    client, questions_page, expert, paused_expert, billing, solar, member
):
    left = make_expert(billing, username="former", status=ExpertStatus.LEFT)
    solar_expert = make_expert(solar, username="zonnig", headline="Solar since 2010")
    question = make_question(member, billing)
    answer = make_answer(question, expert.user)
    services.answer_accept(answer=answer, by=member)
    html = client.get(questions_page.url + "experts/").content.decode()
    assert expert.user.public_name in html and paused_expert.user.public_name in html
    assert solar_expert.user.public_name in html and "Solar since 2010" in html
    assert left.user.public_name not in html
    assert "Away for now" in html
    assert "Become an expert" in html
    assert '<option value="month" selected>' in html
    leaderboard = html.split('id="leaderboard-heading"')[1]
    assert expert.user.public_name in leaderboard and "15 points" in leaderboard
    solar_only = client.get(questions_page.url + "experts/", {"focus_area": "solar"})
    text = solar_only.content.decode()
    assert solar_expert.user.public_name in text
    assert expert.user.public_name not in text  # nor in the solar leaderboard
    for params in (
        {"period": "week"},
        {"period": "all"},
        {"period": "<x>"},
        {"page": "x"},
    ):
        assert client.get(questions_page.url + "experts/", params).status_code == 200


def test_directory_links_experts_to_their_settings(client, questions_page, expert):
    client.force_login(expert.user)
    html = client.get(questions_page.url + "experts/").content.decode()
    assert "My expert settings" in html and "Become an expert" not in html


def test_directory_query_count_is_pinned(
    client, questions_page, billing, member, django_assert_max_num_queries
):
    for n in range(3):
        make_expert(billing, username=f"expert{n}")
    client.force_login(member)
    url = questions_page.url + "experts/"
    client.get(url)
    with django_assert_max_num_queries(25) as few:
        client.get(url)
    for n in range(3, 15):
        make_expert(billing, username=f"expert{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.count(b'class="expert-card"') == 15


def test_expert_profile_shows_stats_badges_and_recent_answers(
    client, questions_page, expert, member, staff, billing
):
    expert.user.bio = f"Energy nerd. {HOSTILE_SCRIPT}"
    expert.user.save()
    expert.headline = "I know every tariff"
    expert.save()
    question = make_question(member, billing)
    answer = make_answer(question, expert.user)
    services.answer_accept(answer=answer, by=member)
    services.answer_verify(answer=answer, by=staff)
    services.answer_helpful(answer=answer, user=staff)
    html = client.get(questions_page.url + "experts/joost/").content.decode()
    assert "I know every tariff" in html and "Energy nerd." in html
    assert HOSTILE_SCRIPT not in html
    assert "Billing" in html
    assert "<dd>40</dd>" in html  # 15 accepted + 20 verified + 5 helpful
    assert "Solver" in html and "Brand verified" in html
    assert question.title in html
    for label in ("Accepted answers", "Helpful votes", "Verified answers", "Answers"):
        assert label in html


def test_expert_profile_is_404_for_non_experts(
    client, questions_page, member, billing, staff
):
    assert (
        client.get(questions_page.url + f"experts/{member.username}/").status_code
        == 404
    )
    assert client.get(questions_page.url + "experts/nobody/").status_code == 404
    left = make_expert(billing, username="gone", status=ExpertStatus.LEFT)
    removed = make_expert(billing, username="removed1")
    services.expert_set_status(profile=removed, by=staff, status=ExpertStatus.REMOVED)
    for profile in (left, removed):
        url = questions_page.url + f"experts/{profile.user.username}/"
        assert client.get(url).status_code == 404
    paused = make_expert(billing, username="resting", status=ExpertStatus.PAUSED)
    url = questions_page.url + f"experts/{paused.user.username}/"
    assert client.get(url).status_code == 200


def test_expert_profile_query_count_is_pinned(
    client, questions_page, expert, member, billing, django_assert_max_num_queries
):
    for n in range(5):
        question = make_question(member, billing, title=f"Question {n} about my bill")
        make_answer(question, expert.user)
    url = questions_page.url + "experts/joost/"
    client.get(url)
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200


# Applying --------------------------------------------------------------------


def test_apply_requires_login(client, questions_page):
    response = client.get(questions_page.url + "experts/apply/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_member_applies_and_sees_the_pending_status(
    client, questions_page, member, billing, home
):
    from experts.reputation import programme_settings

    programme = programme_settings()
    programme.guidelines_page = home
    programme.save()
    client.force_login(member)
    url = questions_page.url + "experts/apply/"
    form = client.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert "<fieldset" in html and "<legend>" in html
    assert 'href="/en/"' in html and "expert guidelines" in html
    response = client.post(
        url,
        {
            "focus_areas": ["billing"],
            "motivation": "I have read every bill since 2015 and like helping.",
            "accepts_guidelines": "on",
            "opts_in": "on",
        },
    )
    assert response.status_code == 302
    application = ExpertApplication.objects.get(user=member)
    assert application.status == ApplicationStatus.PENDING
    assert list(application.focus_areas.all()) == [billing]
    html = client.get(url).content.decode()
    assert "Waiting for review" in html and 'name="motivation"' not in html
    again = client.post(url, {"focus_areas": ["billing"]})
    assert again.status_code == 302
    assert ExpertApplication.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"focus_areas", "motivation", "accepts_guidelines", "opts_in"}),
        (
            {
                "focus_areas": ["nope"],
                "motivation": "x" * 30,
                "accepts_guidelines": "on",
                "opts_in": "on",
            },
            {"focus_areas"},
        ),
        (
            {
                "focus_areas": ["billing"],
                "motivation": HOSTILE_SCRIPT,
                "accepts_guidelines": "on",
            },
            {"opts_in"},
        ),
        (
            {"focus_areas": ["billing"], "motivation": "x" * 5000, "opts_in": "on"},
            {"motivation"},
        ),
    ],
)
def test_apply_with_bad_input_gives_400_with_field_errors(
    client, questions_page, member, billing, data, errors
):
    client.force_login(member)
    response = client.post(questions_page.url + "experts/apply/", data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= errors
    assert HOSTILE_SCRIPT.encode() not in response.content
    assert not ExpertApplication.objects.exists()


@pytest.mark.parametrize("who", ["expert", "paused_expert"])
def test_experts_are_sent_from_apply_to_settings(client, questions_page, who, request):
    client.force_login(request.getfixturevalue(who).user)
    response = client.get(questions_page.url + "experts/apply/")
    assert response.status_code == 302 and response.url.endswith("/experts/me/")


# Expert settings -------------------------------------------------------------


def test_expert_settings_are_for_experts_only(
    client, questions_page, member, staff, expert, paused_expert
):
    url = questions_page.url + "experts/me/"
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    for user in (member, staff):
        client.force_login(user)
        response = client.post(url, {"action": "leave", "confirm": "on"})
        assert response.status_code == 302 and response.url.endswith("/experts/apply/")
    client.force_login(expert.user)
    html = client.get(url).content.decode()
    assert 'value="pause"' in html and 'value="preferences"' in html
    assert 'id="id_pause_paused_until"' in html and 'id="id_prefs_daily_cap"' in html
    client.force_login(paused_expert.user)
    assert b"Resume now" in client.get(url).content


def test_expert_pauses_resumes_and_updates_preferences(
    client, questions_page, expert, billing, solar
):
    from datetime import timedelta

    from django.utils import timezone

    url = questions_page.url + "experts/me/"
    client.force_login(expert.user)
    until = timezone.localdate() + timedelta(days=10)
    response = client.post(url, {"action": "pause", "paused_until": until.isoformat()})
    assert response.status_code == 302
    expert.refresh_from_db()
    assert (
        expert.status == ExpertStatus.PAUSED
        and timezone.localdate(expert.paused_until) == until
    )
    client.post(url, {"action": "resume"})
    expert.refresh_from_db()
    assert expert.status == ExpertStatus.ACTIVE and expert.paused_until is None
    response = client.post(
        url,
        {
            "action": "preferences",
            "headline": "Billing whisperer",
            "focus_areas": ["billing", "solar"],
            "daily_cap": "2",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:30",
            "timezone": "Europe/Amsterdam",
        },
    )
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.headline == "Billing whisperer" and expert.daily_cap == 2
    assert str(expert.quiet_hours_end) == "07:30:00"
    assert set(expert.focus_areas.all()) == {billing, solar}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "pause", "paused_until": "2001-01-01"}, "paused_until"),
        ({"action": "pause", "paused_until": "not a date"}, "paused_until"),
        ({"action": "preferences", "daily_cap": "0"}, "daily_cap"),
        ({"action": "preferences", "daily_cap": "9999"}, "daily_cap"),
        ({"action": "preferences", "quiet_hours_start": "22:00"}, "quiet_hours_end"),
        ({"action": "preferences", "timezone": "Mars/Olympus"}, "timezone"),
        ({"action": "preferences", "focus_areas": []}, "focus_areas"),
        ({"action": "leave"}, "confirm"),
    ],
)
def test_expert_settings_with_bad_input_gives_400(
    client, questions_page, expert, data, field
):
    client.force_login(expert.user)
    base = {
        "daily_cap": "3",
        "timezone": "Europe/Amsterdam",
        "focus_areas": ["billing"],
    }
    if data["action"] == "preferences":
        data = {**base, **data}
    response = client.post(questions_page.url + "experts/me/", data)
    assert response.status_code == 400
    form = response.context[f"{data['action']}_form"]
    assert field in form.errors
    expert.refresh_from_db()
    assert expert.status == ExpertStatus.ACTIVE and expert.daily_cap == 5


def test_expert_leaves_the_programme(client, questions_page, expert):
    client.force_login(expert.user)
    response = client.post(
        questions_page.url + "experts/me/", {"action": "leave", "confirm": "on"}
    )
    assert (
        response.status_code == 302 and response.url == questions_page.url + "experts/"
    )
    expert.refresh_from_db()
    assert expert.status == ExpertStatus.LEFT
    assert client.get(questions_page.url + "experts/joost/").status_code == 404
    assert client.get(questions_page.url + "experts/me/").status_code == 302
    assert ExpertProfile.objects.filter(pk=expert.pk).exists()


# Home page sections ----------------------------------------------------------


def test_home_page_shows_open_questions_and_top_experts(
    client, questions_page, home, question, expert
):
    home.body = json.dumps(
        [
            {
                "type": "open_questions",
                "value": {"heading": "Open questions", "limit": 5, "empty_text": ""},
            },
            {
                "type": "top_experts",
                "value": {"heading": "Top experts", "limit": 5, "empty_text": ""},
            },
        ]
    )
    home.save_revision().publish()
    html = client.get("/en/").content.decode()
    assert f'href="{_url(questions_page, question)}"' in html
    assert f'href="{questions_page.url}experts/joost/"' in html
    assert "0 answers" in html


def test_staff_can_answer_and_manage_but_hidden_answers_stay_hidden(
    client, questions_page, question, answer, staff, member
):
    services.answer_set_hidden(answer=answer, by=staff, hidden=True)
    html = client.get(_url(questions_page, question)).content.decode()
    assert f'id="answer-{answer.pk}"' not in html
    client.force_login(member)
    assert (
        client.post(questions_page.url + f"answers/{answer.pk}/helpful/").status_code
        == 404
    )
    client.force_login(StaffFactory())
    staff_html = client.get(_url(questions_page, question)).content.decode()
    assert (
        f'id="answer-{answer.pk}"' in staff_html
        and "This answer is hidden" in staff_html
    )


def test_leaving_the_programme_takes_the_badge_off_past_answers(
    client, questions_page, question, answer, expert
):
    url = _url(questions_page, question)
    assert 'class="expert-badge"' in client.get(url).content.decode()
    services.expert_leave(user=expert.user)
    assert 'class="expert-badge"' not in client.get(url).content.decode()


def test_ask_form_shows_every_field_error_at_once(
    member_client, questions_page, billing
):
    response = member_client.post(
        questions_page.url + "ask/", {"title": "Short", "body": "", "focus_area": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ask your question in at least 10 characters." in html
    assert "This field is required." in html
