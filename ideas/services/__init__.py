"""Every write on ideas goes through one of these functions (one module per verb)."""

from .follow import idea_follow, idea_unfollow
from .merge import idea_merge, idea_merge_undo
from .moderation import idea_edit, idea_flag, idea_set_hidden, idea_set_locked
from .status import idea_respond
from .submit import idea_submit
from .vote import idea_unvote, idea_vote

__all__ = [
    "idea_edit",
    "idea_flag",
    "idea_follow",
    "idea_merge",
    "idea_merge_undo",
    "idea_respond",
    "idea_set_hidden",
    "idea_set_locked",
    "idea_submit",
    "idea_unfollow",
    "idea_unvote",
    "idea_vote",
]
