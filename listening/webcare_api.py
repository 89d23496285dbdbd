"""The webcare actions of the staff API (issue 6): assign, reply (recorded,
never posted), link and invite. Listing with the inbox filters is
`MentionListView` in listening/api.py."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from experts.models import Question
from ideas.models import Idea, IdeaStatus
from portal.core.text import db_id

from . import consent, webcare
from .api import MentionSerializer, _mention_detail
from .models import (
    Invitation,
    Mention,
    MentionLink,
    MentionReply,
    ReplyChannel,
)

# --- webcare actions (issue 6) ------------------------------------------------
#
# Each one is a thin wrapper around one service. The services check that the
# acting user is active staff (PermissionDenied → 403) and raise Django
# ValidationErrors, answered 400 with the messages per field.


def _validation_error(exc: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(exc.message_dict)
    return serializers.ValidationError({"non_field_errors": exc.messages})


def _mention_for_action(pk: int) -> Mention:
    return get_object_or_404(
        Mention.objects.defer("raw").select_related("source"), pk=pk
    )


def _mention_response(pk: int) -> Response:
    mention = _mention_detail(pk)
    return Response(MentionSerializer(mention, context={"now": timezone.now()}).data)


ME = "me"


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1},
            {"type": "string", "enum": [ME]},
        ],
        "nullable": True,
        "description": "A staff member's id, “me”, or null for nobody.",
    }
)
class AssigneeField(serializers.Field):
    default_error_messages = {
        "invalid": _("Use a staff member's id, “me” or null."),
    }

    def to_internal_value(self, data):
        if data == ME:
            return ME
        if isinstance(data, bool):
            self.fail("invalid")
        pk = db_id(data)
        if pk is not None:
            return pk
        self.fail("invalid")

    def to_representation(self, value):
        return value


class MentionAssignSerializer(serializers.Serializer):
    assignee = AssigneeField(allow_null=True)

    def validate_assignee(self, value):
        if value is None:
            return None
        user = self.context["request"].user
        if value == ME:
            return user
        assignee = get_user_model().objects.filter(pk=value).first()
        if assignee is None:
            raise serializers.ValidationError(_("No user with this id."))
        if not (assignee.is_active and assignee.is_staff):
            raise serializers.ValidationError(
                _("Mentions can only be assigned to active staff.")
            )
        return assignee


class MentionAssignView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(request=MentionAssignSerializer, responses={200: MentionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """Assign a mention to a staff member, to yourself ("me"), or to
        nobody (null). A new mention becomes "assigned"; an assigned one that
        loses its assignee goes back to "new"."""
        mention = _mention_for_action(pk)
        serializer = MentionAssignSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        try:
            webcare.mention_assign(
                mentions=[mention],
                assignee=serializer.validated_data["assignee"],
                by=request.user,
            )
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc
        return _mention_response(pk)


class MentionReplyRequestSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=webcare.REPLY_MAX_CHARS,
        help_text=_("The reply exactly as it was posted."),
        error_messages={
            "blank": _("Write the reply first."),
            "max_length": _("Keep the reply under {max_length} characters."),
        },
    )
    channel = serializers.ChoiceField(
        choices=[(ReplyChannel.MANUAL.value, ReplyChannel.MANUAL.label)],
        default=ReplyChannel.MANUAL.value,
        help_text=_(
            "Always “manual”: the API only records replies posted by hand. "
            "Posting through a network needs a click in the admin inbox."
        ),
        error_messages={
            "invalid_choice": _(
                "The API only records replies posted by hand: use “manual”. "
                "Posting through a network needs a click in the admin inbox."
            )
        },
    )


class MentionReplySerializer(serializers.ModelSerializer):
    first_response_seconds = serializers.SerializerMethodField(
        help_text=_("The mention's time to first response, in seconds.")
    )

    class Meta:
        model = MentionReply
        fields = [
            "id",
            "mention",
            "kind",
            "text",
            "channel",
            "replied_by",
            "created_at",
            "first_response_seconds",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_first_response_seconds(self, obj: MentionReply) -> int | None:
        return self.context["mention"].first_response_seconds


class MentionReplyView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=MentionReplyRequestSerializer,
        responses={201: MentionReplySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Record a public reply that staff posted by hand on the network.

        The API never posts anything itself: posting through a connector
        needs the explicit click in the admin inbox. The first reply to a
        mention fixes its time to first response (returned as
        first_response_seconds) and marks it "responded".
        """
        mention = _mention_for_action(pk)
        serializer = MentionReplyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            reply = webcare.reply_record(
                mention=mention,
                by=request.user,
                text=serializer.validated_data["text"],
                channel=serializer.validated_data["channel"],
            )
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc
        data = MentionReplySerializer(reply, context={"mention": mention}).data
        return Response(data, status=status.HTTP_201_CREATED)


