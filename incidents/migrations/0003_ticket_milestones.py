"""The statistics' milestones on the ticket: `acknowledged_at` (first move to
acknowledged or in progress) and `resolved_at` (first move to resolved), and the
indexes of the statistics' reads.

The database keeps them from the transitions: a statement-level trigger folds every
batch of new transitions into their tickets (the earliest time wins, so a reopened
ticket keeps its first resolution, and the order of insertion does not matter),
whoever inserts them: fixtures, a bulk load, SQL. `ticket_move` and the scale seed
write them with the ticket already, and the trigger then finds nothing to change.
Transitions are never changed afterwards (they go only with their ticket). Existing
tickets are filled from their transitions, one UPDATE … FROM per field.
"""

from django.db import migrations, models

STAMP = """
CREATE FUNCTION incidents_ticket_stamp_milestones() RETURNS trigger AS $$
BEGIN
    UPDATE incidents_ticket AS ticket
    SET acknowledged_at = LEAST(ticket.acknowledged_at, added.acknowledged_at),
        resolved_at = LEAST(ticket.resolved_at, added.resolved_at)
    FROM (
        SELECT ticket_id,
            MIN(at) FILTER (WHERE to_status IN ('acknowledged', 'in_progress'))
                AS acknowledged_at,
            MIN(at) FILTER (WHERE to_status = 'resolved') AS resolved_at
        FROM added_transitions
        WHERE to_status IN ('acknowledged', 'in_progress', 'resolved')
        GROUP BY ticket_id
    ) AS added
    WHERE ticket.id = added.ticket_id
        -- Only rows that change: a second resolution writes nothing.
        AND (ticket.acknowledged_at IS DISTINCT FROM
                LEAST(ticket.acknowledged_at, added.acknowledged_at)
            OR ticket.resolved_at IS DISTINCT FROM
                LEAST(ticket.resolved_at, added.resolved_at));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_transition_milestones
    AFTER INSERT ON incidents_transition
    REFERENCING NEW TABLE AS added_transitions
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_ticket_stamp_milestones();
"""
UNSTAMP = """
DROP TRIGGER IF EXISTS incidents_transition_milestones ON incidents_transition;
DROP FUNCTION IF EXISTS incidents_ticket_stamp_milestones();
"""

BACKFILL = [
    """
    UPDATE incidents_ticket AS ticket SET acknowledged_at = moved.first_at
    FROM (
        SELECT ticket_id, MIN(at) AS first_at FROM incidents_transition
        WHERE to_status IN ('acknowledged', 'in_progress')
        GROUP BY ticket_id
    ) AS moved
    WHERE ticket.id = moved.ticket_id
    """,
    """
    UPDATE incidents_ticket AS ticket SET resolved_at = moved.first_at
    FROM (
        SELECT ticket_id, MIN(at) AS first_at FROM incidents_transition
        WHERE to_status = 'resolved'
        GROUP BY ticket_id
    ) AS moved
    WHERE ticket.id = moved.ticket_id
    """,
]


def backfill_milestones(apps, schema_editor):
    """Every ticket's milestones from its transitions (tickets never moved there
    keep NULL)."""
    with schema_editor.connection.cursor() as cursor:
        for sql in BACKFILL:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_delegation_interventions_quotes_relay")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="acknowledged_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="acknowledged"
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="resolved_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="resolved"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("merged_into", None)),
                fields=["residence", "created_at"],
                name="ticket_stats_declared",
            ),
        ),
        migrations.AddIndex(
            model_name="transition",
            index=models.Index(
                condition=models.Q(
                    (
                        "from_status__in",
                        [
                            "acknowledged",
                            "in_progress",
                            "new",
                            "reopened",
                            "waiting_provider",
                        ],
                    ),
                    ("to_status__in", ["closed", "rejected", "resolved"]),
                ),
                fields=["ticket", "at"],
                name="transition_closing",
            ),
        ),
        # The index before the backfill: PostgreSQL refuses to build one on a table
        # with pending (deferred foreign key) trigger events, which the UPDATEs leave.
        # The trigger before the backfill too: no move recorded meanwhile is missed.
        migrations.RunSQL(STAMP, UNSTAMP),
        migrations.RunPython(backfill_milestones, migrations.RunPython.noop),
    ]
