from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language


def _home_for_request(request: HttpRequest):
    """The site's home page in the visitor's language, looked up once."""
    if not hasattr(request, "_seed_home"):
        from wagtail.models import Locale, Site

        home = None
        site = Site.find_for_request(request)
        if site is not None:
            home = site.root_page
            locale = Locale.objects.filter(language_code=get_language()).first()
            if locale and home.locale_id != locale.pk:
                home = home.get_translation_or_none(locale) or home
        request._seed_home = home
    return request._seed_home


def _menu_pages(request: HttpRequest) -> list:
    home = _home_for_request(request)
    if home is None:
        return []
    return list(home.get_children().live().public().in_menu())


def _footer_pages(request: HttpRequest) -> list:
    from portal.pages.models import StandardPage

    home = _home_for_request(request)
    if home is None:
        return []
    return list(
        StandardPage.objects.child_of(home).live().public().filter(show_in_footer=True)
    )


def site_shell(request: HttpRequest) -> dict:
    """What base.html needs on every page. The menus are lazy, so a response
    that does not render the header costs no queries for them."""
    from portal.notifications.selectors import notification_unread_count

    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = notification_unread_count(user=user)
    return {
        "unread_notifications": unread,
        "nav_pages": SimpleLazyObject(lambda: _menu_pages(request)),
        "footer_pages": SimpleLazyObject(lambda: _footer_pages(request)),
    }
