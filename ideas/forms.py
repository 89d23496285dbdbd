from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from .models import IdeaFlag, IdeaStatus
from .selectors import SORTS
from .services.submit import BODY_MAX, TITLE_MAX

MAX_IMAGE_BYTES = 3 * 1024 * 1024


class IdeaFilterForm(forms.Form):
    q = forms.CharField(label=_("Search ideas"), required=False, max_length=200)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("trending", _("Trending")),
            ("top", _("Most votes")),
            ("new", _("Newest")),
            ("updated", _("Recently updated")),
        ],
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    focus_area = forms.ChoiceField(label=_("Focus area"), required=False)
    tag = forms.SlugField(label=_("Tag"), required=False, max_length=100)

    def __init__(self, *args, focus_areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses"))] + [
            (v, label) for v, label in IdeaStatus.choices if v != IdeaStatus.MERGED
        ]
        self.fields["focus_area"].choices = [("", _("All focus areas"))] + [
            (a.slug, a.label) for a in focus_areas
        ]

    def cleaned(self) -> dict:
        if not self.is_valid():
            return {"sort": "trending"}
        data = self.cleaned_data
        q = "".join(ch for ch in data.get("q", "") if ch.isprintable())
        return {
            "search": q.strip(),
            "sort": data.get("sort") if data.get("sort") in SORTS else "trending",
            "status": data.get("status") or "",
            "focus_area": data.get("focus_area") or "",
            "tag": data.get("tag") or "",
        }


class IdeaSubmitForm(forms.Form):
    title = forms.CharField(
        label=_("Your idea in one sentence"),
        max_length=TITLE_MAX + 50,
        help_text=_("We show similar ideas while you type, so you can vote instead."),
    )
    body = forms.CharField(
        label=_("Describe your idea"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=BODY_MAX + 1000,
        help_text=_("What would it change for you? You can use Markdown."),
    )
    focus_area = forms.ChoiceField(label=_("Focus area"), required=False)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=300,
        help_text=_("Separate tags with commas."),
    )
    image = forms.ImageField(
        label=_("Image"),
        required=False,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp", "gif"])],
        help_text=_("Optional. JPEG, PNG or WebP, at most 3 MB."),
    )

    def __init__(self, *args, focus_areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.focus_areas = {a.slug: a for a in focus_areas}
        self.fields["focus_area"].choices = [("", _("Choose a focus area"))] + [
            (a.slug, a.label) for a in focus_areas
        ]
        self.fields["title"].widget.attrs.update(
            {"autocomplete": "off", "maxlength": TITLE_MAX}
        )

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and image.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError(_("The image is larger than 3 MB."))
        return image

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data.get("tags", "")
        return [t.strip() for t in raw.split(",") if t.strip()][:8]

    def focus_area_object(self):
        return self.focus_areas.get(self.cleaned_data.get("focus_area") or "")


class IdeaFlagForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why?"), choices=IdeaFlag.Reason.choices)
