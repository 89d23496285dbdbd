"""Forms for the public expertcare pages. They only shape input; the services
decide what is allowed and report field errors in their ValidationError."""

from datetime import datetime, time
from zoneinfo import available_timezones

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .selectors import PERIODS
from .services.programme import MAX_DAILY_CAP, MOTIVATION_MAX
from .services.questions import (
    ANSWER_MAX,
    BODY_MAX,
    BODY_MIN,
    TITLE_MAX,
    TITLE_MIN,
)

SHOW_CHOICES = [
    ("", _("All questions")),
    ("unanswered", _("Unanswered")),
    ("solved", _("Solved")),
]
SORT_CHOICES = [("active", _("Recently active")), ("new", _("Newest"))]
PERIOD_CHOICES = [
    ("week", _("This week")),
    ("month", _("This month")),
    ("year", _("This year")),
    ("all", _("All time")),
]


def _printable(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isprintable()).strip()


def _area_choices(focus_areas, empty_label=None) -> list[tuple[str, str]]:
    choices = [(a.slug, a.label) for a in focus_areas]
    return [("", empty_label), *choices] if empty_label is not None else choices


class FocusAreaMixin:
    """Forms that offer the site's focus areas by slug and hand back objects."""

    def _set_areas(self, focus_areas) -> None:
        self.focus_areas = {a.slug: a for a in focus_areas}

    def area(self, field: str = "focus_area"):
        return self.focus_areas.get(self.cleaned_data.get(field) or "")

    def areas(self, field: str = "focus_areas") -> list:
        slugs = self.cleaned_data.get(field) or []
        return [self.focus_areas[s] for s in slugs if s in self.focus_areas]


class QuestionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search questions"), required=False, max_length=200)
    show = forms.ChoiceField(label=_("Show"), required=False, choices=SHOW_CHOICES)
    focus_area = forms.ChoiceField(label=_("Focus area"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, focus_areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["focus_area"].choices = _area_choices(
            focus_areas, _("All focus areas")
        )

    def cleaned(self) -> dict:
        """Filters for selectors.question_list; anything invalid is ignored."""
        defaults = {"sort": "active", "show": "", "focus_area": "", "search": ""}
        if not self.is_bound:
            return defaults
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "sort": data.get("sort") or "active",
            "show": data.get("show") or "",
            "focus_area": data.get("focus_area") or "",
            "search": _printable(data.get("q", ""))[:200],
        }


class QuestionAskForm(FocusAreaMixin, forms.Form):
    title = forms.CharField(
        label=_("Your question in one sentence"),
        max_length=TITLE_MAX + 50,
        help_text=_("We show answered questions like yours while you type."),
    )
    body = forms.CharField(
        label=_("Details"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=BODY_MAX + 1000,
        help_text=_(
            "What did you try, and what happened? Leave out account numbers "
            "and other personal data. You can use Markdown."
        ),
    )
    focus_area = forms.ChoiceField(label=_("Focus area"))

    def __init__(self, *args, focus_areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_areas(focus_areas)
        field = self.fields["focus_area"]
        field.choices = _area_choices(focus_areas, _("Choose a focus area"))
        # Without focus areas configured a question simply has none.
        field.required = bool(self.focus_areas)
        self.fields["title"].widget.attrs.update(
            {"autocomplete": "off", "maxlength": TITLE_MAX}
        )

    # The service checks these too; checking here as well means every field's
    # error shows at once, not the title's only after the others are fixed.
    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data.get("title", "").split())
        if len(title) < TITLE_MIN:
            raise forms.ValidationError(
                _("Ask your question in at least %(n)d characters.") % {"n": TITLE_MIN}
            )
        return title

    def clean_body(self) -> str:
        body = self.cleaned_data.get("body", "").strip()
        if len(body) < BODY_MIN:
            raise forms.ValidationError(
                _("Give some details in at least %(n)d characters.") % {"n": BODY_MIN}
            )
        return body


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=ANSWER_MAX + 1000,
        help_text=_("Be kind and specific. You can use Markdown."),
    )
    official = forms.BooleanField(label=_("Answer officially"), required=False)

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["official"]


class CaseMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=11000,
        help_text=_("Only you and our support team can read this conversation."),
    )


class CaseResolveForm(forms.Form):
    public_summary = forms.CharField(
        label=_("Public summary"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=3000,
        help_text=_(
            "Optional. Shown on the public question page. Personal data is "
            "redacted automatically."
        ),
    )


class ExpertFilterForm(forms.Form):
    focus_area = forms.ChoiceField(label=_("Focus area"), required=False)
    period = forms.ChoiceField(
        label=_("Leaderboard period"), required=False, choices=PERIOD_CHOICES
    )

    def __init__(self, *args, focus_areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.focus_areas = {a.slug: a for a in focus_areas}
        self.fields["focus_area"].choices = _area_choices(
            focus_areas, _("All focus areas")
        )

    def cleaned(self) -> dict:
        self.is_valid()  # keeps the valid fields in cleaned_data
        data = getattr(self, "cleaned_data", {})
        period = data.get("period") or "month"
        slug = data.get("focus_area") or ""
        return {
            "focus_area": slug,
            "focus_area_object": self.focus_areas.get(slug),
            "period": period if period in PERIODS else "month",
        }


class ExpertApplyForm(FocusAreaMixin, forms.Form):
    focus_areas = forms.MultipleChoiceField(
        label=_("Focus areas you know well"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    motivation = forms.CharField(
        label=_("Why do you want to help other customers?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=MOTIVATION_MAX + 500,
    )
    accepts_guidelines = forms.BooleanField(
        label=_("I have read and accept the expert guidelines"), required=False
    )
    opts_in = forms.BooleanField(
        label=_(
            "Yes, send me questions from other customers. I can pause or "
            "leave at any time."
        ),
        required=False,
    )

    def __init__(self, *args, focus_areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_areas(focus_areas)
        self.fields["focus_areas"].choices = _area_choices(focus_areas)


class ExpertPauseForm(forms.Form):
    paused_until = forms.DateField(
        label=_("Pause until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional. Leave empty to pause until you resume yourself."),
    )

    def until(self) -> datetime | None:
        day = self.cleaned_data.get("paused_until")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.min))


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones())]


class ExpertPreferencesForm(FocusAreaMixin, forms.Form):
    headline = forms.CharField(
        label=_("Headline"),
        required=False,
        max_length=120,
        help_text=_("One line on your expert page, for example what you know best."),
    )
    focus_areas = forms.MultipleChoiceField(
        label=_("Your focus areas"), widget=forms.CheckboxSelectMultiple
    )
    daily_cap = forms.IntegerField(
        label=_("Questions per day at most"), min_value=1, max_value=MAX_DAILY_CAP
    )
    quiet_hours_start = forms.TimeField(
        label=_("Quiet from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("We send you no questions between these times."),
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=_timezone_choices)

    def __init__(self, *args, focus_areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_areas(focus_areas)
        self.fields["focus_areas"].choices = _area_choices(focus_areas)


class ExpertLeaveForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, I want to leave the expert programme now"),
        error_messages={"required": _("Tick the box to confirm.")},
    )
