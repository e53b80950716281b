# Who left each public room (the room directory at /rooms/): it leaves their
# room list. Nobody has left anything yet.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0013_message_text_validator"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="room",
            name="left_by",
            field=models.ManyToManyField(
                blank=True, editable=False, related_name="rooms_left", to=settings.AUTH_USER_MODEL
            ),
        ),
    ]
