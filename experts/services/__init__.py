"""Every write in expertcare goes through one of these functions."""

from .cases import (
    case_message_post,
    case_resolve,
    case_visible_to,
    question_make_private,
)
from .programme import (
    expert_application_decide,
    expert_apply,
    expert_leave,
    expert_pause,
    expert_preferences_update,
    expert_profile_current,
    expert_resume,
    expert_set_status,
    experts_resume_due,
)
from .questions import (
    answer_accept,
    answer_helpful,
    answer_post,
    answer_set_hidden,
    answer_unaccept,
    answer_unhelpful,
    answer_verify,
    question_ask,
    question_convert_to_idea,
    question_set_hidden,
)
from .sla import sla_sweep

__all__ = [
    "answer_accept",
    "answer_helpful",
    "answer_post",
    "answer_set_hidden",
    "answer_unaccept",
    "answer_unhelpful",
    "answer_verify",
    "case_message_post",
    "case_resolve",
    "case_visible_to",
    "expert_application_decide",
    "expert_apply",
    "expert_leave",
    "expert_pause",
    "expert_preferences_update",
    "expert_profile_current",
    "expert_resume",
    "expert_set_status",
    "experts_resume_due",
    "question_ask",
    "question_convert_to_idea",
    "question_make_private",
    "question_set_hidden",
    "sla_sweep",
]
