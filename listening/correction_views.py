"""Correct a mention's intent and sentiment in the Wagtail admin
(Listening → Mentions → a mention → Correct labels).

Each changed label goes through `services.mention_correct`, which records the
correction for the few-shot classifier; an unchanged label records nothing.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .models import CorrectionField, Intent, Mention, SentimentLabel

HISTORY_MAX = 20


class MentionLabelsForm(forms.Form):
    intent = forms.ChoiceField(label=gettext_lazy("Intent"), choices=Intent.choices)
    sentiment = forms.ChoiceField(
        label=gettext_lazy("Sentiment"), choices=SentimentLabel.choices
    )


def mention_correct_labels(request: HttpRequest, mention_id: int) -> HttpResponse:
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied
    mention = get_object_or_404(
        Mention.objects.select_related("source").defer("raw"), pk=mention_id
    )
    initial = {"intent": mention.intent, "sentiment": mention.sentiment_label}
    form = MentionLabelsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = []
        try:
            for field, current in (
                (CorrectionField.INTENT, mention.intent),
                (CorrectionField.SENTIMENT, mention.sentiment_label),
            ):
                value = form.cleaned_data[field.value]
                if value != current:
                    services.mention_correct(
                        mention=mention,
                        field=field.value,
                        value=value,
                        user=request.user,
                    )
                    changed.append(field.label)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            if changed:
                messages.success(
                    request,
                    _("Corrected: %(labels)s. The few-shot classifier learns from it.")
                    % {"labels": ", ".join(str(label) for label in changed)},
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("wagtailsnippets_listening_mention:inspect", mention.pk)
    history = mention.corrections.select_related("corrected_by")[:HISTORY_MAX]
    return render(
        request,
        "listening/corrections/correct.html",
        {"mention": mention, "form": form, "history": history},
    )
