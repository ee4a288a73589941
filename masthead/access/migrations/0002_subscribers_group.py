"""A "Subscribers" group that reads premium without limit, ticked on each site's
access settings (newsroom staff are unlimited through their staff status)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Site = apps.get_model("wagtailcore", "Site")
    AccessSettings = apps.get_model("access", "AccessSettings")
    subscribers, _ = Group.objects.get_or_create(name="Subscribers")
    for site in Site.objects.all():
        settings, _ = AccessSettings.objects.get_or_create(site=site)
        settings.unlimited_groups.add(subscribers)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailcore", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
