"""Issue 17 (session 12): the messages a consultant's side may see, newest first
(``message_consultant_side``).

The consultant's home finds its cases with new messages from the newest unread ones
(``conversation.selectors.cases_with_unread``), read backwards along the message ids. A
consultant may see what a consultant wrote and what was addressed to everyone or to the
consultant (``access.visible_messages``); most messages of a programme are between the
applicant and the coordinators, so that walk read every message of the programme when
the consultant had none new (7 ms for 59 000 messages at 100 000 cases). This partial
index holds only the messages of the consultant's side, so the walk reads those alone
(0.06 ms). Made with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL (the migration is not
atomic), as ``procurement 0014``. Its condition is the rule's, word for word: PostgreSQL
uses a partial index only for a query whose condition implies it.
"""

from django.db import migrations

CONDITION = "author_party = 'consultant' OR audience IN ('everyone', 'consultant')"


def add_index(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    how = "CONCURRENTLY IF NOT EXISTS" if postgresql else "IF NOT EXISTS"
    schema_editor.execute(
        f"CREATE INDEX {how} message_consultant_side ON conversation_casemessage (id)"
        f" WHERE {CONDITION}"
    )


def remove_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS message_consultant_side")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("conversation", "0001_case_conversation"),
    ]

    operations = [
        migrations.RunPython(add_index, remove_index, atomic=False, elidable=False),
    ]
