"""Enrichment: pure functions over a mention's text, run in batches by the
pipeline. Nothing here touches models, the database or settings."""

from listening.enrichment.cluster import cluster_key
from listening.enrichment.language import language_detect
from listening.enrichment.trackers import TrackerQuery, trackers_matching

__all__ = ["TrackerQuery", "cluster_key", "language_detect", "trackers_matching"]
