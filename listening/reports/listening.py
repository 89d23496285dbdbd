"""The listening report: volume, sentiment, share of voice, topics and terms,
influential authors, intent mix and sales leads.

Counts come from the daily rollup (``MentionDaily``, listening/rollup.py), so
a year of a million mentions is a sum over a few thousand rows. Only three
lists read mentions themselves, each bounded: the sample for top terms, the
most influential authors and the latest sales leads.

How things are counted (the block descriptions say it to the reader too):

- "mentions" in volume, share of voice, topics and intent count a
  near-duplicate cluster once, on the day of its first copy;
- sentiment (shares, net sentiment, averages) weighs every post, copies
  included, because ``MentionDaily`` keeps score sums over all posts;
- without a tracker filter, totals count every post once; with trackers
  chosen, totals add up the chosen trackers (a post matching two of them
  counts twice: the rollup keeps no per-post overlap between trackers).

Every filter (trackers, language, source kind) applies to every block.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from portal.core.reports import (
    Chart,
    Figure,
    Heading,
    Period,
    ReportForm,
    Series,
    Table,
    as_bucket,
    local_tz,
    register_section,
    share,
)

from ..enrichment.terms import top_terms
from ..models import (
    Intent,
    Mention,
    MentionDaily,
    SentimentLabel,
    SourceKind,
    Tracker,
    TrackerKind,
)
from ..privacy import PSEUDONYM_PREFIX
from ..rollup import rollup_refresh

SLUG = "listening"
OTHER_LANGUAGE = "other"
TERMS_SAMPLE = 1000
TERMS_SHOWN = 20
TOPICS_SHOWN = 15
AUTHORS_SAMPLE = 500
AUTHORS_SHOWN = 20
LEADS_SHOWN = 50
EXCERPT = 140
_CONTEXT = "_listening"  # the per-request cache in the filters dict


def _language_choices() -> list[tuple[str, str]]:
    choices = [("", _("All languages"))]
    for code in settings.LISTENING_LANGUAGES:
        choices.append((code, _language_name(code)))
    choices.append((OTHER_LANGUAGE, _("Other languages")))
    return choices


def _language_name(code: str) -> str:
    if code == OTHER_LANGUAGE:
        return str(_("Other languages"))
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


class ListeningReportForm(ReportForm):
    trackers = forms.ModelMultipleChoiceField(
        label=_("Trackers"),
        queryset=Tracker.objects.filter(is_active=True).order_by("kind", "name"),
        required=False,
        help_text=_("None chosen: all mentions."),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=_language_choices, required=False
    )
    source_kind = forms.ChoiceField(
        label=_("Source"),
        choices=[("", _("All sources")), *SourceKind.choices],
        required=False,
    )


# --- the per-request context ----------------------------------------------------


@dataclass
class _Context:
    """What every section of one request shares: the rollup is refreshed
    once, trackers are read once, and the two rollup queries that several
    blocks use are run once."""

    trackers: dict[int, Tracker]
    selected: list[int]
    cache: dict = field(default_factory=dict)

    @property
    def total_label(self) -> str:
        if self.selected:
            return str(_("Selected trackers"))
        return str(_("All mentions"))

    def ordered(self, ids) -> list[Tracker]:
        """Trackers by kind (brand, competitors, topics), then name."""
        kinds = {k: i for i, k in enumerate(TrackerKind.values)}
        found = [self.trackers[i] for i in set(ids) if i in self.trackers]
        return sorted(found, key=lambda t: (kinds.get(t.kind, 9), t.name, t.pk))


def _context(filters: dict) -> _Context:
    ctx = filters.get(_CONTEXT)
    if ctx is None:
        rollup_refresh(wait=False, light=True)
        chosen = filters.get("trackers")
        selected = sorted(t.pk for t in chosen) if chosen is not None else []
        ctx = _Context(
            trackers={t.pk: t for t in Tracker.objects.order_by("pk")},
            selected=selected,
        )
        filters[_CONTEXT] = ctx
    return ctx


# --- reading the rollup -----------------------------------------------------------


def _daily(start: date, end: date, filters: dict) -> QuerySet[MentionDaily]:
    """Rollup rows of [start, end] with the language and source filters."""
    qs = MentionDaily.objects.filter(day__gte=start, day__lte=end)
    language = filters.get("language")
    if language == OTHER_LANGUAGE:
        qs = qs.exclude(language__in=settings.LISTENING_LANGUAGES)
    elif language:
        qs = qs.filter(language=language)
    if filters.get("source_kind"):
        qs = qs.filter(source_kind=filters["source_kind"])
    return qs


def _scope(ctx: _Context) -> Q:
    """The rows whose sum is "all mentions": every post once, or the chosen
    trackers."""
    if ctx.selected:
        return Q(tracker_id__in=ctx.selected)
    return Q(tracker__isnull=True)


_SUMS = (
    "clusters",
    "score_sum",
    "score_n",
    "negative",
    "positive",
    "labelled",
    "leads",
)


def _sums(where: Q | None = None) -> dict:
    """The aggregates every rollup read takes, named ``s_<name>`` (an alias
    may not shadow the column it adds up), optionally only over ``where``."""
    labels = {
        "negative": Q(sentiment_label=SentimentLabel.NEGATIVE),
        "positive": Q(sentiment_label=SentimentLabel.POSITIVE),
        "labelled": ~Q(sentiment_label=""),
    }
    out = {
        "s_clusters": Sum("clusters", filter=where),
        "s_score_sum": Sum("sentiment_sum", filter=where),
        "s_score_n": Sum("sentiment_n", filter=where),
        "s_leads": Sum("leads", filter=where),
    }
    for name, q in labels.items():
        out[f"s_{name}"] = Sum("mentions", filter=(where & q) if where else q)
    return out


def _by_bucket_and_tracker(period: Period, filters: dict, ctx: _Context) -> dict:
    """{(bucket, tracker id or None): sums}: the one scan of the period's
    rollup rows behind the headline, volume, sentiment per tracker, share of
    voice and topics. ``None`` is the total.

    Grouped by day, not by bucket: a few thousand rows at most, added up
    here, and PostgreSQL skips a date_trunc per row."""
    key = ("buckets", period)
    if key not in ctx.cache:
        qs = _daily(period.start, period.end, filters)
        if ctx.selected:
            qs = qs.filter(tracker_id__in=ctx.selected)
        rows = qs.values("day", "tracker_id").annotate(**_sums()).order_by()
        found: dict = defaultdict(lambda: dict.fromkeys(_SUMS, 0))
        for row in rows:
            bucket = period.bucket_start(as_bucket(row["day"]))
            targets = [row["tracker_id"]]
            if ctx.selected:
                targets.append(None)  # the total adds up the chosen trackers
            for tracker_id in targets:
                sums = found[(bucket, tracker_id)]
                for name in _SUMS:
                    sums[name] += row[f"s_{name}"] or 0
        ctx.cache[key] = dict(found)
    return ctx.cache[key]


def _totals(sums: dict, ctx: _Context) -> dict:
    """Period totals from ``_by_bucket_and_tracker``: the total's sums, and
    the brand and competitor trackers' clusters for share of voice."""
    out = dict.fromkeys((*_SUMS, "brand", "competitors"), 0)
    for (_bucket, tracker_id), values in sums.items():
        if tracker_id is None:
            for name in _SUMS:
                out[name] += values[name]
            continue
        tracker = ctx.trackers.get(tracker_id)
        if tracker is not None and tracker.kind == TrackerKind.BRAND:
            out["brand"] += values["clusters"]
        elif tracker is not None and tracker.kind == TrackerKind.COMPETITOR:
            out["competitors"] += values["clusters"]
    return out


