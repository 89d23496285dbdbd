"""The expertcare API under /api/v1/ (Django REST framework).

Questions, answers and the expert directory. Every write goes through
experts.services; their ValidationError and PermissionDenied become DRF's 400
and 403. Private and hidden questions answer 404 to anyone who may not see
them, and no endpoint ever returns a private case's original text.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal.core.api import PageNumberPagination, ReadOrMember, query_choice, raise_drf
from portal.pages.models import FocusArea

from . import selectors, services
from .models import Answer, ExpertProfile, Question
from .reputation import level_for, levels
from .selectors import FILTERS, SORTS
from .services.questions import ANSWER_MAX, BODY_MAX, TITLE_MAX


class QuestionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.public_name", read_only=True)
    focus_area = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=FocusArea.objects.all(),
        required=False,
        allow_null=True,
    )
    accepted_answer = serializers.IntegerField(
        source="accepted_answer_id", read_only=True, allow_null=True
    )
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Question
        fields = [
            "id",
            "title",
            "body",
            "body_html",
            "author",
            "focus_area",
            "status",
            "answer_count",
            "accepted_answer",
            "is_private",
            "url",
            "created_at",
            "first_answered_at",
        ]
        read_only_fields = [
            "body_html",
            "status",
            "answer_count",
            "is_private",
            "created_at",
            "first_answered_at",
        ]
        # The minimum lengths are the service's, with its member-readable messages.
        extra_kwargs = {
            "title": {"max_length": TITLE_MAX},
            "body": {"max_length": BODY_MAX},
        }


class AnswerSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.public_name", read_only=True)
    author_level = serializers.SerializerMethodField()
    verified_by = serializers.CharField(
        source="verified_by.public_name", read_only=True, allow_null=True
    )
    marked_helpful = serializers.BooleanField(read_only=True, default=False)
    official = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_("Staff only: post as the brand's official answer."),
    )

    class Meta:
        model = Answer
        fields = [
            "id",
            "body",
            "body_html",
            "author",
            "author_level",
            "by_expert",
            "is_official",
            "is_accepted",
            "is_hidden",
            "helpful_count",
            "verified_at",
            "verified_by",
            "marked_helpful",
            "official",
            "created_at",
        ]
        read_only_fields = [
            "body_html",
            "by_expert",
            "is_official",
            "is_accepted",
            "is_hidden",
            "helpful_count",
            "verified_at",
            "created_at",
        ]
        extra_kwargs = {"body": {"max_length": ANSWER_MAX}}

    def get_author_level(self, answer: Answer) -> str | None:
        level = getattr(answer, "author_level", None)
        return level.label if level else None


class QuestionDetailSerializer(QuestionSerializer):
    # The view sets `answer_items` from selectors.answer_list (accepted first).
    answers = AnswerSerializer(many=True, read_only=True, source="answer_items")

    class Meta(QuestionSerializer.Meta):
        fields = [*QuestionSerializer.Meta.fields, "answers"]


class VerifySerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ExpertSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.CharField(source="user.public_name", read_only=True)
    focus_areas = serializers.SerializerMethodField()
    level = serializers.SerializerMethodField()
    points = serializers.SerializerMethodField()
    accepted_count = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = ExpertProfile
        fields = [
            "username",
            "display_name",
            "headline",
            "focus_areas",
            "level",
            "points",
            "accepted_count",
            "status",
            "url",
        ]
        read_only_fields = fields

    @staticmethod
    def _reputation(profile: ExpertProfile):
        try:
            return profile.user.reputation
        except ObjectDoesNotExist:
            return None

    def get_focus_areas(self, profile: ExpertProfile) -> list[str]:
        return [area.slug for area in profile.focus_areas.all()]

    def get_points(self, profile: ExpertProfile) -> int:
        rep = self._reputation(profile)
        return rep.points if rep else 0

    def get_accepted_count(self, profile: ExpertProfile) -> int:
        rep = self._reputation(profile)
        return rep.accepted_count if rep else 0

    def get_level(self, profile: ExpertProfile) -> str:
        return level_for(self.get_points(profile), self.context.get("levels")).label


def _may_see(question: Question, user) -> bool:
    """Hidden questions are for staff; private cases for staff and the asker."""
    if question.is_hidden and not user.is_staff:
        return False
    if question.is_private and not services.case_visible_to(question, user):
        return False
    return True


def _visible_question(question_id: int, user) -> Question:
    question = selectors.question_detail(question_id=question_id)
    if question is None or not _may_see(question, user):
        raise Http404
    return question


def _visible_answer(answer_id: int, user) -> Answer:
    answer = Answer.objects.select_related("question").filter(pk=answer_id).first()
    if (
        answer is None
        or (answer.is_hidden and not user.is_staff)
        or not _may_see(answer.question, user)
    ):
        raise Http404
    return answer


def _answer_data(request: Request, answer: Answer) -> dict:
    """The answer as the member now sees it, with their helpful mark."""
    answers = selectors.answer_list(
        question=answer.question, user=request.user, staff=request.user.is_staff
    )
    # Hidden in the meantime: fall back to the row without the helpful mark.
    fresh = next((a for a in answers if a.pk == answer.pk), answer)
    return AnswerSerializer(fresh).data


class QuestionListView(APIView):
    permission_classes = [ReadOrMember]
    # Documents the list as paginated (drf-spectacular reads this attribute);
    # get() pages with it too.
    pagination_class = PageNumberPagination
    throttle_scope = "experts.ask"

    def get_throttles(self):
        if self.request.method == "POST":
            return [ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        parameters=[
            OpenApiParameter("show", str, enum=[k for k in FILTERS if k]),
            OpenApiParameter("focus_area", str, description="A focus area slug."),
            OpenApiParameter("ordering", str, enum=list(SORTS)),
            OpenApiParameter("search", str),
            OpenApiParameter("page", int),
        ],
        responses=QuestionSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Public questions; private and hidden ones are never listed."""
        qs = selectors.question_list(
            sort=query_choice(request, "ordering", list(SORTS), "active"),
            show=query_choice(request, "show", [k for k in FILTERS if k]),
            focus_area=request.query_params.get("focus_area", "")[:60],
            search=request.query_params.get("search", "")[:200],
        )
        # The web list leaves the text out; the API serves it, in the same query.
        qs = qs.defer(None).defer("author__bio", "author__password")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(
            QuestionSerializer(page, many=True).data
        )

    @extend_schema(
        request=QuestionSerializer, responses={201: QuestionDetailSerializer}
    )
    def post(self, request: Request) -> Response:
        """Ask a question; the best-matched available experts are notified."""
        serializer = QuestionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            question = services.question_ask(
                author=request.user,
                title=data["title"],
                body=data["body"],
                focus_area=data.get("focus_area"),
                language=getattr(request, "LANGUAGE_CODE", ""),
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            raise_drf(exc)
        question.answer_items = []
        return Response(
            QuestionDetailSerializer(question).data, status=status.HTTP_201_CREATED
        )


class QuestionDetailView(APIView):
    permission_classes = [ReadOrMember]

    @extend_schema(responses=QuestionDetailSerializer)
    def get(self, request: Request, question_id: int) -> Response:
        """A question with its answers, accepted first. Private cases show only
        their redacted public text, and only to staff and the asker."""
        question = _visible_question(question_id, request.user)
        question.answer_items = selectors.answer_list(
            question=question, user=request.user, staff=request.user.is_staff
        )
        return Response(QuestionDetailSerializer(question).data)


class AnswerCreateView(APIView):
    throttle_scope = "experts.answer"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(request=AnswerSerializer, responses={201: AnswerSerializer})
    def post(self, request: Request, question_id: int) -> Response:
        """Answer a question. Staff may answer officially with `official`."""
        question = _visible_question(question_id, request.user)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            answer = services.answer_post(
                question=question,
                author=request.user,
                body=data["body"],
                official=data.get("official", False),
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            raise_drf(exc)
        return Response(_answer_data(request, answer), status=status.HTTP_201_CREATED)


class AnswerActionView(APIView):
    """POST applies the action to an answer, DELETE takes it back."""

    def _apply(self, request: Request, answer_id: int, service, **kwargs) -> Response:
        answer = _visible_answer(answer_id, request.user)
        try:
            service(answer=answer, **kwargs)
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            raise_drf(exc)
        return Response(_answer_data(request, answer))


class AnswerAcceptView(AnswerActionView):
    @extend_schema(request=None, responses=AnswerSerializer)
    def post(self, request: Request, answer_id: int) -> Response:
        """The asker (or staff) accepts this answer, replacing an earlier one."""
        return self._apply(request, answer_id, services.answer_accept, by=request.user)

    @extend_schema(request=None, responses={200: AnswerSerializer})
    def delete(self, request: Request, answer_id: int) -> Response:
        return self._apply(
            request, answer_id, services.answer_unaccept, by=request.user
        )


class AnswerHelpfulView(AnswerActionView):
    throttle_scope = "experts.helpful"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(request=None, responses=AnswerSerializer)
    def post(self, request: Request, answer_id: int) -> Response:
        """Mark an answer helpful (not your own). Marking twice counts once."""
        return self._apply(
            request, answer_id, services.answer_helpful, user=request.user
        )

    @extend_schema(request=None, responses={200: AnswerSerializer})
    def delete(self, request: Request, answer_id: int) -> Response:
        return self._apply(
            request, answer_id, services.answer_unhelpful, user=request.user
        )


class AnswerVerifyView(AnswerActionView):
    permission_classes = [IsAdminUser]

    def _verify(self, request: Request, answer_id: int, verified: bool) -> Response:
        serializer = VerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._apply(
            request,
            answer_id,
            services.answer_verify,
            by=request.user,
            verified=verified,
            note=serializer.validated_data.get("note", ""),
        )

    @extend_schema(request=VerifySerializer, responses=AnswerSerializer)
    def post(self, request: Request, answer_id: int) -> Response:
        """Staff mark the answer as verified by the brand."""
        return self._verify(request, answer_id, verified=True)

    @extend_schema(request=VerifySerializer, responses={200: AnswerSerializer})
    def delete(self, request: Request, answer_id: int) -> Response:
        """Staff withdraw the verification."""
        return self._verify(request, answer_id, verified=False)


class ExpertListView(APIView):
    permission_classes = [ReadOrMember]
    # Documents the list as paginated (drf-spectacular reads this attribute);
    # get() pages with it too.
    pagination_class = PageNumberPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("focus_area", str, description="A focus area slug."),
            OpenApiParameter("page", int),
        ],
        responses=ExpertSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Members currently in the expert programme, most reputation first."""
        qs = selectors.expert_list(
            focus_area=request.query_params.get("focus_area", "")[:60]
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        serializer = ExpertSerializer(page, many=True, context={"levels": levels()})
        return paginator.get_paginated_response(serializer.data)
