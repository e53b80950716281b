"""Who may create an account (invitations that staff make, and the first
run), and how each person appears to others (their profile)."""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.text import validate_one_line

from . import broadcasts


def new_token():
    # 192 random bits: a link nobody can guess or count their way to.
    return secrets.token_urlsafe(24)


class InvitationQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked=False, expires_at__gt=timezone.now(), uses__lt=F("max_uses"))

    def create_for(self, created_by=None, uses=None, hours=None, account=None):
        """A new invitation for `uses` accounts, valid for `hours` (the
        CHAT_INVITE_* defaults when None); with `account`, the link that
        lets the person of that existing account claim it (once)."""
        uses = 1 if account is not None else settings.CHAT_INVITE_USES if uses is None else uses
        hours = settings.CHAT_INVITE_HOURS if hours is None else hours
        return self.create(
            created_by=created_by, max_uses=uses, expires_at=timezone.now() + timedelta(hours=hours), account=account
        )


class Invitation(models.Model):
    """A join link: it lets up to `max_uses` people create an account until
    `expires_at`, unless revoked. The token is the link's secret, kept as
    is so staff can copy the link again.

    An invitation with an `account` creates none: it lets the person that
    existing, inactive account stands for (someone whose history came from
    Slack: transfer/) choose its password and sign in with it."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    max_uses = models.PositiveIntegerField("uses allowed", default=1)
    uses = models.PositiveIntegerField("used", default=0, editable=False)
    revoked = models.BooleanField(default=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="claim_invitations",
        editable=False,
        help_text="The existing account this link lets its person claim.",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(max_uses__gte=1), name="invitation_allows_a_use")]

    def __str__(self):
        return f"Invitation by {self.created_by or 'the command line'} on {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("join", args=[self.token])

    def link(self, request=None):
        """The join link: absolute with CHAT_BASE_URL (or from `request`), else its path."""
        if settings.CHAT_BASE_URL:
            return settings.CHAT_BASE_URL + self.get_absolute_url()
        if request is not None:
            return request.build_absolute_uri(self.get_absolute_url())
        return self.get_absolute_url()

    @property
    def uses_left(self):
        return max(0, self.max_uses - self.uses)

    def refusal(self):
        """Why this link lets nobody in now, or None when it does."""
        if self.revoked:
            return "This invitation has been withdrawn."
        if self.expires_at <= timezone.now():
            return f"This invitation expired on {timezone.localtime(self.expires_at):%Y-%m-%d at %H:%M %Z}."
        if self.uses >= self.max_uses:
            return "This invitation has already been used as many times as it allows."
        return None

    def claim(self):
        """Takes one use, or returns False when none is left. Call inside the
        transaction that creates the account: the conditional UPDATE is atomic,
        so concurrent sign-ups cannot take more uses than there are, and a
        failed account creation gives the use back by rolling back."""
        assert transaction.get_connection().in_atomic_block, "claim() inside the account's transaction"
        claimed = Invitation.objects.usable().filter(pk=self.pk).update(uses=F("uses") + 1)
        if claimed:
            self.uses += 1
        return bool(claimed)


# A display name is a name, not a paragraph: it sits beside every message.
DISPLAY_NAME_LENGTH = 50
# An avatar is stored as a square this many pixels wide (shown at 24-96 CSS
# pixels: sharp on screens of 2x and more).
AVATAR_SIZE = 128


class Profile(models.Model):
    """How a person appears beside their messages, in "Here now" and in
    mentions (accounts/names.py reads it): a display name of their choice
    and an avatar, both optional. The username stays the handle (`@alice`).
    A person without a row has neither; it is made when they first save
    their settings. Saving one tells every open page (live)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    # One line (core/text.py): names go in email subjects too.
    display_name = models.CharField(
        max_length=DISPLAY_NAME_LENGTH,
        blank=True,
        validators=[validate_one_line],
        help_text="Shown beside your messages instead of your username, which stays your @handle.",
    )
    # A square re-encoded copy (core/images.py), stored through STORAGES
    # under avatars/<user id>/<random>.<ext>: a new avatar is a new name,
    # and so a new URL for pages and caches.
    avatar = models.FileField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"profile of {self.user}"

    def save(self, *args, **kwargs):
        with transaction.atomic():
            super().save(*args, **kwargs)
            transaction.on_commit(self._announce, robust=True)

    def _announce(self):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.select_related("profile").filter(pk=self.user_id).first()
        if user is not None:
            broadcasts.person_changed(user)

    def set_avatar(self, image):
        """Store `image` (core.images.Encoded, a square) as the avatar, in
        place of any earlier one; saved by the caller's save()."""
        self._drop_avatar()
        self.avatar.name = default_storage.save(
            f"avatars/{self.user_id}/{uuid.uuid4().hex}{image.extension}", ContentFile(image.data)
        )

    def remove_avatar(self):
        """Back to the generated initial; saved by the caller's save()."""
        self._drop_avatar()
        self.avatar.name = ""

    def _drop_avatar(self):
        # The old file goes once the change is committed: a rollback keeps it.
        if self.avatar:
            name = self.avatar.name
            transaction.on_commit(lambda: default_storage.delete(name), robust=True)

    @property
    def avatar_version(self):
        """The stored file's random part: it names the avatar in its URL."""
        return self.avatar.name.rsplit("/", 1)[-1].split(".", 1)[0] if self.avatar else ""