def _by_dimension(period: Period, filters: dict, ctx: _Context) -> list[dict]:
    """Mentions and clusters per language, sentiment label and intent."""
    key = ("dimensions", period)
    if key not in ctx.cache:
        ctx.cache[key] = list(
            _daily(period.start, period.end, filters)
            .filter(_scope(ctx))
            .values("language", "sentiment_label", "intent")
            .annotate(mentions=Sum("mentions"), clusters=Sum("clusters"))
            .order_by()
        )
    return ctx.cache[key]


# --- reading mentions (bounded lists) ------------------------------------------


def _mentions(period: Period, filters: dict, ctx: _Context) -> QuerySet[Mention]:
    """Mentions of the period (by the rollup's day rule) matching the filters."""
    start, end = period.start_at, period.end_at
    qs = Mention.objects.filter(
        Q(posted_at__gte=start, posted_at__lt=end)
        | Q(posted_at__isnull=True, fetched_at__gte=start, fetched_at__lt=end)
    )
    language = filters.get("language")
    if language == OTHER_LANGUAGE:
        qs = qs.exclude(language__in=settings.LISTENING_LANGUAGES)
    elif language:
        qs = qs.filter(language=language)
    if filters.get("source_kind"):
        qs = qs.filter(source__kind=filters["source_kind"])
    if ctx.selected:
        # A semi-join: a post in two chosen trackers is still one row.
        through = Mention.trackers.through.objects.filter(
            mention_id=OuterRef("pk"), tracker_id__in=ctx.selected
        )
        qs = qs.filter(Exists(through))
    return qs


