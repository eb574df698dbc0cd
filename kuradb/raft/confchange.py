"""Membership changes: simple (one voter at a time) and joint consensus (etcd-io/raft confchange).

Rules (Raft paper §6, thesis §4.1–4.3):

* A *simple* change may alter the voter set by at most one node (so any old majority and any new
  majority intersect); it is refused while a joint config is active.
* Entering a joint config copies the current voters into ``outgoing`` and applies the changes to
  ``incoming``; decisions then need a majority of *both*. It is refused when already joint or
  when there are no voters to start from.
* Leaving copies nothing: ``outgoing`` is dropped, ``learners_next`` become learners, and
  members in neither half lose their Progress.
* A voter is demoted to learner only through joint consensus: while it is still an outgoing
  voter it is parked in ``learners_next``. Removing every voter is refused.
* A change never mutates the tracker it was computed from: the Changer returns a new config and
  progress map that the caller installs (``Raft.switch_to_config``) only when the change is
  applied, i.e. after it committed (configs take effect on apply, as in etcd).
* Wire format: ``encode_conf_change``/``decode_conf_change`` (msgpack) is the data of a
  CONF_CHANGE log entry; the empty change (no ``changes``) means "leave the joint config".
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import msgpack

from kuradb.raft.errors import ConfChangeError
from kuradb.raft.progress import Inflights, Progress
from kuradb.raft.quorum import JointConfig, MajorityConfig
from kuradb.raft.tracker import ProgressTracker, TrackerConfig
from kuradb.raft.types import (
    ConfChange,
    ConfChangeSingle,
    ConfChangeTransition,
    ConfChangeType,
    ConfState,
)

ProgressMap = dict[int, Progress]


def encode_conf_change(cc: ConfChange) -> bytes:
    return msgpack.packb(
        [int(cc.transition), cc.context, [[int(c.type), c.node_id] for c in cc.changes]],
        use_bin_type=True,
    )


def decode_conf_change(b: bytes) -> ConfChange:
    transition, context, changes = msgpack.unpackb(b, raw=False)
    return ConfChange(
        changes=tuple(ConfChangeSingle(ConfChangeType(t), int(n)) for t, n in changes),
        transition=ConfChangeTransition(transition),
        context=bytes(context),
    )


def enters_joint(cc: ConfChange) -> tuple[bool, bool]:
    """(whether ``cc`` enters a joint config, whether that joint config is left automatically)."""
    if cc.transition != ConfChangeTransition.AUTO or len(cc.changes) > 1:
        return True, cc.transition in (ConfChangeTransition.AUTO, ConfChangeTransition.JOINT_IMPLICIT)
    return False, False


@dataclass(slots=True)
class _Mutable:
    incoming: set[int]
    outgoing: set[int]
    learners: set[int]
    learners_next: set[int]
    auto_leave: bool

    def freeze(self) -> TrackerConfig:
        return TrackerConfig(
            voters=JointConfig(MajorityConfig(frozenset(self.incoming)), MajorityConfig(frozenset(self.outgoing))),
            learners=frozenset(self.learners),
            learners_next=frozenset(self.learners_next),
            auto_leave=self.auto_leave,
        )


@dataclass(slots=True)
class Changer:
    """Computes the config that results from a change, without touching ``tracker``."""

    tracker: ProgressTracker
    last_index: int

    def enter_joint(self, auto_leave: bool, ccs: tuple[ConfChangeSingle, ...]) -> tuple[TrackerConfig, ProgressMap]:
        cfg, prs = self._check_and_copy()
        if cfg.outgoing:
            raise ConfChangeError("config is already joint")
        if not cfg.incoming:
            # Joint consensus needs an old config with voters to be safe (and meaningful).
            raise ConfChangeError("can't make a zero-voter config joint")
        cfg.outgoing = set(cfg.incoming)
        self._apply(cfg, prs, ccs)
        cfg.auto_leave = auto_leave
        return self._check_and_return(cfg, prs)

    def leave_joint(self) -> tuple[TrackerConfig, ProgressMap]:
        cfg, prs = self._check_and_copy()
        if not cfg.outgoing:
            raise ConfChangeError("can't leave a non-joint config")
        for i in cfg.learners_next:
            cfg.learners.add(i)
            prs[i].is_learner = True
        cfg.learners_next = set()
        for i in cfg.outgoing:
            if i not in cfg.incoming and i not in cfg.learners:
                del prs[i]
        cfg.outgoing = set()
        cfg.auto_leave = False
        return self._check_and_return(cfg, prs)

    def simple(self, ccs: tuple[ConfChangeSingle, ...]) -> tuple[TrackerConfig, ProgressMap]:
        cfg, prs = self._check_and_copy()
        if cfg.outgoing:
            raise ConfChangeError("can't apply simple config change in joint config")
        before = set(self.tracker.config.voters.incoming.ids)
        self._apply(cfg, prs, ccs)
        if len(before ^ cfg.incoming) > 1:
            raise ConfChangeError("more than one voter changed without entering joint config")
        return self._check_and_return(cfg, prs)

    # -- internals --------------------------------------------------------------------------
    def _apply(self, cfg: _Mutable, prs: ProgressMap, ccs: tuple[ConfChangeSingle, ...]) -> None:
        for cc in ccs:
            if cc.node_id == 0:
                continue  # etcd: a zero id is a no-op
            if cc.type == ConfChangeType.ADD_NODE:
                self._make_voter(cfg, prs, cc.node_id)
            elif cc.type == ConfChangeType.ADD_LEARNER_NODE:
                self._make_learner(cfg, prs, cc.node_id)
            elif cc.type == ConfChangeType.REMOVE_NODE:
                self._remove(cfg, prs, cc.node_id)
            else:
                raise ConfChangeError(f"unexpected conf type {cc.type}")
        if not cfg.incoming:
            raise ConfChangeError("removed all voters")

    def _make_voter(self, cfg: _Mutable, prs: ProgressMap, i: int) -> None:
        pr = prs.get(i)
        if pr is None:
            self._init_progress(cfg, prs, i, is_learner=False)
            return
        pr.is_learner = False
        cfg.learners.discard(i)
        cfg.learners_next.discard(i)
        cfg.incoming.add(i)

    def _make_learner(self, cfg: _Mutable, prs: ProgressMap, i: int) -> None:
        pr = prs.get(i)
        if pr is None:
            self._init_progress(cfg, prs, i, is_learner=True)
            return
        if pr.is_learner:
            return
        self._remove(cfg, prs, i)
        prs[i] = pr  # keep its progress: it is still a member
        if i in cfg.outgoing:
            cfg.learners_next.add(i)  # still an outgoing voter: demote on leaving joint
        else:
            pr.is_learner = True
            cfg.learners.add(i)

    def _remove(self, cfg: _Mutable, prs: ProgressMap, i: int) -> None:
        if i not in prs:
            return
        cfg.incoming.discard(i)
        cfg.learners.discard(i)
        cfg.learners_next.discard(i)
        if i not in cfg.outgoing:
            del prs[i]

    def _init_progress(self, cfg: _Mutable, prs: ProgressMap, i: int, is_learner: bool) -> None:
        if is_learner:
            cfg.learners.add(i)
        else:
            cfg.incoming.add(i)
        # recent_active: give the newcomer a check-quorum round before it can count as dead.
        prs[i] = Progress(
            match=0,
            next=max(self.last_index, 1),
            inflights=Inflights(self.tracker.max_inflight),
            is_learner=is_learner,
            recent_active=True,
        )

    def _check_and_copy(self) -> tuple[_Mutable, ProgressMap]:
        c = self.tracker.config
        cfg = _Mutable(
            incoming=set(c.voters.incoming.ids),
            outgoing=set(c.voters.outgoing.ids),
            learners=set(c.learners),
            learners_next=set(c.learners_next),
            auto_leave=c.auto_leave,
        )
        prs = copy.deepcopy(self.tracker.progress)
        _check_invariants(cfg, prs)
        return cfg, prs

    @staticmethod
    def _check_and_return(cfg: _Mutable, prs: ProgressMap) -> tuple[TrackerConfig, ProgressMap]:
        _check_invariants(cfg, prs)
        return cfg.freeze(), prs


def _check_invariants(cfg: _Mutable, prs: ProgressMap) -> None:
    for i in cfg.incoming | cfg.outgoing | cfg.learners | cfg.learners_next:
        if i not in prs:
            raise ConfChangeError(f"no progress for {i}")
    for i in cfg.learners_next:
        if i not in cfg.outgoing:
            raise ConfChangeError(f"{i} is in LearnersNext, but not Voters[1]")
        if prs[i].is_learner:
            raise ConfChangeError(f"{i} is in LearnersNext, but is already marked as learner")
    for i in cfg.learners:
        if i in cfg.outgoing:
            raise ConfChangeError(f"{i} is in Learners and Voters[1]")
        if i in cfg.incoming:
            raise ConfChangeError(f"{i} is in Learners and Voters[0]")
        if not prs[i].is_learner:
            raise ConfChangeError(f"{i} is in Learners, but is not marked as learner")
    if not cfg.outgoing:
        if cfg.learners_next:
            raise ConfChangeError("cfg.LearnersNext must be nil when not joint")
        if cfg.auto_leave:
            raise ConfChangeError("AutoLeave must be false when not joint")


def restore(changer: Changer, cs: ConfState) -> tuple[TrackerConfig, ProgressMap]:
    """Rebuild the tracker config described by ``cs`` (from a snapshot or at boot) by replaying
    it as simple changes (the outgoing voters, or everything if not joint) followed, if joint,
    by one enter_joint with the incoming side. ``changer.tracker`` is not modified."""
    if not cs.voters and not cs.voters_outgoing:
        if cs.learners or cs.learners_next:
            raise ConfChangeError("conf state has learners but no voters")
        # Empty membership: a replica that will learn it from a snapshot (a joining node).
        return changer.tracker.config, copy.deepcopy(changer.tracker.progress)
    outgoing = tuple(ConfChangeSingle(ConfChangeType.ADD_NODE, i) for i in cs.voters_outgoing)
    incoming = (
        tuple(ConfChangeSingle(ConfChangeType.REMOVE_NODE, i) for i in cs.voters_outgoing)
        + tuple(ConfChangeSingle(ConfChangeType.ADD_NODE, i) for i in cs.voters)
        + tuple(ConfChangeSingle(ConfChangeType.ADD_LEARNER_NODE, i) for i in cs.learners)
        + tuple(ConfChangeSingle(ConfChangeType.ADD_LEARNER_NODE, i) for i in cs.learners_next)
    )
    scratch = ProgressTracker(changer.tracker.max_inflight)
    scratch.config = changer.tracker.config
    scratch.progress = copy.deepcopy(changer.tracker.progress)
    step = Changer(scratch, changer.last_index)
    for cc in outgoing if outgoing else incoming:
        scratch.config, scratch.progress = step.simple((cc,))
    if outgoing:
        scratch.config, scratch.progress = step.enter_joint(cs.auto_leave, incoming)
    return scratch.config, scratch.progress
