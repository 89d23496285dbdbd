"""The two value types that cross the boundary of `portal.semantic`."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SemanticDocument:
    """One searchable record, as a registered loader returns it.

    `text` is everything that should be searchable (a loader usually joins the
    title and the body). `meta` must be JSON-serialisable; its keys can be used
    as equality filters in `similar()` and come back on each `Hit`. Typical keys:
    title, url, language, focus_area, status, vote_count, visible.
    """

    kind: str
    object_id: int
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """One result of `similar()`.

    `score` is the reciprocal-rank-fusion score: higher is better, and it only
    orders the hits of one query; it is not a similarity on a fixed scale.
    """

    kind: str
    object_id: int
    score: float
    meta: dict[str, Any] = field(default_factory=dict)