# --- sections -----------------------------------------------------------------


def _previous_totals(previous: Period, filters: dict, ctx: _Context) -> dict:
    """``_totals`` of the previous period in one aggregate (no grouping):
    the total's rows, and the brand and competitor trackers' rows."""
    scope = _scope(ctx)
    voice = Q(tracker__kind__in=[TrackerKind.BRAND, TrackerKind.COMPETITOR])
    if ctx.selected:
        voice &= Q(tracker_id__in=ctx.selected)
    rows = _daily(previous.start, previous.end, filters).filter(scope | voice)
    sums = rows.aggregate(
        **_sums(scope),
        s_brand=Sum("clusters", filter=voice & Q(tracker__kind=TrackerKind.BRAND)),
        s_competitors=Sum(
            "clusters", filter=voice & Q(tracker__kind=TrackerKind.COMPETITOR)
        ),
    )
    return {name.removeprefix("s_"): value or 0 for name, value in sums.items()}


def _net(sums: dict) -> float | None:
    if not sums["labelled"]:
        return None
    return round((sums["positive"] - sums["negative"]) * 100 / sums["labelled"], 1)


def headline(period: Period, filters: dict) -> list[Figure]:
    ctx = _context(filters)
    previous = period.previous()
    now = _totals(_by_bucket_and_tracker(period, filters, ctx), ctx)
    before = _previous_totals(previous, filters, ctx)
    return [
        Figure(
            "listening-mentions",
            _("Mentions"),
            now["clusters"],
            previous=before["clusters"],
            help=_("Near-duplicate copies count once."),
        ),
        Figure(
            "listening-negative",
            _("Negative"),
            share(now["negative"], now["labelled"]),
            unit="%",
            previous=share(before["negative"], before["labelled"]),
            help=_("Share of the mentions with a sentiment that are negative."),
            lower_is_better=True,
        ),
        Figure(
            "listening-net-sentiment",
            _("Net sentiment"),
            _net(now),
            unit="%",
            previous=_net(before),
            help=_(
                "Positive minus negative, as a share of the mentions with a sentiment."
            ),
        ),
        Figure(
            "listening-share-of-voice",
            _("Share of voice"),
            share(now["brand"], now["brand"] + now["competitors"]),
            unit="%",
            previous=share(before["brand"], before["brand"] + before["competitors"]),
            help=_("Our brand's mentions as a share of brand and competitor mentions."),
        ),
        Figure(
            "listening-leads",
            _("Sales leads"),
            now["leads"],
            previous=before["leads"],
        ),
    ]


