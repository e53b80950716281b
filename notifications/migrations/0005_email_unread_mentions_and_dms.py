from django.db import migrations


class Migration(migrations.Migration):
    """The choice covers direct messages too: named for what it emails."""

    dependencies = [("notifications", "0004_room_preferences")]

    operations = [
        migrations.RenameField("notificationsettings", "email_mentions", "email_unread_mentions_and_dms"),
    ]
