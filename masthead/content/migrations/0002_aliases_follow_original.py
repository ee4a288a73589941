"""Existing aliases take their original's access level (pinned, as `sync_section` now
does); before this, an alias in a freer section could read in full."""

from django.db import migrations


def aliases_follow_original(apps, schema_editor):
    ArticlePage = apps.get_model("content", "ArticlePage")
    levels = dict(ArticlePage.objects.values_list("pk", "effective_access"))
    for alias in ArticlePage.objects.filter(alias_of__isnull=False).only(
        "pk", "alias_of_id", "effective_access"
    ):
        level = levels.get(alias.alias_of_id)
        if level:
            ArticlePage.objects.filter(pk=alias.pk).update(
                access_level=level, effective_access=level
            )


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial")]

    operations = [migrations.RunPython(aliases_follow_original, migrations.RunPython.noop)]
