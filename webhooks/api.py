"""The webhooks API of signed-in publishers (sessions only, like tokens):
/api/v1/publishers/{name}/webhooks[/{id}[/test|/deliveries]]."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from naap.api import success
from naap.http import client_ip
from naap.schema import errors
from publishing.api.views import SessionWriteView, publisher_named
from webhooks import services
from webhooks.events import EVENT_NAMES
from webhooks.models import WebhookDelivery, WebhookEndpoint

LOG_ROWS = 100


class EndpointSerializer(serializers.ModelSerializer):
    publisher = serializers.CharField(source="publisher.name")
    events = serializers.ListField(child=serializers.CharField())
    secretPrefix = serializers.CharField(source="secret_prefix")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "publisher", "url", "events", "secretPrefix", "createdAt"]


class CreatedEndpointSerializer(EndpointSerializer):
    secret = serializers.CharField(help_text="The signing secret: returned this once only.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class EndpointRequestSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_NAMES), required=False, default=list
    )


class DeliverySerializer(serializers.ModelSerializer):
    responseStatus = serializers.IntegerField(source="response_status", allow_null=True)
    responseMs = serializers.IntegerField(source="response_ms", allow_null=True)
    nextAttemptAt = serializers.DateTimeField(source="next_attempt_at", allow_null=True)
    deliveredAt = serializers.DateTimeField(source="delivered_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "responseStatus",
            "responseMs",
            "error",
            "nextAttemptAt",
            "deliveredAt",
            "createdAt",
            "payload",
        ]


class WebhookView(SessionWriteView):
    token_refusal_message = "Sign in to manage webhooks; API tokens cannot."


class EndpointListView(WebhookView):
    @extend_schema(
        summary="A publisher's webhook endpoints",
        responses={200: EndpointSerializer(many=True), **errors(403, 404)},
    )
    def get(self, request, name: str):
        publisher = publisher_named(name)
        services.authorize(request.user, publisher)
        rows = WebhookEndpoint.objects.filter(publisher=publisher).select_related("publisher")
        return success(EndpointSerializer(rows, many=True).data)

    @extend_schema(
        summary="Register a webhook endpoint (the signing secret is returned once, as `secret`)",
        request=EndpointRequestSerializer,
        responses={201: CreatedEndpointSerializer, **errors(403, 404)},
    )
    def post(self, request, name: str):
        publisher = publisher_named(name)
        data = self.parsed(request, EndpointRequestSerializer)
        endpoint, secret = services.register_endpoint(
            actor=request.user,
            publisher=publisher,
            url=data["url"],
            events=data["events"],
            ip=client_ip(request),
        )
        endpoint.secret = secret
        return success(CreatedEndpointSerializer(endpoint).data, status_code=201)


class EndpointView(WebhookView):
    @extend_schema(
        summary="Remove a webhook endpoint and its delivery log",
        responses={200: EndpointSerializer, **errors(403, 404)},
    )
    def delete(self, request, name: str, endpoint_id: int):
        endpoint = services.delete_endpoint(
            actor=request.user,
            publisher=publisher_named(name),
            endpoint_id=endpoint_id,
            ip=client_ip(request),
        )
        return success(EndpointSerializer(endpoint).data)


class EndpointTestView(WebhookView):
    @extend_schema(
        summary="Queue a `webhook.test` delivery to an endpoint",
        request=None,
        responses={201: DeliverySerializer, **errors(403, 404)},
    )
    def post(self, request, name: str, endpoint_id: int):
        delivery = services.send_test_event(
            actor=request.user, publisher=publisher_named(name), endpoint_id=endpoint_id
        )
        return success(DeliverySerializer(delivery).data, status_code=201)


class DeliveryListView(WebhookView):
    @extend_schema(
        summary="An endpoint's delivery log, newest first (the last 100)",
        responses={200: DeliverySerializer(many=True), **errors(403, 404)},
    )
    def get(self, request, name: str, endpoint_id: int):
        endpoint = services.endpoint_for(request.user, publisher_named(name), endpoint_id)
        rows = endpoint.deliveries.order_by("-id")[:LOG_ROWS]
        return success(DeliverySerializer(rows, many=True).data)
