"""The optional HTTP endpoint of a bot process: /healthz for orchestrators, /metrics for Prometheus."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.core.service import CoachService

log = logging.getLogger(__name__)


def build_app(service: CoachService) -> web.Application:
    async def healthz(_request: web.Request) -> web.Response:
        # Unhealthy means it cannot serve: index or database down. A model that is down is
        # reported, but the coach still answers (offline), so a restart would not help.
        checks = await service.health()
        healthy = checks["index"]["ok"] and checks["database"]["ok"]
        body = {
            "ok": healthy,
            "degraded": not all(check["ok"] for check in checks.values()),
            "checks": checks,
            "in_flight": service.in_flight,
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics(_request: web.Request) -> web.Response:
        response = web.Response(body=generate_latest())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_http(service: CoachService, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(build_app(service), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.warning("health and metrics on http://%s:%d/healthz and /metrics", host, port)
    return runner
