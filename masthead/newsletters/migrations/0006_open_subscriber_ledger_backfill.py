"""The ledger for account-less subscribers who confirmed before it existed.

From what each OpenSubscriber row already holds, and only that: the request whose link
was followed (`requested_at`), the confirmation (`confirmed_at`) and, for a row that
has left, the unsubscribe (`changed_at`). Pending rows were never consent and get
nothing. Each source says the row was recorded at this upgrade, so reversing removes
exactly these rows.
"""

from django.db import migrations

UPGRADE = ", recorded at upgrade"


def backfill(apps, schema_editor):
    OpenSubscriber = apps.get_model("newsletters", "OpenSubscriber")
    MarketingChoice = apps.get_model("newsletters", "MarketingChoice")
    rows = OpenSubscriber.objects.filter(
        status__in=["active", "unsubscribed"], confirmed_at__isnull=False
    ).order_by("pk")
    batch = []
    for row in rows.iterator(chunk_size=2000):
        common = {"email": row.email, "newsletter_id": row.newsletter_id, "subscriber_ref": row.pk}
        batch.append(
            MarketingChoice(
                action="request",
                source="open sign-up form" + UPGRADE,
                at=row.requested_at,
                **common,
            )
        )
        batch.append(
            MarketingChoice(
                action="subscribe", source="double-opt-in" + UPGRADE, at=row.confirmed_at, **common
            )
        )
        if row.status == "unsubscribed":
            batch.append(
                MarketingChoice(
                    action="unsubscribe", source="unsubscribed" + UPGRADE, at=row.changed_at, **common
                )
            )
        if len(batch) >= 2000:
            MarketingChoice.objects.bulk_create(batch)
            batch = []
    MarketingChoice.objects.bulk_create(batch)


def remove(apps, schema_editor):
    MarketingChoice = apps.get_model("newsletters", "MarketingChoice")
    MarketingChoice.objects.filter(source__endswith=UPGRADE).delete()


class Migration(migrations.Migration):
    dependencies = [("newsletters", "0005_open_subscriber_ledger")]

    operations = [migrations.RunPython(backfill, remove)]
