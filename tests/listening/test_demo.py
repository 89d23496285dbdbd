"""The listening demo: trackers, switched-off sources and enriched posts."""

import pytest

from listening import demo
from listening.models import Mention, Source, Tracker

pytestmark = pytest.mark.django_db


def test_demo_seed_is_enriched_and_idempotent():
    demo.seed(home_en=None, nl=None, staff=None, members={})
    demo.seed(home_en=None, nl=None, staff=None, members={})

    assert Tracker.objects.count() == len(demo.TRACKERS)
    assert not Source.objects.filter(enabled=True).exists()
    mentions = Mention.objects.all()
    assert mentions.count() == len(demo.POSTS)
    assert set(mentions.values_list("language", flat=True)) == {"en", "nl"}
    assert mentions.filter(intent="question").exists()
    assert mentions.filter(intent="complaint").exists()
    assert mentions.filter(is_lead=True).exists()
    assert mentions.filter(is_competitor=True).exists()
    assert mentions.filter(sentiment_label="negative").exists()
    assert mentions.filter(sentiment_label="positive").exists()
    # The repost and the news post share a cluster.
    news = mentions.get(external_id="demo-15")
    assert mentions.get(external_id="demo-16").cluster_key == news.cluster_key
