from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from .models import SignupSource

# An app may choose where the next login lands by leaving a local path here
# in the session (listening: the draft of a person who just joined through an
# invitation). An explicit ?next= still wins.
LOGIN_REDIRECT_SESSION_KEY = "accounts_login_redirect"


def _session_redirect(request) -> str:
    url = request.session.pop(LOGIN_REDIRECT_SESSION_KEY, "")
    if (
        isinstance(url, str)
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    ):
        return url
    return ""


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return getattr(settings, "ACCOUNT_SIGNUP_OPEN", True)

    def save_user(self, request, user, form, commit=True):
        # A new member starts in the language they signed up in.
        if not user.language:
            lang = translation.get_language() or ""
            codes = {code for code, _ in settings.LANGUAGES}
            user.language = lang if lang in codes else ""
        # An app may refine this after sign-up (listening: "invitation").
        user.signup_source = user.signup_source or SignupSource.DIRECT
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix, email, context) -> None:
        # Account emails (password reset, email confirmation) go out in the
        # member's saved language, whichever language's page asked for them.
        user = context.get("user")
        language = getattr(user, "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def get_login_redirect_url(self, request) -> str:
        return _session_redirect(request) or super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request) -> str:
        return _session_redirect(request) or super().get_signup_redirect_url(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        """A provider without credentials is not offered on the login page, but
        its URLs still exist: answer 404 there instead of a server error."""
        from allauth.socialaccount.models import SocialApp
        from django.http import Http404

        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404("This sign-in provider is not configured.") from None

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return getattr(settings, "ACCOUNT_SIGNUP_OPEN", True)

    def save_user(self, request, sociallogin, form=None):
        sociallogin.user.signup_source = SignupSource.SOCIAL
        return super().save_user(request, sociallogin, form=form)
