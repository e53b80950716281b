from django import forms
from django.conf import settings
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm, UserCreationForm
from django.core.exceptions import ValidationError

from core import images
from core.request_bodies import MULTIPART_OVERHEAD
from core.text import describe_size

from .models import AVATAR_SIZE, Profile
from .usernames import validate_not_imitating


class DistinctUsernameMixin:
    """Refuses a username that imitates an existing one (accounts/usernames.py)."""

    def clean_username(self):
        parent = getattr(super(), "clean_username", None)
        username = parent() if parent else self.cleaned_data.get("username")
        if username and "username" not in self.errors:
            try:
                validate_not_imitating(username, exclude_pk=self.instance.pk)
            except ValidationError as error:
                self.add_error("username", error)
        return username


class SignupForm(DistinctUsernameMixin, UserCreationForm):
    """Sign-up, by invitation or on an open chat, and the first run."""


class AdminSignupForm(DistinctUsernameMixin, AdminUserCreationForm):
    """The admin's "Add user"."""


class AdminUserChangeForm(DistinctUsernameMixin, UserChangeForm):
    """The admin's user page: renaming someone to a look-alike is refused too."""


def avatar_body_ceiling():
    """The largest body the profile form takes: one image at the upload limit, and the form around it."""
    return settings.CHAT_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD


def avatar_too_large():
    return f"This image is too large: at most {describe_size(settings.CHAT_MAX_UPLOAD_BYTES)}."


class ProfileForm(forms.ModelForm):
    """The display name, and a new avatar or its removal. An uploaded image
    is re-encoded like a message's (core/images.py: a child process, the
    pixels alone), its middle square kept at AVATAR_SIZE; a file over
    CHAT_MAX_UPLOAD_BYTES is refused before it is decoded."""

    avatar_upload = forms.FileField(
        label="Avatar",
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
        help_text="A picture of you (PNG, JPEG, GIF, WebP or BMP). Its middle square is kept.",
    )
    remove_avatar = forms.BooleanField(label="Remove my avatar (show my initial instead)", required=False)

    class Meta:
        model = Profile
        fields = ["display_name"]
        labels = {"display_name": "Display name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.avatar:
            del self.fields["remove_avatar"]

    def clean_avatar_upload(self):
        upload = self.cleaned_data["avatar_upload"]
        if not upload:
            return None
        if upload.size > settings.CHAT_MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"{upload.name} is too large: at most {describe_size(settings.CHAT_MAX_UPLOAD_BYTES)}.",
                code="too_large",
            )
        return images.re_encode(upload.name, upload, square=AVATAR_SIZE).original

    def save(self, commit=True):
        profile = super().save(commit=False)
        if self.cleaned_data.get("avatar_upload"):
            profile.set_avatar(self.cleaned_data["avatar_upload"])
        elif self.cleaned_data.get("remove_avatar"):
            profile.remove_avatar()
        if commit:
            profile.save()
        return profile
