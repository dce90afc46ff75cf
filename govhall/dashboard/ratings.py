"""The good-rating rate (好评率) when the ratings app has data, else None ("—" on screen).

The ratings app is built separately. Its own figures (`govhall.ratings.queries.summary`: final
rating after a re-rating counts, upheld appeals excluded) are used when it offers them; otherwise
the first model of the app with a rating-level choice field is read, good meaning every level
whose label is not a 差评 (不满意, 非常不满意). Anything unexpected means "no figure", never an error.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.cache import cache

log = logging.getLogger(__name__)
LEVEL_FIELDS = ("level", "score", "grade", "rating", "value")
TIME_FIELDS = ("rated_at", "created_at", "at", "created")
BAD_WORDS = ("不满意",)
CACHE_SECONDS = 60


def _model() -> tuple[Any, str, str, str, set[Any]] | None:
    from django.apps import apps

    if not apps.is_installed("govhall.ratings"):
        return None
    for model in apps.get_app_config("ratings").get_models():
        names: dict[str, Any] = {f.name: f for f in model._meta.get_fields()}
        level = next((n for n in LEVEL_FIELDS if n in names and getattr(names[n], "choices", None)), None)
        when = next((n for n in TIME_FIELDS if n in names), None)
        if level is None or when is None:
            continue
        if "hall" in names:
            hall_path = "hall_id"
        elif "ticket" in names:
            hall_path = "ticket__hall_id"
        else:
            continue
        choices = names[level].choices or []
        good = {value for value, label in choices if not any(w in str(label) for w in BAD_WORDS)}
        if good and len(good) < len(choices):
            return model, level, when, hall_path, good
    return None


def _figures(hall_ids: list[int] | None, since: dt.datetime, until: dt.datetime) -> dict[str, Any] | None:
    source = _model()
    if source is None:
        return None
    model, level, when, hall_path, good = source
    found = model.objects.filter(**{f"{when}__gte": since, f"{when}__lt": until})
    if hall_ids is not None:
        found = found.filter(**{f"{hall_path}__in": hall_ids})
    choices = model._meta.get_field(level).choices or []
    try:
        from govhall.ratings import queries

        theirs = queries.summary(None, None, ratings=found)
        rated, good_count = int(theirs["total"]), int(theirs["good"])
        counts = {str(k): int(v) for k, v in theirs.get("levels", {}).items()}
    except (ImportError, AttributeError, KeyError, TypeError):
        from django.db.models import Count

        rated = found.count()
        good_count = found.filter(**{f"{level}__in": sorted(good)}).count()
        counts = {str(k): n for k, n in found.values_list(level).annotate(n=Count("pk"))}
    if not rated:
        return None
    return {
        "rated": rated,
        "good": good_count,
        "rate": round(good_count / rated, 4),
        "levels": [
            {"level": str(label), "ratings": counts.get(str(value), 0), "good": value in good}
            for value, label in choices
        ],
    }


def summary(hall_ids: list[int] | None, since: dt.datetime, until: dt.datetime) -> dict[str, Any] | None:
    """{"rated", "good", "rate", "levels": [{"level", "ratings", "good"}]} over ratings made in
    [since, until) in the halls (None: every hall), or None without data."""
    key = f"govhall:dash:ratings:{hall_ids}:{since.isoformat()}:{until.isoformat()}"
    found = cache.get(key)
    if found is None:
        try:
            found = _figures(hall_ids, since, until) or {}
        except Exception:  # the ratings app is not ours: a change there must not break the screen
            log.warning("ratings figures unavailable", exc_info=True)
            found = {}
        cache.set(key, found, CACHE_SECONDS)
    return found or None
