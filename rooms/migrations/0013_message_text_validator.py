# The one check of message text (rooms.models.message.validate_text) and
# of client ids: validators only, no change to the tables.

from django.db import migrations, models

import rooms.models.message


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0012_conversation_people_fixed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="client_id",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=64,
                null=True,
                validators=[rooms.models.message.validate_sendable],
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="text",
            field=models.TextField(
                error_messages={"blank": "Type a message before sending."},
                validators=[rooms.models.message.validate_text],
            ),
        ),
    ]
