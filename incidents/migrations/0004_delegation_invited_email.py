"""A delegation may name its delegate by email: someone outside the residence (a
relative, a proxy). Until an account verifies that address the delegation is pending
(`delegate` empty); a check constraint keeps one of the two filled."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_ticket_milestones"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="delegation",
            name="invited_email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="email"),
        ),
        migrations.AddField(
            model_name="historicaldelegation",
            name="invited_email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="email"),
        ),
        migrations.AlterField(
            model_name="delegation",
            name="delegate",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="delegations_received",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="delegation",
            index=models.Index(
                condition=models.Q(("delegate__isnull", True)),
                fields=["invited_email"],
                name="delegation_pending_email",
            ),
        ),
        migrations.AddConstraint(
            model_name="delegation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("delegate__isnull", False),
                    models.Q(("invited_email", ""), _negated=True),
                    _connector="OR",
                ),
                name="delegation_delegate_or_email",
            ),
        ),
    ]