def volume(period: Period, filters: dict) -> list:
    ctx = _context(filters)
    sums = _by_bucket_and_tracker(period, filters, ctx)
    buckets = period.buckets()
    tracker_ids = {t for (_b, t) in sums if t is not None} | set(ctx.selected)

    def values(tracker_id) -> list[int]:
        return [sums.get((b, tracker_id), {}).get("clusters", 0) for b in buckets]

    series = [Series(ctx.total_label, values(None), key="total")]
    series += [
        Series(t.name, values(t.pk), key=f"tracker-{t.pk}")
        for t in ctx.ordered(tracker_ids)
    ]
    if ctx.selected:
        description = _(
            "Mentions per tracker; near-duplicate copies count once, on the day "
            "of the first copy. The total adds up the chosen trackers, so a "
            "post that matches two of them counts twice."
        )
    else:
        description = _(
            "Mentions per tracker; near-duplicate copies count once, on the day "
            "of the first copy. A post that matches two trackers counts for "
            "both; the total counts it once."
        )
    return [
        Heading("listening-volume-heading", _("Volume")),
        Chart(
            "listening-volume",
            _("Mentions over time"),
            "line",
            period.labels(),
            series,
            description=description,
        ),
    ]


def _average(sums: dict | None) -> float | None:
    if not sums or not sums["score_n"]:
        return None
    return round(sums["score_sum"] / sums["score_n"], 2)


def sentiment(period: Period, filters: dict) -> list:
    ctx = _context(filters)
    sums = _by_bucket_and_tracker(period, filters, ctx)
    buckets = period.buckets()
    tracker_ids = {t for (_b, t) in sums if t is not None} | set(ctx.selected)
    series = [Series(ctx.total_label, [_average(sums.get((b, None))) for b in buckets])]
    series += [
        Series(t.name, [_average(sums.get((b, t.pk))) for b in buckets])
        for t in ctx.ordered(tracker_ids)
    ]

    languages = list(settings.LISTENING_LANGUAGES)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in _by_dimension(period, filters, ctx):
        if not row["sentiment_label"]:
            continue
        language = row["language"] if row["language"] in languages else OTHER_LANGUAGE
        counts[(language, row["sentiment_label"])] += row["mentions"] or 0
    shown = [*languages, OTHER_LANGUAGE]
    by_language = [
        Series(
            str(label),
            [counts.get((language, value), 0) for language in shown],
            key=value,
            colour=value,
        )
        for value, label in SentimentLabel.choices
    ]
    return [
        Heading("listening-sentiment-heading", _("Sentiment")),
        Chart(
            "listening-sentiment-trend",
            _("Average sentiment per tracker"),
            "line",
            period.labels(),
            series,
            description=_(
                "The average sentiment score (from −1, negative, to +1, "
                "positive) of the mentions with a score; every post counts, "
                "copies included. Empty where a tracker had no scored mentions."
            ),
        ),
        Chart(
            "listening-sentiment-language",
            _("Sentiment per language"),
            "stacked",
            [_language_name(code) for code in shown],
            by_language,
            label_header=str(_("Language")),
            description=_(
                "Mentions per language and sentiment; every post counts, copies "
                "included. Mentions without a sentiment are left out."
            ),
        ),
    ]


