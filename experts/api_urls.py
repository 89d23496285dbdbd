from django.urls import path

from . import api

urlpatterns = [
    path("questions/", api.QuestionListView.as_view(), name="questions"),
    path(
        "questions/<int:question_id>/",
        api.QuestionDetailView.as_view(),
        name="question",
    ),
    path(
        "questions/<int:question_id>/answers/",
        api.AnswerCreateView.as_view(),
        name="question_answers",
    ),
    path(
        "answers/<int:answer_id>/accept/",
        api.AnswerAcceptView.as_view(),
        name="answer_accept",
    ),
    path(
        "answers/<int:answer_id>/helpful/",
        api.AnswerHelpfulView.as_view(),
        name="answer_helpful",
    ),
    path(
        "answers/<int:answer_id>/verify/",
        api.AnswerVerifyView.as_view(),
        name="answer_verify",
    ),
    path("experts/", api.ExpertListView.as_view(), name="experts"),
]
