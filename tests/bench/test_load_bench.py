"""The load bench's own pieces (bench/load/), on the test settings. The bench
itself needs PostgreSQL, Redis, gunicorn and locust; these only check that
what it measures against and how its members log in work."""

from django.conf import settings
from django.urls import resolve

from bench.load.prepare import member_session


def test_the_bare_view_answers_a_few_bytes_through_the_middleware(client, settings):
    settings.ROOT_URLCONF = "bench.load.urls"

    response = client.get("/bench/tiny/")

    assert response.status_code == 200
    assert response.content == b"ok"
    # The security middleware ran: the bare view pays for the whole stack.
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_bench_urlconf_still_serves_the_sites_own_urls():
    match = resolve("/en/search/", urlconf="bench.load.urls")

    assert match.url_name == "search"


def test_a_prepared_session_logs_the_member_in(client, home, member):
    client.cookies[settings.SESSION_COOKIE_NAME] = member_session(member)

    response = client.get("/en/")

    assert response.status_code == 200
    assert response.wsgi_request.user == member
