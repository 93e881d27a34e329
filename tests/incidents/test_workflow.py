"""The workflow, cell by cell: every (state, target, actor) is allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from incidents import workflow
from incidents.workflow import Actor, Status

S = Status
ALLOWED = {
    # (from, to): who may
    (S.NEW, S.ACKNOWLEDGED): {Actor.SYNDIC},
    (S.NEW, S.IN_PROGRESS): {Actor.SYNDIC},
    (S.NEW, S.REJECTED): {Actor.SYNDIC},
    (S.ACKNOWLEDGED, S.IN_PROGRESS): {Actor.SYNDIC},
    (S.ACKNOWLEDGED, S.WAITING_PROVIDER): {Actor.SYNDIC},
    (S.ACKNOWLEDGED, S.RESOLVED): {Actor.SYNDIC},
    (S.ACKNOWLEDGED, S.REJECTED): {Actor.SYNDIC},
    (S.IN_PROGRESS, S.WAITING_PROVIDER): {Actor.SYNDIC},
    (S.IN_PROGRESS, S.RESOLVED): {Actor.SYNDIC},
    (S.WAITING_PROVIDER, S.IN_PROGRESS): {Actor.SYNDIC},
    (S.WAITING_PROVIDER, S.RESOLVED): {Actor.SYNDIC},
    (S.RESOLVED, S.CLOSED): {Actor.SYNDIC, Actor.REPORTER},
    (S.RESOLVED, S.REOPENED): {Actor.SYNDIC, Actor.REPORTER},
    (S.CLOSED, S.REOPENED): {Actor.SYNDIC, Actor.REPORTER},
    (S.REJECTED, S.REOPENED): {Actor.SYNDIC},
    (S.REOPENED, S.ACKNOWLEDGED): {Actor.SYNDIC},
    (S.REOPENED, S.IN_PROGRESS): {Actor.SYNDIC},
    (S.REOPENED, S.RESOLVED): {Actor.SYNDIC},
    (S.REOPENED, S.REJECTED): {Actor.SYNDIC},
}

CELLS = [
    pytest.param(a, b, actor, id=f"{a}-{b}-{actor}")
    for a, b in itertools.product(Status, Status)
    for actor in Actor
]


@pytest.mark.parametrize(("source", "target", "actor"), CELLS)
def test_each_transition(source, target, actor):
    may = actor in ALLOWED.get((source, target), set())
    assert (target in workflow.allowed(source, {actor})) == may
    if may:
        workflow.check(source, target, {actor})
    else:
        with pytest.raises(workflow.IllegalTransition):
            workflow.check(source, target, {actor})


def test_nobody_moves_without_a_role():
    for status in Status:
        assert workflow.allowed(status, set()) == []


def test_a_syndic_who_reported_it_has_both_powers():
    both = workflow.allowed(S.RESOLVED, {Actor.SYNDIC, Actor.REPORTER})
    assert both == [S.CLOSED, S.REOPENED]
