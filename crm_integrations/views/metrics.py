"""``/metrics``: the provider health as Prometheus gauges (prometheus-client), for operators' own
Grafana. Every value comes from crm_integrations/health_data.py over the last hour (rollups, never
the raw call records), labelled by provider, organization (its slug), connection (its id) and, per
endpoint, the endpoint template; nothing secret is ever a label or value.

Allowed to a staff session, or to a scraper sending ``Authorization: Bearer <METRICS_TOKEN>``
(compared in constant time; with ``METRICS_TOKEN`` empty only staff may read it). Built per request
in its own registry, so it reads the same in every gunicorn worker (no multiprocess directory).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from crm_integrations import health_data

LEVELS = {"healthy": 0, "degraded": 1, "failing": 2}
BASE = ["provider", "organization", "connection"]


def allowed(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return True
    token = getattr(settings, "METRICS_TOKEN", "")
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


class HealthCollector(Collector):
    def __init__(self, data: dict[str, Any], slugs: dict[Any, str]) -> None:
        self.data = data
        self.slugs = slugs

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauges = {
            "verdict": GaugeMetricFamily(
                "lead_routing_connection_health", "0 healthy, 1 degraded, 2 failing", labels=BASE
            ),
            "calls": GaugeMetricFamily(
                "lead_routing_api_calls_last_hour", "CRM API attempts in the last hour", labels=BASE
            ),
            "errors": GaugeMetricFamily(
                "lead_routing_api_errors_last_hour",
                "Failed CRM API attempts, by kind",
                labels=[*BASE, "kind"],
            ),
            "p95": GaugeMetricFamily(
                "lead_routing_api_latency_p95_ms",
                "p95 latency per endpoint template",
                labels=[*BASE, "endpoint"],
            ),
            "budget": GaugeMetricFamily(
                "lead_routing_rate_budget_peak_share",
                "Peak minute share of the rate budget used",
                labels=BASE,
            ),
            "queued": GaugeMetricFamily(
                "lead_routing_rate_limiter_queued_last_hour", "Calls that queued on our limiter", labels=BASE
            ),
            "breaker": GaugeMetricFamily(
                "lead_routing_circuit_breaker_open", "1 when the circuit breaker is not closed", labels=BASE
            ),
            "webhooks": GaugeMetricFamily(
                "lead_routing_webhook_deliveries_last_hour", "Webhook deliveries", labels=[*BASE, "outcome"]
            ),
            "lag": GaugeMetricFamily(
                "lead_routing_intake_lag_p95_ms", "Event in the CRM to taken in", labels=BASE
            ),
            "writes": GaugeMetricFamily(
                "lead_routing_writebacks", "Owner write-backs now pending or failed", labels=[*BASE, "state"]
            ),
            "allocation": GaugeMetricFamily(
                "lead_routing_daily_api_allocation",
                "The CRM's daily API allocation, as it last reported it",
                labels=BASE,
            ),
            "allocation_used": GaugeMetricFamily(
                "lead_routing_daily_api_allocation_used",
                "Calls used of the CRM's daily API allocation, as it last reported it",
                labels=BASE,
            ),
        }
        for row in self.data["connections"]:
            base = [row["provider"], self.slugs.get(row["organization"]["id"], ""), row["id"]]
            gauges["verdict"].add_metric(base, LEVELS[row["verdict"]["level"]])
            gauges["calls"].add_metric(base, row["calls_total"])
            for kind, count in row["error_totals"].items():
                gauges["errors"].add_metric([*base, kind], count)
            for endpoint in row["endpoints"]:
                gauges["p95"].add_metric(
                    [*base, f"{endpoint['method']} {endpoint['endpoint']}"], endpoint["p95_ms"]
                )
            gauges["budget"].add_metric(base, row["budget"]["peak_minute"] or 0.0)
            gauges["queued"].add_metric(base, row["budget"]["queued"])
            gauges["breaker"].add_metric(base, 0 if row["breaker"]["state"] == "Closed" else 1)
            webhooks = row["webhooks"]
            for outcome in ("deliveries", "refused", "duplicates"):
                gauges["webhooks"].add_metric([*base, outcome], webhooks[outcome])
            gauges["lag"].add_metric(base, webhooks["intake_lag_p95_ms"] or 0)
            gauges["writes"].add_metric([*base, "pending"], row["leads"]["writes_pending"])
            gauges["writes"].add_metric([*base, "failed"], row["leads"]["writes_failed"])
            if row["allocation"]:  # only CRMs that meter a day, once they have answered
                gauges["allocation"].add_metric(base, row["allocation"]["allocation"])
                gauges["allocation_used"].add_metric(base, row["allocation"]["used"])
        yield from gauges.values()


def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        response = HttpResponse("Staff session or METRICS_TOKEN bearer required.\n", status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    user = request.user
    staff = user.is_authenticated and user.is_staff
    # Staff see their organizations; the scraper's token stands for the whole deployment.
    connections = health_data.connections_for(user) if staff else health_data.all_connections()
    data = health_data.dashboard(connections, period_key="hour")
    slugs = {c.organization_id: c.organization.slug for c in connections}
    registry = CollectorRegistry()
    registry.register(HealthCollector(data, slugs))
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
