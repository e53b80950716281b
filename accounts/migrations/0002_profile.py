# Each person's display name and avatar (accounts.models.Profile): nobody has one yet.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import core.text


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Profile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "display_name",
                    models.CharField(
                        blank=True,
                        help_text="Shown beside your messages instead of your username, which stays your @handle.",
                        max_length=50,
                        validators=[core.text.validate_one_line],
                    ),
                ),
                ("avatar", models.FileField(blank=True, max_length=500, upload_to="")),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="profile", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
        ),
    ]
