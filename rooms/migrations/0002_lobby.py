from django.db import migrations


def create_lobby(apps, schema_editor):
    Room = apps.get_model("rooms", "Room")
    Room.objects.get_or_create(
        slug="lobby", defaults={"name": "Lobby", "topic": "Say hello: everyone can read this room."}
    )


class Migration(migrations.Migration):
    dependencies = [("rooms", "0001_initial")]

    operations = [migrations.RunPython(create_lobby, migrations.RunPython.noop)]
