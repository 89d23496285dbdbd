from django.conf import settings
from django.utils import translation


class PreferredLanguageMiddleware:
    """A signed-in member's language beats the browser's.

    LocaleMiddleware has already picked a language from the URL prefix, the
    cookie or Accept-Language. Where the URL names no language (so "/" is about
    to be redirected to "/en/" or "/nl/"), the member's own preference wins,
    and the cookie remembers it for the pages they visit signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        preferred = (
            getattr(user, "language", "") if user and user.is_authenticated else ""
        )
        if preferred and not translation.get_language_from_path(request.path_info):
            translation.activate(preferred)
            request.LANGUAGE_CODE = preferred
        response = self.get_response(request)
        if (
            preferred
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != preferred
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                preferred,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