def share_of_voice(period: Period, filters: dict) -> list:
    ctx = _context(filters)
    sums = _by_bucket_and_tracker(period, filters, ctx)
    buckets = period.buckets()
    brand_ids = [t.pk for t in ctx.trackers.values() if t.kind == TrackerKind.BRAND]
    competitors = ctx.ordered(
        t
        for (_b, t) in sums
        if t is not None
        and ctx.trackers.get(t) is not None
        and ctx.trackers[t].kind == TrackerKind.COMPETITOR
    )

    def clusters(ids) -> list[int]:
        return [
            sum(sums.get((b, i), {}).get("clusters", 0) for i in ids) for b in buckets
        ]

    # (label, mentions per bucket): our brand's trackers together, then each
    # competitor.
    voices = [(str(TrackerKind.BRAND.label), clusters(brand_ids))]
    voices += [(c.name, clusters([c.pk])) for c in competitors]
    totals = [sum(column) for column in zip(*(v for _l, v in voices), strict=True)]
    doughnut = Chart(
        "listening-share-of-voice",
        _("Share of voice"),
        "doughnut",
        [label for label, _v in voices],
        [Series(str(_("Mentions")), [sum(v) for _l, v in voices])],
        label_header=str(_("Tracker")),
        description=_(
            "Mentions of our brand's trackers against each competitor tracker, "
            "near-duplicate copies once. Share of voice is our brand's mentions "
            "divided by the brand and competitor mentions together; a post that "
            "names both counts for both."
        ),
    )
    over_time = Chart(
        "listening-share-of-voice-trend",
        _("Share of voice over time"),
        "stacked",
        period.labels(),
        [
            Series(label, [share(n, t) for n, t in zip(v, totals, strict=True)])
            for label, v in voices
        ],
        unit="%",
        description=_(
            "Each period's brand and competitor mentions as shares of their "
            "sum (empty where there were none)."
        ),
    )
    return [
        Heading("listening-voice-heading", _("Share of voice")),
        doughnut,
        over_time,
    ]


def topics_and_terms(period: Period, filters: dict) -> list:
    ctx = _context(filters)
    sums = _by_bucket_and_tracker(period, filters, ctx)
    per_topic: dict[int, int] = defaultdict(int)
    for (_bucket, tracker_id), values in sums.items():
        tracker = ctx.trackers.get(tracker_id) if tracker_id is not None else None
        if tracker is not None and tracker.kind == TrackerKind.TOPIC:
            per_topic[tracker_id] += values["clusters"]
    topics = sorted(
        ((ctx.trackers[i], n) for i, n in per_topic.items() if n),
        key=lambda item: (-item[1], item[0].name),
    )[:TOPICS_SHOWN]

    # The most recent posts of the period, copies once: a sample, so the
    # words of a year of posts cost the same as a week's.
    seen: set[str] = set()
    texts: list[str] = []
    sample = _mentions(period, filters, ctx).order_by("-posted_at", "-pk")
    for cluster, text in sample.values_list("cluster_key", "text")[:TERMS_SAMPLE]:
        if cluster not in seen:
            seen.add(cluster)
            texts.append(text)
    terms = top_terms(texts, TERMS_SHOWN)
    return [
        Heading("listening-topics-heading", _("Topics and terms")),
        Chart(
            "listening-topics",
            _("Top topics"),
            "hbar",
            [t.name for t, _n in topics],
            [Series(str(_("Mentions")), [n for _t, n in topics])],
            label_header=str(_("Topic")),
            description=_("Topic trackers by mentions, near-duplicate copies once."),
        ),
        Chart(
            "listening-terms",
            _("Top terms"),
            "hbar",
            [term for term, _n in terms],
            [Series(str(_("Posts")), [n for _t, n in terms])],
            label_header=str(_("Term")),
            description=_(
                "Words in most posts, counted in a sample: the %(n)s most recent "
                "mentions of the period that match the filters, copies once. "
                "Links, handles and common English and Dutch words are left out."
            )
            % {"n": f"{TERMS_SAMPLE:,}"},
        ),
    ]


