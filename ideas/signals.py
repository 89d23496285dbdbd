"""Signal receivers only call services."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from django_comments_xtd.models import XtdComment


@receiver(post_save, sender=XtdComment, dispatch_uid="ideas.comment_saved")
def _comment_saved(sender, instance: XtdComment, created: bool, **kwargs) -> None:
    # django-comments-xtd turns its temporary comment into an XtdComment after
    # moderation has run, so `is_public` is final here.
    if not created or kwargs.get("raw"):
        return
    from .models import Idea

    if instance.content_type.model_class() is Idea:
        from .services.comments import idea_comment_posted

        idea_comment_posted(comment=instance)
