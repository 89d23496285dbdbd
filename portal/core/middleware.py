from django.core.exceptions import SuspiciousOperation
from django.core.validators import ProhibitNullCharactersValidator
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.views import defaults

# Paths outside the language-prefixed site. A 404 there is a real 404: without
# this, Django would "helpfully" redirect /api/v1/ideas/9/ to /en/api/v1/…,
# which the catch-all page route accepts.
UNPREFIXED = ("/api/", "/admin/", "/django-admin/", "/health/", "/media/",
              "/static/", "/documents/", "/comments/", "/i18n/",
              "/hooks/")  # fmt: skip


class SiteLocaleMiddleware(LocaleMiddleware):
    def process_response(self, request, response):
        if request.path_info.startswith(UNPREFIXED):
            return response
        return super().process_response(request, response)


class NullCharacterMiddleware:
    """Refuse a query string that holds a NUL character.

    PostgreSQL cannot store or compare text with NUL in it: psycopg raises
    before the query is sent, so a filter such as ?focus_area=%00 would be a
    500 on PostgreSQL and an empty result on SQLite. Form and serializer
    fields already refuse NUL in bodies (ProhibitNullCharactersValidator);
    this covers the query parameters that views read directly. (A NUL in
    the path matches no route but a view's own, which treats it as unknown.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            message = ProhibitNullCharactersValidator.message
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": str(message)}, status=400)
            return defaults.bad_request(request, SuspiciousOperation(message))
        return self.get_response(request)