class MentionLinkRequestSerializer(serializers.Serializer):
    idea = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text=_("An idea id.")
    )
    question = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text=_("A question id.")
    )

    def validate(self, attrs):
        idea_id, question_id = attrs.get("idea"), attrs.get("question")
        if (idea_id is None) == (question_id is None):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Give either an idea or a question.")]}
            )
        if idea_id is not None:
            idea = Idea.objects.filter(pk=idea_id).only(
                "pk", "is_hidden", "status", "merged_into"
            )
            found = idea.first()
            if found is None:
                raise serializers.ValidationError(
                    {"idea": [_("No idea with this id.")]}
                )
            if found.is_hidden:
                raise serializers.ValidationError(
                    {"idea": [_("This idea is hidden; it cannot be linked.")]}
                )
            if found.status == IdeaStatus.MERGED:
                raise serializers.ValidationError(
                    {
                        "idea": [
                            _("This idea was merged into idea %(id)s; link that one.")
                            % {"id": found.merged_into_id}
                        ]
                    }
                )
            return {"idea": found}
        found = (
            Question.objects.filter(pk=question_id)
            .only("pk", "is_hidden", "is_private")
            .first()
        )
        if found is None:
            raise serializers.ValidationError(
                {"question": [_("No question with this id.")]}
            )
        if found.is_hidden or found.is_private:
            raise serializers.ValidationError(
                {
                    "question": [
                        _("This question is hidden or private; it cannot be linked.")
                    ]
                }
            )
        return {"question": found}


class MentionLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = MentionLink
        fields = ["id", "mention", "idea", "question", "linked_by", "created_at"]
        read_only_fields = fields


class MentionLinkView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=MentionLinkRequestSerializer,
        responses={
            201: OpenApiResponse(MentionLinkSerializer, _("Linked.")),
            200: OpenApiResponse(MentionLinkSerializer, _("Linked before.")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Link a mention to a public idea ("heard on social") or a public
        question. Give one of the two. Linking the same pair again changes
        nothing: 201 the first time, 200 with the same link after. Hidden or
        merged ideas and hidden or private questions cannot be linked."""
        mention = _mention_for_action(pk)
        serializer = MentionLinkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = serializer.validated_data
        existed = MentionLink.objects.filter(mention=mention, **target).exists()
        try:
            link = webcare.mention_link(mention=mention, by=request.user, **target)
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc
        return Response(
            MentionLinkSerializer(link).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class InvitationRequestSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text=_(
            "Why a sensitive post may be answered with an invitation anyway. "
            "Only a “sensitive” refusal can be overridden; the reason is kept "
            "in the consent ledger."
        ),
    )


class InvitationDraftSerializer(serializers.ModelSerializer):
    invitation = serializers.IntegerField(source="pk", read_only=True)

    class Meta:
        model = Invitation
        fields = ["invitation", "status", "reply_text", "expires_at"]
        read_only_fields = fields


class InvitationRefusedSerializer(serializers.Serializer):
    refused = serializers.ChoiceField(
        choices=sorted(consent.REFUSAL_MESSAGES), help_text=_("Why, as a code.")
    )
    detail = serializers.CharField(
        allow_blank=True,
        help_text=_("More about the reason, e.g. the sensitive topic or “cooldown”."),
    )
    message = serializers.CharField(help_text=_("Why, in words for staff."))
    overridable = serializers.BooleanField(
        help_text=_("Whether an override_reason would let it through.")
    )


class MentionInviteView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=InvitationRequestSerializer,
        responses={
            201: OpenApiResponse(
                InvitationDraftSerializer, _("Drafted; nothing was sent.")
            ),
            409: OpenApiResponse(
                InvitationRefusedSerializer, _("Refused by the consent ledger.")
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Draft an invitation for the author of this mention.

        The consent ledger decides first: an opted-out person, someone
        invited before (under any of their linked handles), a sensitive post
        or a post without an author is refused with 409 Conflict and the
        reason ("refused" code, "message", and whether an override_reason
        would let it through). A drafted invitation is answered 201 with the
        reply text to post. Nothing is sent: staff post the reply themselves.
        """
        mention = _mention_for_action(pk)
        serializer = InvitationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = consent.invitation_offer(
            mention=mention,
            user=request.user,
            override_reason=serializer.validated_data.get("override_reason", ""),
        )
        if isinstance(result, consent.Refusal):
            return Response(
                {
                    "refused": result.code,
                    "detail": result.detail,
                    "message": result.message,
                    "overridable": result.overridable,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            InvitationDraftSerializer(result).data, status=status.HTTP_201_CREATED
        )
