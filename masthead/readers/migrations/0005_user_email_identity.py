"""Store every reader's address in the one normalised form, and key it per mailbox.

Safe to run on a live database: a row is only rewritten when its normalised address
and its key collide with no other account; a colliding (newer) row keeps its address
as it was and no key, and is reported, for staff to merge by hand.
"""

from django.db import migrations, models

from masthead.readers.addresses import email_identity, email_lookup_form


def normalise_addresses(apps, schema_editor):
    User = apps.get_model("readers", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    taken_identities: set[str] = set()
    taken_addresses = {e.lower() for e in User.objects.values_list("email", flat=True)}
    skipped = []
    for user in User.objects.order_by("pk").only("pk", "email").iterator():
        if not user.email:
            continue
        stored = email_lookup_form(user.email)
        identity = email_identity(stored)
        if identity in taken_identities or (
            stored != user.email.lower() and stored in taken_addresses
        ):
            skipped.append(user.pk)
            continue
        taken_identities.add(identity)
        taken_addresses.add(stored)
        User.objects.filter(pk=user.pk).update(email=stored, email_identity=identity)
        for address in EmailAddress.objects.filter(user_id=user.pk):
            new = email_lookup_form(address.email)
            clash = EmailAddress.objects.filter(email__iexact=new).exclude(pk=address.pk)
            if new != address.email and not clash.exists():
                EmailAddress.objects.filter(pk=address.pk).update(email=new)
    if skipped:
        print(
            f"\n  readers: {len(skipped)} account(s) share a mailbox with an older one: {skipped}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("account", "0009_emailaddress_unique_primary_email"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("readers", "0004_accounterasure"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_identity",
            field=models.CharField(blank=True, editable=False, max_length=254, null=True),
        ),
        migrations.RunPython(normalise_addresses, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("email_identity",),
                name="readers_user_email_identity_unique",
                violation_error_message="An account with this email address already exists.",
            ),
        ),
    ]