def authors(period: Period, filters: dict) -> list:
    ctx = _context(filters)
    named = (
        _mentions(period, filters, ctx)
        .exclude(author_handle="")
        .exclude(author_handle__startswith=PSEUDONYM_PREFIX)
        .filter(pseudonymised_at__isnull=True)
    )
    # The most influential posts first, then their authors: a bounded read
    # instead of grouping every post of the period.
    top: dict[str, float] = {}
    for handle, influence in named.order_by("-influence", "-pk").values_list(
        "author_handle", "influence"
    )[:AUTHORS_SAMPLE]:
        if handle not in top and len(top) < AUTHORS_SHOWN:
            top[handle] = influence
    rows: list[list] = []
    if top:
        counted = (
            named.filter(author_handle__in=set(top))
            .values("author_handle", "source__kind")
            .annotate(
                n=Count("pk"),
                max_influence=Max("influence"),
                followers=Max("author_followers"),
            )
            .order_by()
        )
        kinds = dict(SourceKind.choices)
        # One row per author, whichever sources found their posts (a live
        # feed and an imported export may both hold them).
        merged: dict[str, dict] = {}
        for r in counted:
            row = merged.setdefault(
                r["author_handle"],
                {"kinds": [], "n": 0, "influence": 0.0, "followers": 0},
            )
            row["kinds"].append(str(kinds.get(r["source__kind"], r["source__kind"])))
            row["n"] += r["n"]
            row["influence"] = max(row["influence"], r["max_influence"] or 0.0)
            row["followers"] = max(row["followers"], r["followers"] or 0)
        found = sorted(
            merged.items(),
            key=lambda item: (-item[1]["influence"], -item[1]["n"], item[0]),
        )
        rows = [
            [
                handle,
                ", ".join(sorted(set(r["kinds"]))),
                r["n"],
                round(r["influence"], 1),
                r["followers"],
            ]
            for handle, r in found
        ]
    return [
        Heading("listening-authors-heading", _("Authors")),
        Table(
            "listening-authors",
            _("The most influential authors"),
            [_("Author"), _("Network"), _("Mentions"), _("Influence"), _("Followers")],
            rows,
            description=_(
                "Authors of the %(n)s most influential posts of the period, by "
                "their highest influence; mentions counts all their posts in the "
                "period. Pseudonymised authors are left out."
            )
            % {"n": f"{AUTHORS_SAMPLE:,}"},
            empty=_("No named authors in this period."),
        ),
    ]


def intents_and_leads(period: Period, filters: dict) -> list:
    ctx = _context(filters)
    per_intent: dict[str, int] = defaultdict(int)
    for row in _by_dimension(period, filters, ctx):
        per_intent[row["intent"] or ""] += row["clusters"] or 0
    labels = [str(label) for _v, label in Intent.choices] + [str(_("Not classified"))]
    values = [per_intent.get(v, 0) for v in Intent.values] + [per_intent.get("", 0)]

    leads = (
        _mentions(period, filters, ctx)
        .filter(is_lead=True)
        .order_by("-posted_at", "-pk")
        .values_list(
            "pk",
            "posted_at",
            "fetched_at",
            "author_handle",
            "source__kind",
            Substr("text", 1, EXCERPT + 1),
        )[:LEADS_SHOWN]
    )
    kinds = dict(SourceKind.choices)
    rows, links = [], []
    tz = local_tz()
    for pk, posted, fetched, author, kind, text in leads:
        moment = timezone.localtime(posted or fetched, tz)
        if len(text) > EXCERPT:
            text = text[: EXCERPT - 1].rstrip() + "…"
        rows.append(
            [
                moment.strftime("%Y-%m-%d %H:%M"),
                author,
                str(kinds.get(kind, kind)),
                " ".join(text.split()),
            ]
        )
        links.append(reverse("listening_inbox:mention", args=[pk]))
    return [
        Heading("listening-intent-heading", _("Intent and sales leads")),
        Chart(
            "listening-intent",
            _("Intent mix"),
            "bar",
            labels,
            [Series(str(_("Mentions")), values)],
            label_header=str(_("Intent")),
            description=_("Mentions per intent, near-duplicate copies once."),
        ),
        Table(
            "listening-leads-list",
            _("Latest sales leads"),
            [_("Date"), _("Author"), _("Network"), _("Text")],
            rows,
            links=links,
            description=_("The %(n)s most recent sales leads of the period.")
            % {"n": LEADS_SHOWN},
            empty=_("No sales leads in this period."),
        ),
    ]


def register() -> None:
    register_section(SLUG, headline, order=10, headline=True)
    register_section(SLUG, volume, order=10)
    register_section(SLUG, sentiment, order=20)
    register_section(SLUG, share_of_voice, order=30)
    register_section(SLUG, topics_and_terms, order=40)
    register_section(SLUG, authors, order=50)
    register_section(SLUG, intents_and_leads, order=60)
