from django.middleware.locale import LocaleMiddleware

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
