"""The ledger for account-less subscribers who confirmed before it existed.

From what each OpenSubscriber row already holds, and only that: the request whose link
was followed (`requested_at`), the confirmation (`confirmed_at`) and, for a row that
has left, the unsubscribe (`changed_at`). A row pending again after it had been
confirmed (it left, then someone asked again) has its confirmation, and its leaving at
the new request at the latest (when its first request was made is no longer known);
a row never confirmed was never consent and gets nothing. A row the ledger already
names (applied again after the site recorded choices) is left alone. Each source says
the row was recorded at this upgrade, so reversing removes exactly these rows.
"""

from django.db import migrations

UPGRADE = ", recorded at upgrade"


def backfill(apps, schema_editor):
    OpenSubscriber = apps.get_model("newsletters", "OpenSubscriber")
    MarketingChoice = apps.get_model("newsletters", "MarketingChoice")
    rows = OpenSubscriber.objects.filter(confirmed_at__isnull=False).order_by("pk")
    named = set(
        MarketingChoice.objects.filter(subscriber_ref__isnull=False).values_list(
            "subscriber_ref", flat=True
        )
    )
    batch = []
    for row in rows.iterator(chunk_size=2000):
        if row.pk in named:
            continue
        common = {"email": row.email, "newsletter_id": row.newsletter_id, "subscriber_ref": row.pk}
        if row.status != "pending":
            # (A pending row's request is the new one: when the first was made is lost.)
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
        elif row.status == "pending":
            batch.append(
                MarketingChoice(
                    action="unsubscribe",
                    source="unsubscribed, asked again since" + UPGRADE,
                    at=row.requested_at,
                    **common,
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
