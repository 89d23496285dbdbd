from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import User


class MeSerializer(serializers.ModelSerializer):
    public_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["username", "email", "display_name", "public_name", "bio", "language"]
        read_only_fields = ["username", "email", "public_name"]


class MeView(APIView):
    """The signed-in member's own profile."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request: Request) -> Response:
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.profile_update(
            user=request.user,
            display_name=data.get("display_name", request.user.display_name),
            bio=data.get("bio", request.user.bio),
            language=data.get("language", request.user.language),
        )
        return Response(MeSerializer(user).data)
