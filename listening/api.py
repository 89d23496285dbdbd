"""The listening API under /api/v1/ (Django REST framework), for staff only.

Mentions (with their enrichment fields and where they stand in the webcare
inbox; the raw payload stays in the database), sources and trackers. Source
settings can hold credentials, so any setting whose name suggests one is
masked in every response.

The webcare actions (issue 6) are thin wrappers around the services in
listening/webcare.py and listening/consent.py: assign, record a reply, link to
an idea or question, draft an invitation. The API never posts anything to a
network: a reply sent through a connector needs a staff member's explicit
click in the admin inbox; here staff only record what they posted by hand.
The one endpoint open to anyone is the opt-out.
"""

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal.core.api import PageNumberPagination

from . import consent, inbox, selectors, services
from .connectors.base import language_tag
from .models import (
    CorrectionField,
    Intent,
    Mention,
    MentionCorrection,
    MentionStatus,
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


SLA_STATES = ["", "met", "missed", "overdue", "due"]


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
    # Links as stored: empty when the post had none (or only an unsafe one),
    # so a plain string rather than a "uri" that "" would not satisfy.
    url = serializers.CharField(read_only=True)
    author_url = serializers.CharField(read_only=True)
    sla = serializers.SerializerMethodField(
        help_text=_(
            "The response-time target: “met” or “missed” once answered, "
            "“due” or “overdue” while waiting, empty without a clock."
        )
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
            "status",
            "assignee",
            "due_at",
            "first_response_at",
            "first_response_seconds",
            "sla",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=SLA_STATES))
    def get_sla(self, obj: Mention) -> str:
        return inbox.sla_state(obj, now=self.context.get("now"))


class MentionFilterSerializer(serializers.Serializer):
    """The list's first filters, kept as they were: ids are not looked up
    (an unknown one lists nothing), any language code, case-insensitive."""

    source = serializers.IntegerField(required=False, min_value=1)
    tracker = serializers.IntegerField(required=False, min_value=1)
    language = serializers.CharField(required=False, max_length=10)
    since = serializers.DateTimeField(required=False)


LEGACY_FILTERS = tuple(MentionFilterSerializer._declared_fields)
# The inbox form takes checkboxes ("on" or missing); the API takes words too.
BOOLEAN_FILTERS = ("overdue", "lead")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")
# The API listed mentions newest first before it had inbox filters, and still
# does unless ?sort= says otherwise; the admin inbox sorts by due time.
API_DEFAULT_SORT = "-posted"


def _inbox_form_data(params: QueryDict) -> tuple[QueryDict, dict]:
    """The query string as InboxFilterForm data, with the API's defaults:
    every status, newest first. Also the errors of boolean filters that are
    not a yes or a no."""
    data = params.copy()
    errors: dict = {}
    for key in LEGACY_FILTERS:
        data.pop(key, None)
    statuses = [s for s in data.getlist("status") if s.strip()]
    data.setlist("status", statuses or [inbox.ALL])
    if not (data.get("sort") or "").strip():
        data["sort"] = API_DEFAULT_SORT
    for key in BOOLEAN_FILTERS:
        if key not in data:
            continue
        word = (data.get(key) or "").strip().lower()
        if word in TRUE_WORDS:
            data[key] = "on"
        elif word in FALSE_WORDS:
            data.pop(key)
        else:
            errors[key] = [_("Use true or false.")]
    return data, errors


def _form_errors(form) -> dict:
    return {
        ("non_field_errors" if field == "__all__" else field): [
            e["message"] for e in errs
        ]
        for field, errs in form.errors.get_json_data().items()
    }


def _legacy_filtered(qs: QuerySet, data: dict) -> QuerySet:
    if data.get("source"):
        qs = qs.filter(source_id=data["source"])
    if data.get("tracker"):
        through = Mention.trackers.through
        qs = qs.filter(
            Exists(
                through.objects.filter(
                    mention_id=OuterRef("pk"), tracker_id=data["tracker"]
                )
            )
        )
    if data.get("language"):
        qs = qs.filter(language=data["language"].lower())
    if data.get("since"):
        qs = qs.filter(posted_at__gte=data["since"])
    return qs


