# The outbox's backoff after a failed delivery, and an index on unsent rows
# (issue 11: the reconciliation sweep and the coordinators' page read them).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sparring", "0014_call_languages_agreement_themes"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(
                condition=models.Q(("sent_at", None)), fields=["created"], name="outbox_unsent"
            ),
        ),
    ]
