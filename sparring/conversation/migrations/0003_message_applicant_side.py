"""Issue 17 (session 12): the messages an applicant's side may see, by case
(``message_applicant_side``).

The applicant's home finds the organisation's cases with new messages from the newest
unread ones (``conversation.selectors.cases_with_unread``): the organisation's case ids
are read first and then their messages by case (``access.visible_messages``). Read from
the index of every message by case, each message row was visited to test whether the
applicant's side may see it and who wrote it (8.4 ms for the 1 918 cases of the largest
organisation at 100 000 cases). This partial index holds only the messages of the
applicant's side (what an applicant wrote, what was addressed to everyone or to the
applicant: the rule's condition word for word, so that PostgreSQL may use it), by case and
id, carrying the author: the box reads the index alone (4.1 ms). Made with ``CREATE INDEX
CONCURRENTLY`` on PostgreSQL (the migration is not atomic), as ``0002``.
"""

from django.db import migrations

CONDITION = "author_party = 'applicant' OR audience IN ('everyone', 'applicant')"


def add_index(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    how = "CONCURRENTLY IF NOT EXISTS" if postgresql else "IF NOT EXISTS"
    include = " INCLUDE (author_id)" if postgresql else ""
    schema_editor.execute(
        f"CREATE INDEX {how} message_applicant_side ON conversation_casemessage"
        f" (case_id, id){include} WHERE {CONDITION}"
    )


def remove_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS message_applicant_side")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("conversation", "0002_message_consultant_side"),
    ]

    operations = [
        migrations.RunPython(add_index, remove_index, atomic=False, elidable=False),
    ]
