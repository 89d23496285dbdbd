from django.db.models import QuerySet
from wagtail.models import Site

from .models import CommunitySettings, FocusArea


def community_settings_get(
    *, site: Site | None = None, request=None
) -> CommunitySettings:
    if request is not None:
        # Shares the per-request cache that templates' {{ settings }} use.
        return CommunitySettings.for_request(request)
    site = site or Site.objects.get(is_default_site=True)
    return CommunitySettings.for_site(site)


def focus_area_list(
    *, site: Site | None = None, request=None, active_only: bool = True
) -> QuerySet[FocusArea]:
    settings = community_settings_get(site=site, request=request)
    qs = FocusArea.objects.filter(settings=settings)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("sort_order", "pk")
