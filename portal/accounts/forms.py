from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from .models import NotificationPreferences, User

MAX_AVATAR_BYTES = 2 * 1024 * 1024


class ProfileForm(forms.ModelForm):
    avatar = forms.ImageField(
        label=_("Avatar"),
        required=False,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp", "gif"])],
        help_text=_("A square JPEG, PNG or WebP image of at most 2 MB."),
    )
    clear_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)

    class Meta:
        model = User
        fields = ["display_name", "bio", "language"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.avatar:
            del self.fields["clear_avatar"]

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if any(ord(ch) < 32 for ch in name):
            raise forms.ValidationError(
                _("Your name cannot contain control characters.")
            )
        return name

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if avatar and avatar.size > MAX_AVATAR_BYTES:
            raise forms.ValidationError(_("The image is larger than 2 MB."))
        return avatar


class NotificationPreferencesForm(forms.ModelForm):
    class Meta:
        model = NotificationPreferences
        fields = [
            "email_enabled",
            "email_frequency",
            "onsite_enabled",
            "notify_replies",
            "notify_status_changes",
            "notify_mentions",
            "newsletter",
        ]


class AccountDeleteForm(forms.Form):
    CONFIRMATION = "DELETE"

    confirmation = forms.CharField(
        label=_("Type DELETE to confirm"),
        max_length=20,
        help_text=_("This cannot be undone."),
    )
    password = forms.CharField(
        label=_("Your password"), widget=forms.PasswordInput, required=False
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.has_usable_password():
            self.fields["password"].required = True
        else:
            del self.fields["password"]

    def clean_confirmation(self) -> str:
        value = self.cleaned_data["confirmation"].strip()
        if value.upper() != self.CONFIRMATION:
            raise forms.ValidationError(_("Type DELETE in capitals to confirm."))
        return value

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password", "")
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."))
        return password
