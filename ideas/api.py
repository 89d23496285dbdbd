"""The ideas API under /api/v1/ideas/ (Django REST framework)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal.core.api import PageNumberPagination, ReadOrMember, query_choice, raise_drf
from portal.pages.models import FocusArea

from . import selectors, services
from .models import Idea, IdeaMerge, IdeaStatus
from .services.submit import BODY_MAX, TITLE_MAX


class TagNamesField(serializers.ListField):
    """Tag names: a list of strings in, the idea's tag names out (one field,
    so the schema documents tags in the response too)."""

    def to_representation(self, data):
        return [tag.name for tag in data.all()]


class IdeaSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.public_name", read_only=True)
    focus_area = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=FocusArea.objects.all(),
        required=False,
        allow_null=True,
    )
    tags = TagNamesField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=8,
    )
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    has_voted = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Idea
        fields = [
            "id",
            "title",
            "body",
            "body_html",
            "author",
            "focus_area",
            "tags",
            "status",
            "vote_count",
            "comment_count",
            "has_official_response",
            "has_voted",
            "url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "body_html",
            "status",
            "vote_count",
            "comment_count",
            "has_official_response",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "title": {"max_length": TITLE_MAX},
            "body": {"max_length": BODY_MAX},
        }


IDEA_SORTS = ["trending", "top", "new", "updated"]


class IdeaListView(APIView):
    permission_classes = [ReadOrMember]
    # Documents the list as paginated (drf-spectacular reads this attribute);
    # get() pages with it too.
    pagination_class = PageNumberPagination
    throttle_scope = "ideas.submit"

    def get_throttles(self):
        if self.request.method == "POST":
            return [ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=list(IdeaStatus.values)),
            OpenApiParameter("focus_area", str),
            OpenApiParameter("ordering", str, enum=IDEA_SORTS),
            OpenApiParameter("search", str),
            OpenApiParameter("page", int),
        ],
        responses=IdeaSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        qs = selectors.idea_list(
            user=request.user,
            sort=query_choice(request, "ordering", IDEA_SORTS, "trending"),
            status=query_choice(request, "status", IdeaStatus.values),
            focus_area=request.query_params.get("focus_area", "")[:60],
            search=request.query_params.get("search", "")[:200],
            with_text=True,
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(IdeaSerializer(page, many=True).data)

    @extend_schema(request=IdeaSerializer, responses={201: IdeaSerializer})
    def post(self, request: Request) -> Response:
        serializer = IdeaSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            idea = services.idea_submit(
                author=request.user,
                title=data["title"],
                body=data["body"],
                focus_area=data.get("focus_area"),
                tags=data.get("tags", []),
                language=getattr(request, "LANGUAGE_CODE", ""),
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            raise_drf(exc)
        return Response(IdeaSerializer(idea).data, status=status.HTTP_201_CREATED)


class IdeaDetailView(APIView):
    permission_classes = [ReadOrMember]

    @extend_schema(responses=IdeaSerializer)
    def get(self, request: Request, idea_id: int) -> Response:
        idea = selectors.idea_detail(idea_id=idea_id, user=request.user)
        if idea is None or (idea.is_hidden and not request.user.is_staff):
            return Response({"detail": "Not found."}, status=404)
        return Response(IdeaSerializer(idea).data)


class IdeaVoteView(APIView):
    throttle_scope = "ideas.vote"
    throttle_classes = [ScopedRateThrottle]

    def _apply(self, request: Request, idea_id: int, service) -> Response:
        idea = get_object_or_404(Idea, pk=idea_id)
        try:
            service(idea=idea, user=request.user)
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            raise_drf(exc)
        fresh = selectors.idea_detail(idea_id=idea_id, user=request.user)
        return Response(IdeaSerializer(fresh).data)

    @extend_schema(request=None, responses=IdeaSerializer)
    def post(self, request: Request, idea_id: int) -> Response:
        return self._apply(request, idea_id, services.idea_vote)

    @extend_schema(request=None, responses={200: IdeaSerializer})
    def delete(self, request: Request, idea_id: int) -> Response:
        return self._apply(request, idea_id, services.idea_unvote)


class IdeaSimilarView(APIView):
    permission_classes = [ReadOrMember]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", str, description="The text to compare; empty gives no ideas."
            )
        ],
        responses=IdeaSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        text = request.query_params.get("q", "")[:300]
        ideas = selectors.idea_similar(text=text, k=5) if text.strip() else []
        return Response(IdeaSerializer(ideas, many=True).data)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[s for s in IdeaStatus.values if s != IdeaStatus.MERGED], required=False
    )
    response = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    admits_mistake = serializers.BooleanField(required=False, default=False)


class IdeaStatusView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(request=StatusChangeSerializer, responses=IdeaSerializer)
    def post(self, request: Request, idea_id: int) -> Response:
        idea = get_object_or_404(Idea, pk=idea_id)
        serializer = StatusChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.idea_respond(
                idea=idea, by=request.user, **serializer.validated_data
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            raise_drf(exc)
        return Response(IdeaSerializer(selectors.idea_detail(idea_id=idea_id)).data)


class IdeaMergeView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=inline_serializer("MergeRequest", {"into": serializers.IntegerField()}),
        responses=inline_serializer(
            "MergeResult",
            {"merge_id": serializers.IntegerField(), "target": IdeaSerializer()},
        ),
    )
    def post(self, request: Request, idea_id: int) -> Response:
        source = get_object_or_404(Idea, pk=idea_id)
        try:
            target_id = int(request.data.get("into"))
        except (TypeError, ValueError):
            raise ValidationError(
                {"into": [_("Give the id of the original idea.")]}
            ) from None
        target = get_object_or_404(Idea, pk=target_id)
        try:
            merge: IdeaMerge = services.idea_merge(
                source=source, target=target, by=request.user
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            raise_drf(exc)
        return Response(
            {
                "merge_id": merge.pk,
                "target": IdeaSerializer(selectors.idea_detail(idea_id=target.pk)).data,
            }
        )
