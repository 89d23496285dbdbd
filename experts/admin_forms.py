"""Forms for the expertcare staff console. They only collect input; every
change goes through experts.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ExpertStatus, PrivateCase


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("decline", _("Decline"))],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(
        label=_("Note to the member"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent with the decision. Optional."),
    )


class ExpertStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (ExpertStatus.ACTIVE, _("Reactivate")),
            (ExpertStatus.PAUSED, _("Pause")),
            (ExpertStatus.REMOVED, _("Remove")),
        ],
    )


class OfficialAnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Official answer"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Shown publicly with a staff badge. Markdown allowed."),
    )


class VerifyForm(forms.Form):
    verified = forms.TypedChoiceField(
        choices=[("1", _("Verify")), ("0", _("Withdraw verification"))],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class HiddenForm(forms.Form):
    hidden = forms.TypedChoiceField(
        choices=[("1", _("Hide")), ("0", _("Show again"))],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )


class EscalateForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why is this private?"),
        choices=[("", "---------"), *PrivateCase.Reason.choices],
    )


class CaseReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply to the member"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Only the member and staff can read this. Markdown allowed."),
    )


class CaseResolveForm(forms.Form):
    public_summary = forms.CharField(
        label=_("Public summary"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Optional. Shown on the public question page; personal data is "
            "redacted before it is published."
        ),
    )
