"""The pending background jobs in the order their list shows them (issue 17, session 11).

``workflow.selectors.pending_jobs`` lists the jobs queued or running oldest first by
``COALESCE(started, created)``, then id. 0021's ``task_pending_jobs`` held ``created``
only, so PostgreSQL fetched every pending job and sorted them for a page of 100; at
100 000 cases (2.3 million tasks), with no job pending, it guessed a thousand, planned a
parallel sort and spent 15 ms starting a worker for nothing. ``task_pending_jobs_since``
is in the list's order (the page reads its first rows and stops) and has the same
condition, so it serves the counts of the background box too; it replaces the old one.
SQL that PostgreSQL and SQLite both understand.
"""

from django.db import migrations

PENDING = "WHERE flow_task_type = 'JOB' AND status IN ('SCHEDULED', 'STARTED')"


class Migration(migrations.Migration):
    dependencies = [("sparring", "0028_organisation_name_trigram_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS task_pending_jobs_since ON viewflow_task "
            f"((COALESCE(started, created)), id) {PENDING}",
            "DROP INDEX IF EXISTS task_pending_jobs_since",
        ),
        migrations.RunSQL(
            "DROP INDEX IF EXISTS task_pending_jobs",
            f"CREATE INDEX IF NOT EXISTS task_pending_jobs ON viewflow_task (created) {PENDING}",
        ),
    ]
