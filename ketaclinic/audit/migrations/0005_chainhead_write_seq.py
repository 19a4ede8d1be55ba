"""The chain head's ``write_seq``: the count of a chain's events that are not reads, the clinic's
data version for the chair board's poll (issue 15). Existing heads start at 0: a version only
has to change when data changes, never to count from the beginning. The hash and seal do not
cover it, so no event or seal changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_per_clinic_chains_sqlite_append_only")]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="write_seq",
            field=models.BigIntegerField(default=0),
        ),
    ]
