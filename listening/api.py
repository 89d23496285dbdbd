"""The listening API under /api/v1/ (Django REST framework), for staff only.

Mentions (read-only, with their enrichment fields; the raw payload stays in
the database), sources and trackers. Source settings can hold credentials, so
any setting whose name suggests one is masked in every response.
"""

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import consent, selectors, services
from .connectors.base import language_tag
from .models import (
    CorrectionField,
    Intent,
    Mention,
    MentionCorrection,
    SentimentLabel,
    Source,
    SourceKind,
    Tracker,
    TrackerKind,
)

# Settings whose name contains one of these are credentials: never returned.
SECRET_MARKERS = ("secret", "token", "password", "api_key", "apikey")
MASK = "********"
CONFIG_MAX_CHARS = 10_000
# Kinds that are fetched from an address; the others receive pushes or files.
KINDS_NEEDING_URL = (SourceKind.RSS, SourceKind.MASTODON)
WEBHOOK_SECRET_MIN = 32
TERMS_MAX = 200
TERM_MAX_CHARS = 200


def config_masked(value):
    """A copy of source settings with credential values replaced by MASK."""
    if isinstance(value, dict):
        return {
            key: (
                MASK
                if value[key] not in (None, "")
                and any(m in str(key).lower() for m in SECRET_MARKERS)
                else config_masked(value[key])
            )
            for key in value
        }
    if isinstance(value, list):
        return [config_masked(v) for v in value]
    return value


class MentionSerializer(serializers.ModelSerializer):
    trackers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    # Annotated by mentions_with_correction_flags (no query per row).
    intent_corrected = serializers.BooleanField(
        read_only=True, help_text=_("Staff corrected the intent by hand.")
    )
    sentiment_corrected = serializers.BooleanField(
        read_only=True, help_text=_("Staff corrected the sentiment by hand.")
    )

    class Meta:
        model = Mention
        fields = [
            "id",
            "source",
            "external_id",
            "url",
            "author_handle",
            "author_name",
            "author_url",
            "author_followers",
            "text",
            "language",
            "language_confidence",
            "posted_at",
            "fetched_at",
            "trackers",
            "cluster_key",
            "sentiment_score",
            "sentiment_label",
            "intent",
            "intent_confidence",
            "is_lead",
            "is_competitor",
            "influence",
            "intent_corrected",
            "sentiment_corrected",
        ]
        read_only_fields = fields


class MentionFilterSerializer(serializers.Serializer):
    source = serializers.IntegerField(required=False, min_value=1)
    tracker = serializers.IntegerField(required=False, min_value=1)
    language = serializers.CharField(required=False, max_length=10)
    since = serializers.DateTimeField(required=False)


class SourceSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    config = serializers.DictField(
        required=False,
        help_text=_(
            "Settings for the connector. Values of settings named like a "
            "secret, token, password or API key are never returned."
        ),
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "kind",
            "url",
            "config",
            "enabled",
            "interval_minutes",
            "last_run_at",
            "last_success_at",
            "last_error",
            "last_error_at",
            "consecutive_failures",
            "fetched_total",
            "rate_limited_until",
            "created_at",
        ]
        read_only_fields = [
            "last_run_at",
            "last_success_at",
            "last_error",
            "last_error_at",
            "consecutive_failures",
            "fetched_total",
            "rate_limited_until",
            "created_at",
        ]
        extra_kwargs = {"interval_minutes": {"min_value": 1, "max_value": 7 * 24 * 60}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["config"] = config_masked(data.get("config") or {})
        return data

    def validate_url(self, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError(_("Use an http or https address."))
        return value

    def validate_config(self, value):
        if len(json.dumps(value)) > CONFIG_MAX_CHARS:
            raise serializers.ValidationError(_("Settings are too large."))
        return value

    def validate(self, attrs):
        kind = attrs.get("kind")
        config = attrs.get("config") or {}
        if kind in KINDS_NEEDING_URL and not attrs.get("url"):
            raise serializers.ValidationError(
                {"url": [_("This kind of source needs an address.")]}
            )
        if kind == SourceKind.WEBHOOK:
            secret = config.get("secret")
            if not isinstance(secret, str) or len(secret) < WEBHOOK_SECRET_MIN:
                raise serializers.ValidationError(
                    {
                        "config": [
                            _(
                                "A webhook source needs a “secret” of at least "
                                "%(min)d characters."
                            )
                            % {"min": WEBHOOK_SECRET_MIN}
                        ]
                    }
                )
        return attrs


def _lines(text: str) -> list[str]:
    return [t.strip() for t in text.splitlines() if t.strip()]


def _codes(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class TermListField(serializers.ListField):
    """One term or phrase per item; stored one per line."""

    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.CharField(max_length=TERM_MAX_CHARS),
            required=False,
            max_length=TERMS_MAX,
            **kwargs,
        )

    def to_internal_value(self, data):
        terms = super().to_internal_value(data)
        if any("\n" in t or "\r" in t for t in terms):
            raise serializers.ValidationError(_("A term cannot span lines."))
        return "\n".join(t.strip() for t in terms if t.strip())

    def to_representation(self, value):
        return _lines(value or "")


class CodeListField(serializers.ListField):
    """Codes stored comma-separated."""

    def __init__(self, *, max_chars: int, **kwargs):
        self.max_chars = max_chars
        super().__init__(required=False, **kwargs)

    def to_internal_value(self, data):
        codes = list(dict.fromkeys(super().to_internal_value(data)))
        joined = ",".join(codes)
        if len(joined) > self.max_chars:
            raise serializers.ValidationError(_("Too many codes."))
        return joined

    def to_representation(self, value):
        return _codes(value or "")


class LanguageCodeField(serializers.CharField):
    def to_internal_value(self, data):
        code = language_tag(super().to_internal_value(data))
        if not code:
            raise serializers.ValidationError(
                _("Use a language code such as “en” or “nl”.")
            )
        return code


class TrackerSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=TrackerKind.choices)
    any_terms = TermListField()
    all_terms = TermListField()
    none_terms = TermListField()
    phrases = TermListField()
    languages = CodeListField(
        child=LanguageCodeField(max_length=10),
        max_chars=Tracker._meta.get_field("languages").max_length,
        help_text=_("Language codes; empty: any language."),
    )
    source_kinds = CodeListField(
        child=serializers.ChoiceField(choices=SourceKind.choices),
        max_chars=Tracker._meta.get_field("source_kinds").max_length,
        help_text=_("Source kinds; empty: all."),
    )

    class Meta:
        model = Tracker
        fields = [
            "id",
            "name",
            "kind",
            "any_terms",
            "all_terms",
            "none_terms",
            "phrases",
            "languages",
            "source_kinds",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        if not any(attrs.get(k) for k in ("any_terms", "all_terms", "phrases")):
            raise serializers.ValidationError(
                {
                    "any_terms": [
                        _(
                            "Give at least one any-of or all-of term or phrase; "
                            "a tracker without them matches nothing."
                        )
                    ]
                }
            )
        return attrs


class MentionListView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[
            OpenApiParameter("source", int, description="A source id."),
            OpenApiParameter("tracker", int, description="A tracker id."),
            OpenApiParameter("language", str, description="A language code."),
            OpenApiParameter(
                "since", str, description="Posted at or after (ISO 8601)."
            ),
            OpenApiParameter("page", int),
        ],
        responses=MentionSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Mentions with their enrichment, newest first."""
        filters = MentionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = mentions_with_correction_flags(
            selectors.mention_list(**filters.validated_data)
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(MentionSerializer(page, many=True).data)


class SourceListView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[OpenApiParameter("page", int)],
        responses=SourceSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Sources with their health; credentials in settings are masked."""
        qs = Source.objects.order_by("name", "pk")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(SourceSerializer(page, many=True).data)

    @extend_schema(request=SourceSerializer, responses={201: SourceSerializer})
    def post(self, request: Request) -> Response:
        """Add a source. A webhook source needs a "secret" in its settings."""
        serializer = SourceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = services.source_create(**serializer.validated_data)
        return Response(SourceSerializer(source).data, status=status.HTTP_201_CREATED)


class TrackerListView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[OpenApiParameter("page", int)],
        responses=TrackerSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Trackers: the brands, competitors and topics listened for."""
        qs = Tracker.objects.order_by("name", "pk")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(TrackerSerializer(page, many=True).data)

    @extend_schema(request=TrackerSerializer, responses={201: TrackerSerializer})
    def post(self, request: Request) -> Response:
        """Add a tracker; terms and phrases are lists, one term per item."""
        serializer = TrackerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tracker = services.tracker_create(**serializer.validated_data)
        return Response(TrackerSerializer(tracker).data, status=status.HTTP_201_CREATED)


def mentions_with_correction_flags(qs):
    """`intent_corrected` and `sentiment_corrected` on every row, as EXISTS
    subqueries in the same query."""
    corrections = MentionCorrection.objects.filter(mention=OuterRef("pk"))
    return qs.annotate(
        intent_corrected=Exists(corrections.filter(field=CorrectionField.INTENT)),
        sentiment_corrected=Exists(corrections.filter(field=CorrectionField.SENTIMENT)),
    )


def _mention_detail(pk: int) -> Mention:
    return get_object_or_404(
        mentions_with_correction_flags(selectors.mention_list()), pk=pk
    )


class MentionCorrectionSerializer(serializers.Serializer):
    field = serializers.ChoiceField(
        choices=CorrectionField.choices,
        help_text=_("The label to correct: “intent” or “sentiment”."),
    )
    value = serializers.CharField(
        max_length=20,
        help_text=_(
            "Intent: question, complaint, idea, praise, lead or other. "
            "Sentiment: positive, neutral or negative."
        ),
    )

    def validate(self, attrs):
        field, value = attrs["field"], attrs["value"]
        choices = (
            Intent.values if field == CorrectionField.INTENT else SentimentLabel.values
        )
        if value not in choices:
            raise serializers.ValidationError(
                {
                    "value": [
                        _(
                            "“%(value)s” is not a valid %(field)s; choose one of: "
                            "%(choices)s."
                        )
                        % {
                            "value": value,
                            "field": field,
                            "choices": ", ".join(choices),
                        }
                    ]
                }
            )
        return attrs


class MentionDetailView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses={200: MentionSerializer})
    def get(self, request: Request, pk: int) -> Response:
        """One mention with its enrichment and whether staff corrected it."""
        return Response(MentionSerializer(_mention_detail(pk)).data)


class MentionCorrectView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=MentionCorrectionSerializer,
        responses={200: MentionSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Correct a mention's intent or sentiment by hand.

        The correction is recorded, teaches the few-shot classifier, and is
        never overwritten by automatic relabelling. The same value again
        changes nothing.
        """
        mention = get_object_or_404(Mention.objects.only("pk"), pk=pk)
        serializer = MentionCorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.mention_correct(
                mention=mention,
                field=serializer.validated_data["field"],
                value=serializer.validated_data["value"],
                user=request.user,
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                {exc.code or "non_field_errors": exc.messages}
            ) from exc
        return Response(MentionSerializer(_mention_detail(pk)).data)


class OptOutSerializer(serializers.Serializer):
    handle = serializers.CharField(
        max_length=255, help_text=_("The handle that must never be invited.")
    )
    source = serializers.ChoiceField(
        choices=SourceKind.choices,
        required=False,
        allow_blank=True,
        help_text=_("The network the handle is on (a source kind)."),
    )

    def validate_handle(self, value: str) -> str:
        if not consent.handle_normalise(value):
            raise serializers.ValidationError(_("Enter a handle."))
        return value


class OptOutAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


OPTOUT_ACCEPTED = _("Noted. This handle will not be invited.")


class OptOutView(APIView):
    """Anyone may opt a handle out of invitations; no login needed."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "listening.optout"

    @extend_schema(
        request=OptOutSerializer,
        responses={202: OptOutAcceptedSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        """Never invite this handle. The answer is the same whether or not the
        handle is known (202 with the same body); asking again changes
        nothing. Throttled per address."""
        serializer = OptOutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent.optout_record(
            handle=serializer.validated_data["handle"],
            network=serializer.validated_data.get("source", ""),
            via="api",
        )
        return Response(
            {"detail": str(OPTOUT_ACCEPTED)}, status=status.HTTP_202_ACCEPTED
        )
