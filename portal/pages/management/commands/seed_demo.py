"""Fill an empty database with the Vonk demo community, in English and Dutch.

Safe to run twice: everything is looked up by a stable key (slug, email)
before it is created, and existing content is left as editors changed it.
"""

import json
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from portal.accounts.models import SignupSource
from portal.pages import demo_content as content
from portal.pages.demo import demo_seeders
from portal.pages.models import (
    CommunitySettings,
    FaqPage,
    FocusArea,
    HomePage,
    StandardPage,
)

DEMO_PASSWORD = "seed-demo"  # noqa: S105 # nosec B105 - printed demo login, DEBUG only


class Command(BaseCommand):
    help = "Create the Vonk demo community (pages, focus areas, members, staff)."

    def handle(self, *args, **options) -> None:
        password = DEMO_PASSWORD if settings.DEBUG else secrets.token_urlsafe(12)
        with transaction.atomic():
            en, nl = self._locales()
            home_en, home_nl = self._home(en, nl)
            for spec in content.STANDARD_PAGES:
                self._standard_page(spec, home_en, nl)
            self._faq(home_en, nl)
            self._accountability(home_en, nl)
            self._settings()
            staff_created = self._users(password)
            self._app_content(home_en, nl)
        self.stdout.write(self.style.SUCCESS("Demo community ready: Vonk (EN + NL)."))
        staff_email = content.STAFF[1]
        if staff_created:
            self.stdout.write(
                f"Staff login: {staff_email} / {password}  (admin at /admin/)"
            )
            self.stdout.write(f"Member login: {content.MEMBERS[0][1]} / {password}")
        else:
            self.stdout.write(f"Staff login: {staff_email} (password unchanged)")

    def _app_content(self, home_en: HomePage, nl: Locale) -> None:
        User = get_user_model()
        staff = User.objects.get(email=content.STAFF[1])
        members = {
            u.username: u for u in User.objects.filter(email__endswith="@vonk.example")
        }
        for name, seeder in demo_seeders():
            seeder(home_en=home_en, nl=nl, staff=staff, members=members)
            self.stdout.write(f"Demo {name} ready.")

    def _locales(self) -> tuple[Locale, Locale]:
        en, _ = Locale.objects.get_or_create(language_code="en")
        nl, _ = Locale.objects.get_or_create(language_code="nl")
        return en, nl

    def _publish(self, page: Page) -> None:
        page.save_revision().publish()

    def _home(self, en: Locale, nl: Locale) -> tuple[HomePage, HomePage]:
        root = Page.get_first_root_node()
        home_en = HomePage.objects.filter(locale=en).first()
        if home_en is None:
            # Wagtail's install leaves a "Welcome" placeholder; the site gets
            # our home page instead.
            for placeholder in root.get_children().exact_type(Page):
                placeholder.delete()
            data = content.HOME["en"]
            home_en = HomePage(
                title=data["title"],
                slug="home",
                intro=data["intro"],
                body=json.dumps(data["body"]),
                locale=en,
            )
            root.add_child(instance=home_en)
            self._publish(home_en)
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(
                hostname="localhost",
                port=80,
                root_page=home_en,
                is_default_site=True,
                site_name=content.BRAND["brand_name"],
            )
        elif site.root_page_id != home_en.pk:
            site.root_page = home_en
            site.site_name = content.BRAND["brand_name"]
            site.save()
        home_nl = home_en.get_translation_or_none(nl)
        if home_nl is None:
            home_nl = home_en.copy_for_translation(nl).specific
            data = content.HOME["nl"]
            home_nl.title = data["title"]
            home_nl.intro = data["intro"]
            home_nl.body = json.dumps(data["body"])
            self._publish(home_nl)
        return home_en, home_nl

    def _standard_page(self, spec: dict, home_en: HomePage, nl: Locale) -> None:
        data = spec["en"]
        page = StandardPage.objects.child_of(home_en).filter(slug=data["slug"]).first()
        if page is None:
            page = StandardPage(
                title=data["title"],
                slug=data["slug"],
                intro=data["intro"],
                body=json.dumps([{"type": "text", "value": data["body"]}]),
                show_in_menus=spec["menu"],
                show_in_footer=spec["footer"],
            )
            home_en.add_child(instance=page)
            self._publish(page)
        if page.get_translation_or_none(nl) is None:
            data = spec["nl"]
            page_nl = page.copy_for_translation(nl).specific
            page_nl.title = data["title"]
            page_nl.slug = data["slug"]
            page_nl.intro = data["intro"]
            page_nl.body = json.dumps([{"type": "text", "value": data["body"]}])
            self._publish(page_nl)

    def _accountability(self, home_en: HomePage, nl: Locale) -> None:
        """ "How we listen": the public page with the community's live figures."""

        def body(lang: str) -> str:
            data = content.ACCOUNTABILITY[lang]
            return json.dumps(
                [
                    {"type": "text", "value": data["text"]},
                    {
                        "type": "live_figures",
                        "value": {
                            "heading": data["heading"],
                            "intro": data["figures_intro"],
                            "figures": content.PUBLIC_FIGURES,
                        },
                    },
                ]
            )

        data = content.ACCOUNTABILITY["en"]
        page = StandardPage.objects.child_of(home_en).filter(slug=data["slug"]).first()
        if page is None:
            page = StandardPage(
                title=data["title"],
                slug=data["slug"],
                intro=data["intro"],
                body=body("en"),
                show_in_menus=False,
                show_in_footer=True,
            )
            home_en.add_child(instance=page)
            self._publish(page)
        if page.get_translation_or_none(nl) is None:
            data = content.ACCOUNTABILITY["nl"]
            page_nl = page.copy_for_translation(nl).specific
            page_nl.title = data["title"]
            page_nl.slug = data["slug"]
            page_nl.intro = data["intro"]
            page_nl.body = body("nl")
            self._publish(page_nl)

    def _faq(self, home_en: HomePage, nl: Locale) -> None:
        def items(lang: str) -> str:
            return json.dumps(
                [
                    {
                        "type": "faq",
                        "value": {"question": q, "answer": a, "keywords": k},
                    }
                    for q, a, k in content.FAQ[lang]["items"]
                ]
            )

        data = content.FAQ["en"]
        page = FaqPage.objects.child_of(home_en).filter(slug=data["slug"]).first()
        if page is None:
            page = FaqPage(
                title=data["title"],
                slug=data["slug"],
                intro=data["intro"],
                items=items("en"),
                show_in_menus=True,
            )
            home_en.add_child(instance=page)
            self._publish(page)
        if page.get_translation_or_none(nl) is None:
            data = content.FAQ["nl"]
            page_nl = page.copy_for_translation(nl).specific
            page_nl.title = data["title"]
            page_nl.slug = data["slug"]
            page_nl.intro = data["intro"]
            page_nl.items = items("nl")
            self._publish(page_nl)

    def _settings(self) -> None:
        site = Site.objects.get(is_default_site=True)
        cs = CommunitySettings.for_site(site)
        if not cs.tagline:
            for field, value in content.BRAND.items():
                setattr(cs, field, value)
            cs.save()
        for order, area in enumerate(content.FOCUS_AREAS):
            FocusArea.objects.get_or_create(
                settings=cs,
                slug=area["slug"],
                defaults={
                    **{k: v for k, v in area.items() if k != "slug"},
                    "sort_order": order,
                },
            )

    def _users(self, password: str) -> bool:
        User = get_user_model()
        username, email, name, lang = content.STAFF
        staff_created = False
        if not User.objects.filter(email=email).exists():
            User.objects.create_superuser(
                username=username,
                email=email,
                password=password,
                display_name=name,
                language=lang,
            )
            staff_created = True
        now = timezone.now()
        for username, email, name, lang, bio in content.MEMBERS:
            if not User.objects.filter(email=email).exists():
                days = content.MEMBER_JOINED_DAYS_AGO.get(username, 0)
                User.objects.create_user(
                    username=username,
                    email=email,
                    password=password,
                    display_name=name,
                    language=lang,
                    bio=bio,
                    signup_source=SignupSource.DIRECT,
                    date_joined=now - timedelta(days=days),
                )
        moderators = Group.objects.filter(name="Moderators").first()
        for username, email, name, lang in content.TEAM:
            if not User.objects.filter(email=email).exists():
                member = User.objects.create_user(
                    username=username,
                    email=email,
                    password=password,
                    display_name=name,
                    language=lang,
                    is_staff=True,
                    signup_source=SignupSource.STAFF,
                    date_joined=now - timedelta(days=300),
                )
                if moderators is not None:
                    member.groups.add(moderators)
        User.objects.filter(email=content.STAFF[1], signup_source="").update(
            signup_source=SignupSource.STAFF
        )
        for user in User.objects.filter(email__endswith="@vonk.example"):
            EmailAddress.objects.get_or_create(
                user=user,
                email=user.email,
                defaults={"verified": True, "primary": True},
            )
        return staff_created
