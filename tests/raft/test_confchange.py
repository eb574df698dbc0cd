"""The membership Changer: etcd's safety checks for simple and joint changes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuradb.raft.confchange import Changer, decode_conf_change, encode_conf_change, restore
from kuradb.raft.errors import ConfChangeError
from kuradb.raft.tracker import ProgressTracker
from kuradb.raft.types import ConfChange, ConfChangeSingle, ConfChangeTransition, ConfChangeType, ConfState

ADD, REMOVE, LEARNER = ConfChangeType.ADD_NODE, ConfChangeType.REMOVE_NODE, ConfChangeType.ADD_LEARNER_NODE


def _tracker(cs: ConfState) -> ProgressTracker:
    trk = ProgressTracker(16)
    trk.config, trk.progress = restore(Changer(trk, 10), cs)
    return trk


def _apply(trk: ProgressTracker, cfg_prs: tuple) -> ConfState:  # type: ignore[type-arg]
    trk.config, trk.progress = cfg_prs
    return trk.conf_state()


def test_simple_one_voter_at_a_time() -> None:
    """Raft thesis §4.1: single-server changes keep old and new majorities overlapping, so at
    most one voter may change per simple step."""
    trk = _tracker(ConfState(voters=(1, 2, 3)))
    cs = _apply(trk, Changer(trk, 10).simple((ConfChangeSingle(ADD, 4),)))
    assert cs.voters == (1, 2, 3, 4)
    with pytest.raises(ConfChangeError, match="more than one voter changed"):
        Changer(trk, 10).simple((ConfChangeSingle(ADD, 5), ConfChangeSingle(REMOVE, 1)))
    # Adding a learner alongside one voter change is fine (learners are not in any quorum).
    cs = _apply(trk, Changer(trk, 10).simple((ConfChangeSingle(REMOVE, 4), ConfChangeSingle(LEARNER, 5))))
    assert (cs.voters, cs.learners) == ((1, 2, 3), (5,))
    with pytest.raises(ConfChangeError, match="removed all voters"):
        t1 = _tracker(ConfState(voters=(1,)))
        Changer(t1, 10).simple((ConfChangeSingle(REMOVE, 1),))


def test_joint_enter_and_leave() -> None:
    """Raft paper §6: C_old,new requires both majorities; leaving drops C_old."""
    trk = _tracker(ConfState(voters=(1, 2, 3)))
    changes = (ConfChangeSingle(ADD, 4), ConfChangeSingle(ADD, 5), ConfChangeSingle(REMOVE, 1))
    cs = _apply(trk, Changer(trk, 10).enter_joint(True, changes))
    assert (cs.voters, cs.voters_outgoing, cs.auto_leave) == ((2, 3, 4, 5), (1, 2, 3), True)
    assert 1 in trk.progress  # still an outgoing voter
    with pytest.raises(ConfChangeError, match="already joint"):
        Changer(trk, 10).enter_joint(False, (ConfChangeSingle(ADD, 6),))
    with pytest.raises(ConfChangeError, match="simple config change in joint"):
        Changer(trk, 10).simple((ConfChangeSingle(ADD, 6),))
    cs = _apply(trk, Changer(trk, 10).leave_joint())
    assert (cs.voters, cs.voters_outgoing, cs.auto_leave) == ((2, 3, 4, 5), (), False)
    assert 1 not in trk.progress
    with pytest.raises(ConfChangeError, match="non-joint"):
        Changer(trk, 10).leave_joint()


def test_demotion_goes_through_learners_next() -> None:
    """Raft thesis §4.2 / etcd: a voter is demoted to learner only via joint consensus, parked
    in learners_next while it still votes in C_old."""
    trk = _tracker(ConfState(voters=(1, 2, 3)))
    cs = _apply(trk, Changer(trk, 10).enter_joint(False, (ConfChangeSingle(LEARNER, 3),)))
    assert (cs.voters, cs.voters_outgoing, cs.learners_next, cs.learners) == ((1, 2), (1, 2, 3), (3,), ())
    cs = _apply(trk, Changer(trk, 10).leave_joint())
    assert (cs.voters, cs.learners) == ((1, 2), (3,))
    assert trk.progress[3].is_learner


def test_zero_voter_joint_refused() -> None:
    trk = ProgressTracker(16)
    with pytest.raises(ConfChangeError, match="zero-voter"):
        Changer(trk, 1).enter_joint(False, (ConfChangeSingle(ADD, 1),))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(1, 6), min_size=1, max_size=4, unique=True),
    st.lists(st.integers(7, 9), max_size=2, unique=True),
    st.booleans(),
)
def test_restore_round_trips(voters: list[int], learners: list[int], joint: bool) -> None:
    """Restoring a ConfState (from a snapshot) yields exactly that ConfState."""
    cs = ConfState(voters=tuple(sorted(voters)), learners=tuple(sorted(learners)))
    if joint:
        trk = _tracker(cs)
        cs = _apply(trk, Changer(trk, 5).enter_joint(True, (ConfChangeSingle(ADD, 10),)))
    assert _tracker(cs).conf_state() == cs


def test_encode_decode() -> None:
    cc = ConfChange(
        changes=(ConfChangeSingle(ADD, 4), ConfChangeSingle(LEARNER, 5)),
        transition=ConfChangeTransition.JOINT_EXPLICIT,
        context=b"ctx",
    )
    assert decode_conf_change(encode_conf_change(cc)) == cc
    assert decode_conf_change(encode_conf_change(ConfChange())).leave_joint()
