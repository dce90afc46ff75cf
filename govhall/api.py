"""The HTTP API under /api/v1: routers of every app, one error shape `{"detail": …}`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from govhall.queueing.errors import QueueError

api = NinjaAPI(
    title="govhall API",
    version="1",
    description="Smart government service halls: halls, tickets, calling, guidance and monitoring.",
    urls_namespace="api-v1",
)


@api.exception_handler(QueueError)
def queue_error(request: HttpRequest, exc: QueueError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.detail}, status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "authentication required: Authorization: Bearer TOKEN"}, status=401
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def _register() -> None:
    from govhall.appointments.api import router as appointments_router
    from govhall.assistant.api import router as assistant_router
    from govhall.dashboard.api import router as dashboard_router
    from govhall.guide.api import router as guide_router
    from govhall.insights.api import router as insights_router
    from govhall.monitor.api import router as monitor_router
    from govhall.queueing.api import router as queue_router
    from govhall.ratings.api import router as ratings_router
    from govhall.reminders.api import router as reminders_router
    from govhall.remotehelp.api import router as remotehelp_router
    from govhall.staff.api import router as staff_router

    api.add_router("/", queue_router)
    api.add_router("/guide", guide_router)
    api.add_router("/monitor", monitor_router)
    api.add_router("/insights", insights_router)
    api.add_router("/appointments", appointments_router)
    api.add_router("/ratings", ratings_router)
    api.add_router("/reminders", reminders_router)
    api.add_router("/dashboard", dashboard_router)
    api.add_router("/staff", staff_router)
    api.add_router("/remotehelp", remotehelp_router)
    api.add_router("/assistant", assistant_router)


_register()
