"""Issue 17: the API's case list pages and counts one consultant's and one organisation's
cases, newest first, from an index of their own (``api.selectors.case_ids``)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sparring', '0024_step_deadline_finished'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['consultant', '-created', '-id'], name='case_by_consultant_newest'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['organisation', '-created', '-id'], name='case_by_organisation_newest'),
        ),
    ]
