"""`POST /api/v1/mentions/import/` and `GET /api/v1/mentions/imports/{id}/`.

Staff only. A file up to LISTENING_IMPORT_SYNC_MAX_BYTES is imported during
the request and answered 200 with the report; a bigger one is stored as an
ImportJob, imported by a worker, and answered 202 with the job and a
Location to poll. A file that cannot be read at all (unknown format, a
header without the required columns, JSON that is not an array, an empty
file) is answered 400 with the reason, and nothing is stored. Both paths run
`listening.imports.mentions_import`, as the management command does.
"""

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.text import db_id

from .connectors.upload import FORMATS, PRESETS
from .imports import (
    DEFAULT_SOURCE,
    ImportFormatError,
    format_from_name,
    import_job_create,
    mentions_import,
)
from .models import ImportJob, Source, SourceKind


# The schema's default for a FileField is a URL (what it returns); uploads are
# binary (COMPONENT_SPLIT_REQUEST is off project-wide).
@extend_schema_field({"type": "string", "format": "binary"})
class UploadField(serializers.FileField):
    pass


class ImportRequestSerializer(serializers.Serializer):
    file = UploadField(
        help_text=_("A CSV, JSON (an array of objects) or NDJSON export.")
    )
    preset = serializers.ChoiceField(
        choices=sorted(PRESETS), help_text=_("The column mapping of the export.")
    )
    format = serializers.ChoiceField(
        choices=FORMATS,
        required=False,
        help_text=_("Default: from the file name's extension."),
    )
    source = serializers.CharField(
        required=False,
        max_length=120,
        help_text=_(
            "Name or id of an upload source; a new name creates one. "
            'Default: "Uploads".'
        ),
    )

    def validate(self, attrs):
        upload = attrs["file"]
        attrs["format"] = attrs.get("format") or format_from_name(upload.name)
        if not attrs["format"]:
            raise serializers.ValidationError(
                {"format": [_("Cannot tell the format from the file name; give one.")]}
            )
        if not upload.size:
            raise serializers.ValidationError({"file": [_("The file is empty.")]})
        source = (attrs.get("source") or "").strip() or DEFAULT_SOURCE
        if source.isascii() and source.isdigit():
            found = Source.objects.filter(pk=db_id(source) or 0).first()
            if found is None:
                raise serializers.ValidationError(
                    {"source": [_("No source with this id.")]}
                )
            if found.kind != SourceKind.UPLOAD:
                raise serializers.ValidationError(
                    {"source": [_("Files can only be imported into an upload source.")]}
                )
            attrs["source"] = found
        else:
            clash = (
                Source.objects.filter(name=source[:120])
                .exclude(kind=SourceKind.UPLOAD)
                .exists()
            )
            if clash:
                raise serializers.ValidationError(
                    {"source": [_("A source of another kind has this name.")]}
                )
            attrs["source"] = source
        return attrs


class ReasonSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    reason = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    unmatched = serializers.IntegerField(
        help_text=_("Rows that matched no tracker: not stored.")
    )
    rejected_total = serializers.IntegerField()
    rejected = ReasonSerializer(
        many=True, help_text=_("The first 1,000 rejected rows with their reason.")
    )
    warnings_total = serializers.IntegerField()
    warnings = ReasonSerializer(
        many=True, help_text=_("Rows kept with a warning (an unreadable date).")
    )


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(
        help_text=_("Share of the file read, 0 to 1.")
    )
    rejected = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "status",
            "source",
            "original_name",
            "format",
            "preset",
            "size",
            "bytes_done",
            "rows_done",
            "progress",
            "imported",
            "duplicates",
            "unmatched",
            "rejected_total",
            "rejected",
            "warnings",
            "error",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, job: ImportJob) -> float:
        if job.status == "done":
            return 1.0
        return round(min(job.bytes_done / job.size, 1.0), 4) if job.size else 0.0

    def get_rejected(self, job: ImportJob) -> list[dict]:
        return (job.report or {}).get("rejected") or []

    def get_warnings(self, job: ImportJob) -> list[dict]:
        return (job.report or {}).get("warnings") or []

    def get_url(self, job: ImportJob) -> str:
        return reverse("api:mention_import_job", args=[job.pk])


class MentionImportView(APIView):
    permission_classes = [IsAdminUser]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: ImportReportSerializer,
            202: OpenApiResponse(
                ImportJobSerializer,
                description=_(
                    "Too big to import during the request: stored as a job. "
                    "Poll the Location."
                ),
            ),
            400: OpenApiResponse(description=_("The file cannot be read at all.")),
        },
    )
    def post(self, request: Request) -> Response:
        """Import an export of a listening tool; returns the import report."""
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        try:
            if upload.size <= settings.LISTENING_IMPORT_SYNC_MAX_BYTES:
                report = mentions_import(
                    source=data["source"],
                    stream=upload,
                    format=data["format"],
                    preset=data["preset"],
                )
                return Response(ImportReportSerializer(report.as_dict()).data)
            with transaction.atomic():
                job = import_job_create(
                    upload=upload,
                    preset=data["preset"],
                    format=data["format"],
                    source=data["source"],
                    created_by=request.user,
                )
        except ImportFormatError as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        body = ImportJobSerializer(job).data
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]}
        )


class ImportJobDetailView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses=ImportJobSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        """A background import: status, progress and the report so far."""
        job = get_object_or_404(ImportJob, pk=job_id)
        return Response(ImportJobSerializer(job).data)
