from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import focus_area_list


class FocusAreaSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    name_nl = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()


class FocusAreaListView(APIView):
    """The brand's focus areas, which ideas, questions and mentions use."""

    permission_classes = [AllowAny]

    @extend_schema(responses=FocusAreaSerializer(many=True))
    def get(self, request: Request) -> Response:
        areas = focus_area_list()
        return Response(FocusAreaSerializer(areas, many=True).data)
