"""Signal receivers of listening (connected in ListeningConfig.ready).

Receivers only call services:

- sign-up and login pick up an invitation that "Join" left in the session
  and make the person's post their draft (listening/join.py); after login a
  member with a draft waiting lands on it;
- an idea with linked social posts changed status: whoever linked them is
  asked to close the loop (webcare.loop_prompt), after the commit.
"""

from allauth.account.signals import user_signed_up
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from ideas.models import StatusChange


@receiver(user_signed_up, dispatch_uid="listening.join_on_signup")
def _joined_on_signup(sender, request, user, **kwargs) -> None:
    from .join import join_from_session

    draft = join_from_session(session=getattr(request, "session", None), user=user)
    if draft is not None:
        # The community report counts members by how they arrived.
        type(user).objects.filter(pk=user.pk).update(signup_source="invitation")
        user.signup_source = "invitation"


# Django's signal, not allauth's: it is sent inside login(), before allauth
# asks the adapter where to go, so the landing set here is used for this
# login (portal.accounts.adapters.AccountAdapter.get_login_redirect_url).
@receiver(user_logged_in, dispatch_uid="listening.join_on_login")
def _joined_on_login(sender, request, user, **kwargs) -> None:
    from .join import join_from_session, login_landing

    session = getattr(request, "session", None)
    join_from_session(session=session, user=user)
    login_landing(session=session, user=user)


@receiver(post_save, sender=StatusChange, dispatch_uid="listening.close_loop")
def _idea_status_changed(sender, instance: StatusChange, created: bool, **kwargs):
    if not created or kwargs.get("raw"):
        return
    if not instance.from_status or instance.from_status == instance.to_status:
        return  # a new idea, or an official response without a new status
    from .models import MentionLink

    links = MentionLink.objects.filter(idea_id=instance.idea_id)
    if not links.exists():
        return
    if instance.to_status == "merged":
        # A duplicate merged into another idea: its posts count there now
        # (like its votes), and there is no loop to close for a merge.
        _links_follow_merge(instance.idea_id)
        return
    idea_id, to_status = instance.idea_id, instance.to_status

    def prompt() -> None:
        from ideas.models import Idea

        from .webcare import loop_prompt

        idea = Idea.objects.filter(pk=idea_id).first()
        if idea is not None:
            loop_prompt(idea=idea, to_status=to_status)

    transaction.on_commit(prompt)


def _links_follow_merge(idea_id: int) -> None:
    from ideas.models import IdeaMerge

    from .models import MentionLink

    # The merge record is written just before its StatusChange.
    target_id = (
        IdeaMerge.objects.filter(source_id=idea_id)
        .order_by("-pk")
        .values_list("target_id", flat=True)
        .first()
    )
    if not target_id:
        return
    already = set(
        MentionLink.objects.filter(idea_id=target_id).values_list(
            "mention_id", flat=True
        )
    )
    moving = MentionLink.objects.filter(idea_id=idea_id)
    moving.exclude(mention_id__in=already).update(idea_id=target_id)