def mention_inbox_list(params: QueryDict, *, user) -> QuerySet[Mention]:
    """Mentions for the API's query string: the first filters (source,
    tracker, language, since) and the inbox's (InboxFilterForm), validated
    together; a ValidationError lists every bad filter by name."""
    legacy = MentionFilterSerializer(data=params)
    legacy_ok = legacy.is_valid()
    data, errors = _inbox_form_data(params)
    form = inbox.InboxFilterForm(data, user=user)
    if not form.is_valid():
        errors.update(_form_errors(form))
    if not legacy_ok:
        errors.update(legacy.errors)
    if errors:
        raise serializers.ValidationError(errors)
    qs = inbox.inbox_queryset(form.cleaned_data, user=user)
    qs = _legacy_filtered(qs, legacy.validated_data)
    return mentions_with_correction_flags(
        qs.defer("raw").prefetch_related(
            Prefetch("trackers", queryset=Tracker.objects.only("pk"))
        )
    )


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
        # ListField's own count check runs on what to_internal_value returns,
        # here one joined string, so it counted characters: eight long terms
        # were refused and 300 empty ones passed. The count is checked on the
        # list below instead; max_length stays for the schema (maxItems).
        self.validators = [
            v for v in self.validators if not isinstance(v, MaxLengthValidator)
        ]

    def to_internal_value(self, data):
        terms = super().to_internal_value(data)
        if len(terms) > TERMS_MAX:
            self.fail("max_length", max_length=TERMS_MAX)
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


SORT_CHOICES = [
    *inbox.SORTS,
    *(f"-{key}" for key in inbox.SORTS),
]


class MentionListView(APIView):
    permission_classes = [IsAdminUser]
    # Documents the list as paginated (drf-spectacular reads this attribute);
    # get() pages with it too.
    pagination_class = PageNumberPagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                many=True,
                enum=[inbox.ALL, *MentionStatus.values],
                description=(
                    "Inbox status; repeat for several (?status=new&status="
                    "assigned). Default: every status."
                ),
            ),
            OpenApiParameter("source", int, description="A source id."),
            OpenApiParameter("tracker", int, description="A tracker id."),
            OpenApiParameter("language", str, description="A language code."),
            OpenApiParameter(
                "since", str, description="Posted at or after (ISO 8601)."
            ),
            OpenApiParameter("sentiment", str, enum=SentimentLabel.values),
            OpenApiParameter("intent", str, enum=Intent.values),
            OpenApiParameter(
                "influence", float, description="Influence at least (0-100)."
            ),
            OpenApiParameter(
                "assignee",
                str,
                description="A staff member's id, “me” or “none” (unassigned).",
            ),
            OpenApiParameter(
                "age", str, enum=list(inbox.AGES), description="Posted within."
            ),
            OpenApiParameter(
                "overdue",
                bool,
                description="Only open mentions past their response target.",
            ),
            OpenApiParameter("lead", bool, description="Only sales leads."),
            OpenApiParameter("idea", int, description="Linked to this idea id."),
            OpenApiParameter(
                "sort",
                str,
                enum=SORT_CHOICES,
                description="Sort column; “-” first for descending. "
                "Default: -posted (newest first).",
            ),
            OpenApiParameter("page", int),
        ],
        responses=MentionSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Mentions with their enrichment and inbox state, newest first.

        Takes the webcare inbox's filters (listening.inbox.InboxFilterForm)
        besides the first ones (source, tracker, language, since). Unlike the
        admin inbox, which shows open mentions by due time, the API lists
        every status newest first unless ?status= or ?sort= is given, as it
        did before the inbox existed. A bad filter is answered 400 with the
        errors per filter name.
        """
        qs = mention_inbox_list(request.query_params, user=request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        serializer = MentionSerializer(page, many=True, context={"now": timezone.now()})
        return paginator.get_paginated_response(serializer.data)


class SourceListView(APIView):
    permission_classes = [IsAdminUser]
    # Documents the list as paginated (drf-spectacular reads this attribute);
    # get() pages with it too.
    pagination_class = PageNumberPagination

    @extend_schema(
        parameters=[OpenApiParameter("page", int)],
        responses=SourceSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Sources with their health; credentials in settings are masked."""
        qs = Source.objects.order_by("name", "pk")
        paginator = self.pagination_class()
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
    # Documents the list as paginated (drf-spectacular reads this attribute);
    # get() pages with it too.
    pagination_class = PageNumberPagination

    @extend_schema(
        parameters=[OpenApiParameter("page", int)],
        responses=TrackerSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Trackers: the brands, competitors and topics listened for."""
        qs = Tracker.objects.order_by("name", "pk")
        paginator = self.pagination_class()
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
