"""The Raft state machine: a pure, deterministic core (etcd-io/raft style). No I/O, no clocks.

Inputs are ``tick()`` (logical time) and ``step(msg)``; outputs are accumulated in ``msgs``,
``read_states`` and the log's unstable part, handed to the driver through a Ready (rawnode.py).

State machine rules (paper = Raft paper, thesis = Ongaro's thesis):

1. Terms. Any message with a higher term makes us a follower of that term (§5.1), except:
   a vote/pre-vote request is *ignored* while we are in a leader lease (check-quorum on, we
   heard from a leader within election_tick) unless it carries the leader-transfer marker
   (thesis §4.2.3, disruptive servers); a PRE_VOTE never changes our term, nor does a granted
   PRE_VOTE_RESP. Messages with a lower term are dropped, except that a stale APP/HEARTBEAT is
   answered (so a partitioned old leader learns the new term) and a PRE_VOTE is rejected.
2. Votes (§5.2, §5.4.1). We grant at most one vote per term (``vote`` is persisted before the
   reply is sent), and only to a candidate whose log is at least as up to date as ours. A
   pre-vote (thesis §9.6) is granted under the same log rule for a future term without
   recording anything. Learners are never asked and their votes never count.
3. Elections. A follower or candidate whose election timer (randomized in
   [election_tick, 2*election_tick) from ``config.rng``) expires campaigns: with pre-vote it
   first becomes PRE_CANDIDATE (term unchanged) and only starts the real election (term+1,
   vote for self) after a pre-vote quorum. A node that is not a voter, has an unapplied conf
   change committed, has a pending snapshot, or (disable_campaign_until_contacted) has never
   heard from a leader does not campaign.
4. Leader (§5.3). On election it appends an empty entry of its term: the commit rule below means
   nothing (not even reads) is served before that entry commits (thesis §6.4). It commits an
   index once a quorum of voters (joint: both halves) stores it *and* the entry there is of the
   current term (§5.4.2, fig. 8). Appends are batched (max_size_per_msg) and flow-controlled per
   follower (progress.py). Rejections carry (reject_hint, hint_term) so the leader skips a whole
   term per round trip (thesis §5.3 / etcd findConflictByTerm). A follower needing compacted
   entries gets a snapshot (§7).
5. Check-quorum (thesis §6.2). Every election_tick the leader steps down unless a quorum of
   voters was active since the previous check.
6. Membership (§6, thesis §4). Changes take effect when applied. A leader accepts a new conf
   change only when the previous one is applied (``pending_conf_index <= applied``), refuses
   simple changes while joint, and appends the "leave joint" entry itself when auto_leave.
   A leader that applies its own removal (or demotion) steps down.
7. Leadership transfer (thesis §3.10). The leader stops accepting proposals, brings the
   transferee up to date, then sends TIMEOUT_NOW; the transferee campaigns immediately (no
   pre-vote, bypassing leases). The transfer is abandoned after one election timeout.
8. Reads (thesis §6.4). SAFE: read index = commit, confirmed by a heartbeat round carrying the
   request ctx. LEASE_BASED: answered immediately while a quorum acknowledged a heartbeat sent
   less than lease_ticks ago (lease_ticks < election_tick, and followers refuse votes for
   election_tick after hearing from us), else falls back to SAFE. The lease is measured from
   the *send* tick of the acknowledged heartbeat (HEARTBEAT.index carries the leader's lease
   clock and HEARTBEAT_RESP echoes it), and is void for the rest of the term once TIMEOUT_NOW
   was sent. No read is answered before the leader committed an entry of its term; they queue
   until then.
9. Followers forward proposals (unless disable_proposal_forwarding), read-index requests and
   transfer requests to the leader; with no leader they are dropped (ProposalDropped locally).

Deliberately broken variants (``config.bugs``, test-only) are marked ``BUG (test-only)``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from kuradb.raft.config import Config
from kuradb.raft.confchange import Changer, ProgressMap, decode_conf_change, encode_conf_change, enters_joint, restore
from kuradb.raft.errors import Compacted, ProposalDropped, SnapshotTemporarilyUnavailable, Unavailable
from kuradb.raft.log import RaftLog
from kuradb.raft.progress import Inflights, Progress, ProgressState
from kuradb.raft.quorum import VoteResult
from kuradb.raft.read_only import ReadOnly, ReadOnlyOption
from kuradb.raft.storage import Storage
from kuradb.raft.tracker import ProgressTracker, TrackerConfig
from kuradb.raft.types import (
    NONE,
    ConfChange,
    ConfState,
    Entry,
    EntryType,
    HardState,
    Message,
    MessageType,
    ReadState,
    Snapshot,
    SoftState,
    StateType,
)

CAMPAIGN_TRANSFER = b"CampaignTransfer"  # vote context: bypass leases (leader transfer)

MT = MessageType


def _vote_resp_type(t: MessageType) -> MessageType:
    return MT.VOTE_RESP if t == MT.VOTE else MT.PRE_VOTE_RESP


class Raft:
    """One replica of one group. See the module rules; driven only through rawnode.RawNode."""

    def __init__(self, config: Config, storage: Storage) -> None:
        config.validate()
        self.id = config.id
        self.config = config
        self.rng = config.rng if config.rng is not None else random.Random()
        self.raft_log = RaftLog(storage)
        self.max_msg_size = config.max_size_per_msg
        self.max_uncommitted_size = config.max_uncommitted_entries_size
        self.trk = ProgressTracker(config.max_inflight_msgs, learner_votes_count="learner_votes_count" in config.bugs)
        self.election_timeout = config.election_tick
        self.heartbeat_timeout = config.heartbeat_tick
        self.check_quorum = config.check_quorum
        self.pre_vote = config.pre_vote
        self.read_only = ReadOnly(config.read_only)
        self.lease_ticks = config.effective_lease_ticks()
        self.disable_proposal_forwarding = config.disable_proposal_forwarding
        self.defer_commit_broadcast = config.defer_commit_broadcast
        self.commit_previous_term_bug = "commit_previous_term" in config.bugs
        self.learner_votes_bug = "learner_votes_count" in config.bugs

        self.term = 0
        self.vote = NONE
        self.lead = NONE
        self.state = StateType.FOLLOWER
        self.is_learner = False
        self.msgs: list[Message] = []
        self.read_states: list[ReadState] = []
        self.lead_transferee = NONE
        self.pending_conf_index = 0
        self.uncommitted_size = 0
        self.pending_read_index_messages: list[Message] = []
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self.randomized_election_timeout = self.election_timeout
        self.contacted = not config.disable_campaign_until_contacted
        # Leader lease: a logical clock that only the leader reads, and per voter the send tick
        # of the newest heartbeat it acknowledged in this term.
        # Starts at 1 so that 0 means "never acknowledged".
        self.lease_clock = 1
        self.heartbeat_acked_tick: dict[int, int] = {}
        # Set once TIMEOUT_NOW was sent this term: the target may be elected at any time
        # (bypassing the followers' leases), so our lease can no longer be trusted.
        self.lease_revoked = False
        # Leader only (defer_commit_broadcast): the commit index last sent to each follower in
        # an APP or heartbeat, and whether a new commit index still has to be broadcast.
        self.commit_sent: dict[int, int] = {}
        self.commit_broadcast_owed = False

        hs, cs = storage.initial_state()
        cfg, prs = restore(Changer(self.trk, self.raft_log.last_index()), cs)
        self.switch_to_config(cfg, prs)
        if not hs.is_empty():
            self._load_state(hs)
        if config.applied > 0:
            self.raft_log.applied_to(config.applied)
        self._step_fn: Callable[[Message], None] = self._step_follower
        self._tick_fn: Callable[[], None] = self._tick_election
        self.become_follower(self.term, NONE)

    # -- observation ---------------------------------------------------------------------------
    def soft_state(self) -> SoftState:
        return SoftState(leader=self.lead, state=self.state)

    def hard_state(self) -> HardState:
        return HardState(term=self.term, vote=self.vote, commit=self.raft_log.committed)

    def _load_state(self, hs: HardState) -> None:
        if hs.commit < self.raft_log.committed or hs.commit > self.raft_log.last_index():
            raise AssertionError(
                f"{self.id} state.commit {hs.commit} is out of range [{self.raft_log.committed}, {self.raft_log.last_index()}]"
            )
        self.raft_log.committed = hs.commit
        self.term = hs.term
        self.vote = hs.vote

    # -- sending ------------------------------------------------------------------------------------
    def _send(self, m: Message) -> None:
        if m.frm == NONE:
            m.frm = self.id
        if m.to == self.id:
            raise AssertionError(f"{self.id} must not send {m.type.name} to itself")
        if m.type in (MT.VOTE, MT.VOTE_RESP, MT.PRE_VOTE, MT.PRE_VOTE_RESP):
            # Vote messages carry their term explicitly: the campaign's term (pre-vote: our
            # future term) or, for responses, the request's term (granted) or ours (rejected).
            if m.type in (MT.VOTE, MT.PRE_VOTE) and m.term == 0:
                raise AssertionError(f"term should be set when sending {m.type.name}")
        elif m.type not in (MT.PROPOSE, MT.READ_INDEX):
            # Forwarded proposals and reads are "local" at the leader (term 0).
            m.term = self.term
        self.msgs.append(m)

    def _send_append(self, to: int) -> None:
        self._maybe_send_append(to, send_if_empty=True)

    def _maybe_send_append(self, to: int, send_if_empty: bool) -> bool:
        """Send the next batch to ``to`` (or a snapshot if it needs compacted entries)."""
        pr = self.trk.progress[to]
        if pr.is_paused():
            return False
        m = Message(type=MT.APP, to=to)
        try:
            term = self.raft_log.term(pr.next - 1)
            ents = self.raft_log.entries(pr.next, self.max_msg_size)
        except (Compacted, Unavailable):
            return self._send_snapshot(to, pr)
        if not ents and not send_if_empty:
            return False
        m.index = pr.next - 1
        m.log_term = term
        m.entries = ents
        m.commit = self.raft_log.committed
        pr.sent_entries(ents[-1].index if ents else None)
        self.commit_sent[to] = m.commit
        self._send(m)
        return True

    def _send_snapshot(self, to: int, pr: Progress) -> bool:
        if not pr.recent_active:
            return False  # don't ship a snapshot to a node that may be down
        try:
            snap = self.raft_log.snapshot()
        except SnapshotTemporarilyUnavailable:
            return False
        if snap.is_empty():
            raise AssertionError("need non-empty snapshot")
        pr.become_snapshot(snap.metadata.index)
        self._send(Message(type=MT.SNAP, to=to, snapshot=snap))
        return True

    def _send_heartbeat(self, to: int, ctx: bytes) -> None:
        # Never advance a follower's commit past what it is known to store.
        commit = min(self.trk.progress[to].match, self.raft_log.committed)
        self.commit_sent[to] = max(self.commit_sent.get(to, 0), commit)
        self._send(Message(type=MT.HEARTBEAT, to=to, commit=commit, context=ctx, index=self.lease_clock))

    def _for_each_peer(self, f: Callable[[int], None]) -> None:
        for i in sorted(self.trk.progress):
            if i != self.id:
                f(i)

    def bcast_append(self) -> None:
        self._for_each_peer(self._send_append)

    def flush_commit_broadcast(self) -> None:
        """Send the commit broadcast that ``defer_commit_broadcast`` postponed: an APP to each
        follower not yet sent the current commit index (flow control permitting, exactly as
        ``bcast_append``). Called by RawNode before it hands out messages."""
        if not self.commit_broadcast_owed:
            return
        self.commit_broadcast_owed = False
        if self.state != StateType.LEADER:
            return
        committed = self.raft_log.committed
        for i in sorted(self.trk.progress):
            if i != self.id and self.commit_sent.get(i, 0) < committed:
                self._send_append(i)

    def bcast_heartbeat(self, ctx: bytes | None = None) -> None:
        c = self.read_only.last_pending_request_ctx() if ctx is None else ctx
        self._for_each_peer(lambda i: self._send_heartbeat(i, c))

    # -- log ----------------------------------------------------------------------------------------
    def maybe_commit(self) -> bool:
        mci = self.trk.committed()
        # BUG (test-only, "commit_previous_term"): commit by counting replicas of an entry of a
        # previous term — Figure 8 shows such an entry can still be overwritten.
        return self.raft_log.maybe_commit(mci, self.term, any_term=self.commit_previous_term_bug)

    def append_entry(self, es: list[Entry]) -> bool:
        li = self.raft_log.last_index()
        for i, e in enumerate(es):
            e.term = self.term
            e.index = li + 1 + i
        if not self._increase_uncommitted_size(es):
            return False
        li = self.raft_log.append(es)
        pr = self.trk.progress.get(self.id)
        if pr is not None:
            pr.maybe_update(li)
        self.maybe_commit()
        return True

    def _payload_size(self, es: list[Entry]) -> int:
        return sum(len(e.data) for e in es)

    def _increase_uncommitted_size(self, es: list[Entry]) -> bool:
        s = self._payload_size(es)
        if (
            self.max_uncommitted_size > 0
            and self.uncommitted_size > 0
            and s > 0
            and self.uncommitted_size + s > self.max_uncommitted_size
        ):
            return False
        self.uncommitted_size += s
        return True

    def reduce_uncommitted_size(self, ents: list[Entry]) -> None:
        if self.uncommitted_size == 0:
            return  # fast path for followers, which do not track it
        self.uncommitted_size = max(0, self.uncommitted_size - self._payload_size(ents))

    # -- time -------------------------------------------------------------------------------------
    def tick(self) -> None:
        self._tick_fn()

    def _tick_election(self) -> None:
        self.election_elapsed += 1
        if self.promotable() and self.contacted and self._past_election_timeout():
            self.election_elapsed = 0
            self.step(Message(type=MT.HUP, frm=self.id))

    def _tick_heartbeat(self) -> None:
        self.heartbeat_elapsed += 1
        self.election_elapsed += 1
        self.lease_clock += 1
        if self.election_elapsed >= self.election_timeout:
            self.election_elapsed = 0
            if self.check_quorum:
                self._check_quorum()
            if self.state == StateType.LEADER and self.lead_transferee != NONE:
                self.abort_leader_transfer()  # rule 7: give up after one election timeout
        if self.state != StateType.LEADER:
            return
        if self.heartbeat_elapsed >= self.heartbeat_timeout:
            self.heartbeat_elapsed = 0
            self.step(Message(type=MT.BEAT, frm=self.id))

    def _check_quorum(self) -> None:
        pr = self.trk.progress.get(self.id)
        if pr is not None:
            pr.recent_active = True  # the leader is always active to itself
        if not self.trk.quorum_active():
            self.become_follower(self.term, NONE)
            return
        for i, p in self.trk.progress.items():
            if i != self.id:
                p.recent_active = False

    def _past_election_timeout(self) -> bool:
        return self.election_elapsed >= self.randomized_election_timeout

    def _reset_randomized_election_timeout(self) -> None:
        self.randomized_election_timeout = self.election_timeout + self.rng.randrange(self.election_timeout)

    # -- role changes -------------------------------------------------------------------------------
    def _reset(self, term: int) -> None:
        if self.term != term:
            self.term = term
            self.vote = NONE
        self.lead = NONE
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self._reset_randomized_election_timeout()
        self.abort_leader_transfer()
        self.trk.reset_votes()
        last = self.raft_log.last_index()
        for i, pr in self.trk.progress.items():
            self.trk.progress[i] = Progress(
                match=last if i == self.id else 0,
                next=last + 1,
                inflights=Inflights(self.trk.max_inflight),
                is_learner=pr.is_learner,
            )
        self.pending_conf_index = 0
        self.uncommitted_size = 0
        self.read_only = ReadOnly(self.read_only.option)
        self.pending_read_index_messages = []
        self.heartbeat_acked_tick = {}
        self.lease_revoked = False
        self.commit_sent = {}
        self.commit_broadcast_owed = False

    def become_follower(self, term: int, lead: int) -> None:
        self._step_fn = self._step_follower
        self._reset(term)
        self._tick_fn = self._tick_election
        self.lead = lead
        self.state = StateType.FOLLOWER

    def become_candidate(self) -> None:
        if self.state == StateType.LEADER:
            raise AssertionError("invalid transition [leader -> candidate]")
        self._step_fn = self._step_candidate
        self._reset(self.term + 1)
        self._tick_fn = self._tick_election
        self.vote = self.id
        self.state = StateType.CANDIDATE

    def become_pre_candidate(self) -> None:
        if self.state == StateType.LEADER:
            raise AssertionError("invalid transition [leader -> pre-candidate]")
        # A pre-candidate changes neither term nor vote (thesis §9.6).
        self._step_fn = self._step_candidate
        self.trk.reset_votes()
        self._tick_fn = self._tick_election
        self.lead = NONE
        self.state = StateType.PRE_CANDIDATE

    def become_leader(self) -> None:
        if self.state == StateType.FOLLOWER:
            raise AssertionError("invalid transition [follower -> leader]")
        self._step_fn = self._step_leader
        self._reset(self.term)
        self._tick_fn = self._tick_heartbeat
        self.lead = self.id
        self.state = StateType.LEADER
        self.trk.progress[self.id].become_replicate()
        # Conservatively assume the tail may hold an unapplied conf change (rule 6).
        self.pending_conf_index = self.raft_log.last_index()
        if not self.append_entry([Entry(term=0, index=0)]):
            raise AssertionError("empty entry was dropped")
        # The empty entry does not count against the uncommitted-size limit.
        self.uncommitted_size = 0

    def promotable(self) -> bool:
        pr = self.trk.progress.get(self.id)
        return pr is not None and not pr.is_learner and not self.raft_log.has_pending_snapshot()

    def _hup(self, transfer: bool) -> None:
        if self.state == StateType.LEADER:
            return
        if not self.promotable():
            return
        # An applied-but-uncommitted conf change could make us campaign in the wrong config.
        if self.raft_log.committed > self.raft_log.applied:
            ents = self.raft_log.slice(self.raft_log.applied + 1, self.raft_log.committed + 1, None)
            if any(e.type == EntryType.CONF_CHANGE for e in ents):
                return
        if transfer:
            self._campaign(MT.VOTE, transfer=True)
        elif self.pre_vote:
            self._campaign(MT.PRE_VOTE)
        else:
            self._campaign(MT.VOTE)

    def _campaign(self, vote_msg: MessageType, transfer: bool = False) -> None:
        if vote_msg == MT.PRE_VOTE:
            self.become_pre_candidate()
            term = self.term + 1  # pre-vote for the term we would campaign in
        else:
            self.become_candidate()
            term = self.term
        if self._poll(self.id, _vote_resp_type(vote_msg), True) == VoteResult.WON:
            # Single-voter group: won immediately.
            if vote_msg == MT.PRE_VOTE:
                self._campaign(MT.VOTE)
            else:
                self.become_leader()
            return
        ids = set(self.trk.config.voters.ids())
        if self.learner_votes_bug:
            ids |= self.trk.config.learners  # BUG (test-only): ask learners too
        ctx = CAMPAIGN_TRANSFER if transfer else b""
        for i in sorted(ids):
            if i == self.id:
                continue
            self._send(
                Message(
                    type=vote_msg,
                    to=i,
                    term=term,
                    index=self.raft_log.last_index(),
                    log_term=self.raft_log.last_term(),
                    context=ctx,
                )
            )

    def _poll(self, frm: int, t: MessageType, granted: bool) -> VoteResult:
        self.trk.record_vote(frm, granted)
        return self.trk.tally_votes()[2]

    # -- step -------------------------------------------------------------------------------------
    def step(self, m: Message) -> None:
        """Apply one message (rule 1 for terms, then the role's step function). Raises
        ProposalDropped for local proposals/reads that cannot be accepted."""
        if m.term == 0:
            pass  # local message (or forwarded proposal/read)
        elif m.term > self.term:
            if m.type in (MT.VOTE, MT.PRE_VOTE):
                force = m.context == CAMPAIGN_TRANSFER
                in_lease = self.check_quorum and self.lead != NONE and self.election_elapsed < self.election_timeout
                if not force and in_lease:
                    return  # rule 1: a current leader is alive; don't let a stray node disrupt it
            if m.type == MT.PRE_VOTE:
                pass  # never change our term in response to a pre-vote
            elif m.type == MT.PRE_VOTE_RESP and not m.reject:
                pass  # granted pre-votes carry our future term; the real election will raise it
            elif m.type in (MT.APP, MT.HEARTBEAT, MT.SNAP):
                self.become_follower(m.term, m.frm)
            else:
                self.become_follower(m.term, NONE)
        elif m.term < self.term:
            if (self.check_quorum or self.pre_vote) and m.type in (MT.HEARTBEAT, MT.APP):
                # A stale leader (e.g. back from a partition) learns our term and steps down;
                # without this it would never step down under pre-vote/check-quorum.
                self._send(Message(type=MT.APP_RESP, to=m.frm))
            elif m.type == MT.PRE_VOTE:
                self._send(Message(type=MT.PRE_VOTE_RESP, to=m.frm, term=self.term, reject=True))
            return

        if m.type == MT.HUP:
            self._hup(transfer=False)
        elif m.type in (MT.VOTE, MT.PRE_VOTE):
            can_vote = (
                self.vote == m.frm
                or (self.vote == NONE and self.lead == NONE)
                or (m.type == MT.PRE_VOTE and m.term > self.term)
            )
            if can_vote and self.raft_log.is_up_to_date(m.index, m.log_term):
                self._send(Message(type=_vote_resp_type(m.type), to=m.frm, term=m.term))
                if m.type == MT.VOTE:
                    self.election_elapsed = 0
                    self.vote = m.frm
            else:
                self._send(Message(type=_vote_resp_type(m.type), to=m.frm, term=self.term, reject=True))
        else:
            self._step_fn(m)

    # -- leader ---------------------------------------------------------------------------------------
    def _step_leader(self, m: Message) -> None:
        t = m.type
        if t == MT.BEAT:
            self.bcast_heartbeat()
            return
        if t == MT.PROPOSE:
            self._leader_propose(m)
            return
        if t == MT.READ_INDEX:
            self._leader_read_index(m)
            return
        pr = self.trk.progress.get(m.frm)
        if pr is None:
            return
        if t == MT.APP_RESP:
            self._handle_append_response(m, pr)
        elif t == MT.HEARTBEAT_RESP:
            self._handle_heartbeat_response(m, pr)
        elif t == MT.SNAP_STATUS:
            if pr.state != ProgressState.SNAPSHOT:
                return
            if m.reject:
                pr.pending_snapshot = 0
            pr.become_probe()
            # Wait for the follower's APP_RESP (or a heartbeat) before probing again.
            pr.probe_sent = True
        elif t == MT.UNREACHABLE:
            if pr.state == ProgressState.REPLICATE:
                pr.become_probe()
        elif t == MT.TRANSFER_LEADER:
            self._handle_transfer_leader(m, pr)

    def _leader_propose(self, m: Message) -> None:
        if not m.entries:
            raise AssertionError("stepped empty MsgProp")
        local = m.frm in (NONE, self.id)
        if self.id not in self.trk.progress:
            raise ProposalDropped("raft proposal dropped: leader was removed from the configuration")
        if self.lead_transferee != NONE:
            raise ProposalDropped("raft proposal dropped: leadership transfer in progress")
        for i, e in enumerate(m.entries):
            if e.type != EntryType.CONF_CHANGE:
                continue
            cc = decode_conf_change(e.data)
            already_pending = self.pending_conf_index > self.raft_log.applied
            already_joint = self.trk.config.voters.is_joint()
            wants_leave = cc.leave_joint()
            refused = ""
            if already_pending:
                refused = (
                    f"possible unapplied conf change at index {self.pending_conf_index} "
                    f"(applied to {self.raft_log.applied})"
                )
            elif already_joint and not wants_leave:
                refused = "must transition out of joint config first"
            elif not already_joint and wants_leave:
                refused = "not in joint state; refusing empty conf change"
            if refused:
                if local:
                    raise ProposalDropped(f"raft proposal dropped: {refused}")
                # Forwarded: keep the batch's indexes, neutralize the change (etcd).
                m.entries[i] = Entry(term=0, index=0)
            else:
                self.pending_conf_index = self.raft_log.last_index() + i + 1
        if not self.append_entry(m.entries):
            raise ProposalDropped("raft proposal dropped: too many uncommitted entries")
        self.bcast_append()

    def _committed_entry_in_current_term(self) -> bool:
        return self.raft_log.zero_term_on_compacted(self.raft_log.committed) == self.term

    def _leader_read_index(self, m: Message) -> None:
        if self.trk.is_singleton():
            self._respond_read_index(m, self.raft_log.committed)
            return
        if not self._committed_entry_in_current_term():
            # Rule 8: our commit index may lag the previous leader's until our entry commits.
            self.pending_read_index_messages.append(m)
            return
        self._serve_read_index(m)

    def _serve_read_index(self, m: Message) -> None:
        if self.read_only.option == ReadOnlyOption.LEASE_BASED and self.in_lease():
            self._respond_read_index(m, self.raft_log.committed)
            return
        ctx = m.entries[0].data
        self.read_only.add_request(self.raft_log.committed, m)
        self.read_only.recv_ack(self.id, ctx)
        self.bcast_heartbeat(ctx)

    def in_lease(self) -> bool:
        """Leader lease (rule 8): a quorum acknowledged a heartbeat sent within lease_ticks."""
        if self.state != StateType.LEADER or self.lead_transferee != NONE or self.lease_revoked:
            return False
        if not self._committed_entry_in_current_term():
            return False

        def acked(i: int) -> int | None:
            return self.lease_clock if i == self.id else self.heartbeat_acked_tick.get(i)

        sent = self.trk.quorum_committed(acked)
        return sent > 0 and self.lease_clock - sent < self.lease_ticks

    def _release_pending_read_index_messages(self) -> None:
        if not self._committed_entry_in_current_term():
            return
        msgs, self.pending_read_index_messages = self.pending_read_index_messages, []
        for m in msgs:
            self._serve_read_index(m)

    def _respond_read_index(self, req: Message, index: int) -> None:
        if req.frm in (NONE, self.id):
            self.read_states.append(ReadState(index=index, request_ctx=req.entries[0].data))
        else:
            self._send(Message(type=MT.READ_INDEX_RESP, to=req.frm, index=index, entries=req.entries))

    def _handle_append_response(self, m: Message, pr: Progress) -> None:
        pr.recent_active = True
        if m.reject:
            next_probe = m.reject_hint
            if m.hint_term > 0:
                # Fast repair: skip every entry of ours whose term exceeds the follower's there.
                next_probe = self.raft_log.find_conflict_by_term(m.reject_hint, m.hint_term)
            if pr.maybe_decr_to(m.index, next_probe):
                if pr.state == ProgressState.REPLICATE:
                    pr.become_probe()
                self._send_append(m.frm)
            return
        old_paused = pr.is_paused()
        if not pr.maybe_update(m.index):
            return
        if pr.state == ProgressState.PROBE:
            pr.become_replicate()
        elif pr.state == ProgressState.SNAPSHOT and pr.match >= pr.pending_snapshot:
            pr.become_probe()
            pr.become_replicate()
        elif pr.state == ProgressState.REPLICATE:
            pr.inflights.free_le(m.index)
        if self.maybe_commit():
            self._release_pending_read_index_messages()
            if self.defer_commit_broadcast:
                self.commit_broadcast_owed = True  # see flush_commit_broadcast
            else:
                self.bcast_append()
        elif old_paused:
            self._send_append(m.frm)
        while self._maybe_send_append(m.frm, send_if_empty=False):
            pass  # drain: send as much as flow control allows
        if m.frm == self.lead_transferee and pr.match == self.raft_log.last_index():
            self._send_timeout_now(m.frm)

    def _handle_heartbeat_response(self, m: Message, pr: Progress) -> None:
        pr.recent_active = True
        pr.probe_sent = False
        if not pr.is_learner:
            self.heartbeat_acked_tick[m.frm] = max(self.heartbeat_acked_tick.get(m.frm, 0), m.index)
        if pr.state == ProgressState.REPLICATE and pr.inflights.full():
            pr.inflights.free_first_one()
        if pr.match < self.raft_log.last_index():
            self._send_append(m.frm)
        if not m.context:
            return
        acks = self.read_only.recv_ack(m.frm, m.context)
        if acks is None:
            return
        if self.trk.config.voters.vote_result({i: True for i in acks}) != VoteResult.WON:
            return
        for rs in self.read_only.advance(m.context):
            self._respond_read_index(rs.req, rs.index)

    def _handle_transfer_leader(self, m: Message, pr: Progress) -> None:
        if pr.is_learner:
            return  # a learner cannot lead
        transferee = m.frm
        if self.lead_transferee != NONE:
            if self.lead_transferee == transferee:
                return  # already in progress
            self.abort_leader_transfer()
        if transferee == self.id:
            return
        self.election_elapsed = 0  # the transfer must finish within one election timeout
        self.lead_transferee = transferee
        if pr.match == self.raft_log.last_index():
            self._send_timeout_now(transferee)
        else:
            self._send_append(transferee)

    def _send_timeout_now(self, to: int) -> None:
        self.lease_revoked = True  # even if the transfer is later aborted, the message may land
        self._send(Message(type=MT.TIMEOUT_NOW, to=to))

    def abort_leader_transfer(self) -> None:
        self.lead_transferee = NONE

    # -- candidate ------------------------------------------------------------------------------
    def _step_candidate(self, m: Message) -> None:
        my_resp = MT.PRE_VOTE_RESP if self.state == StateType.PRE_CANDIDATE else MT.VOTE_RESP
        t = m.type
        if t == MT.PROPOSE:
            raise ProposalDropped("raft proposal dropped: no leader")
        if t == MT.READ_INDEX and m.frm in (NONE, self.id):
            raise ProposalDropped("raft read index dropped: no leader")
        if t == MT.APP:
            self.become_follower(m.term, m.frm)
            self._contact(m)
            self._handle_append_entries(m)
        elif t == MT.HEARTBEAT:
            self.become_follower(m.term, m.frm)
            self._contact(m)
            self._handle_heartbeat(m)
        elif t == MT.SNAP:
            self.become_follower(m.term, m.frm)
            self._contact(m)
            self._handle_snapshot(m)
        elif t == my_resp:
            res = self._poll(m.frm, t, not m.reject)
            if res == VoteResult.WON:
                if self.state == StateType.PRE_CANDIDATE:
                    self._campaign(MT.VOTE)
                else:
                    self.become_leader()
                    self.bcast_append()
            elif res == VoteResult.LOST:
                # A lost pre-vote/vote: wait for the next timeout as a follower (term unchanged).
                self.become_follower(self.term, NONE)

    # -- follower -------------------------------------------------------------------------------
    def _contact(self, m: Message) -> None:
        self.election_elapsed = 0
        self.lead = m.frm
        self.contacted = True

    def _step_follower(self, m: Message) -> None:
        t = m.type
        if t == MT.PROPOSE:
            if self.lead == NONE:
                raise ProposalDropped("raft proposal dropped: no leader")
            if self.disable_proposal_forwarding:
                raise ProposalDropped("raft proposal dropped: proposal forwarding is disabled")
            m.to = self.lead
            self._send(m)
        elif t == MT.APP:
            self._contact(m)
            self._handle_append_entries(m)
        elif t == MT.HEARTBEAT:
            self._contact(m)
            self._handle_heartbeat(m)
        elif t == MT.SNAP:
            self._contact(m)
            self._handle_snapshot(m)
        elif t == MT.TRANSFER_LEADER:
            if self.lead == NONE:
                raise ProposalDropped("raft transfer leader dropped: no leader")
            m.to = self.lead
            self._send(m)
        elif t == MT.TIMEOUT_NOW:
            self._hup(transfer=True)
        elif t == MT.READ_INDEX:
            if self.lead == NONE:
                if m.frm in (NONE, self.id):
                    raise ProposalDropped("raft read index dropped: no leader")
                return
            m.to = self.lead
            self._send(m)
        elif t == MT.READ_INDEX_RESP:
            if len(m.entries) != 1:
                return
            self.read_states.append(ReadState(index=m.index, request_ctx=m.entries[0].data))

    def _handle_append_entries(self, m: Message) -> None:
        if m.index < self.raft_log.committed:
            self._send(Message(type=MT.APP_RESP, to=m.frm, index=self.raft_log.committed))
            return
        last_new = self.raft_log.maybe_append(m.index, m.log_term, m.commit, m.entries)
        if last_new is not None:
            self._send(Message(type=MT.APP_RESP, to=m.frm, index=last_new))
            return
        # Reject with a hint (thesis §5.3): the largest index <= m.index whose term is <= the
        # leader's term there; the leader continues from there in one round trip per term.
        hint_index = min(m.index, self.raft_log.last_index())
        hint_index = self.raft_log.find_conflict_by_term(hint_index, m.log_term)
        hint_term = self.raft_log.zero_term_on_compacted(hint_index)
        self._send(
            Message(type=MT.APP_RESP, to=m.frm, index=m.index, reject=True, reject_hint=hint_index, hint_term=hint_term)
        )

    def _handle_heartbeat(self, m: Message) -> None:
        self.raft_log.commit_to(m.commit)
        self._send(Message(type=MT.HEARTBEAT_RESP, to=m.frm, context=m.context, index=m.index))

    def _handle_snapshot(self, m: Message) -> None:
        assert m.snapshot is not None
        if self._restore(m.snapshot):
            self._send(Message(type=MT.APP_RESP, to=m.frm, index=self.raft_log.last_index()))
        else:
            self._send(Message(type=MT.APP_RESP, to=m.frm, index=self.raft_log.committed))

    def _restore(self, s: Snapshot) -> bool:
        """Install a leader's snapshot (§7) unless we already have everything it covers.

        Unlike etcd we accept a snapshot whose ConfState does not list us: a replica added
        after the snapshot was taken learns of its own addition from the entries that follow.
        """
        meta = s.metadata
        if meta.index <= self.raft_log.committed:
            return False
        if self.state != StateType.FOLLOWER:
            # Only a follower of the current leader receives snapshots; defensively step up a
            # term so the sender steps down rather than restoring in a confused role.
            self.become_follower(self.term + 1, NONE)
            return False
        if self.raft_log.match_term(meta.index, meta.term):
            # We already have the snapshot's last entry: just fast-forward the commit index.
            self.raft_log.commit_to(meta.index)
            return False
        self.raft_log.restore(s)
        self.trk = ProgressTracker(self.trk.max_inflight, learner_votes_count=self.learner_votes_bug)
        cfg, prs = restore(Changer(self.trk, self.raft_log.last_index()), meta.conf_state)
        self.switch_to_config(cfg, prs)
        pr = self.trk.progress.get(self.id)
        if pr is not None:
            pr.maybe_update(pr.next - 1)
        return True

    # -- membership -----------------------------------------------------------------------------
    def apply_conf_change(self, cc: ConfChange) -> ConfState:
        changer = Changer(self.trk, self.raft_log.last_index())
        if cc.leave_joint():
            cfg, prs = changer.leave_joint()
        else:
            joint, auto_leave = enters_joint(cc)
            cfg, prs = changer.enter_joint(auto_leave, cc.changes) if joint else changer.simple(cc.changes)
        return self.switch_to_config(cfg, prs)

    def switch_to_config(self, cfg: TrackerConfig, prs: ProgressMap) -> ConfState:
        self.trk.config = cfg
        self.trk.progress = prs
        cs = self.trk.conf_state()
        pr = self.trk.progress.get(self.id)
        self.is_learner = pr is not None and pr.is_learner
        if self.state != StateType.LEADER:
            return cs
        if pr is None or self.is_learner:
            # Removed or demoted leader: the change is committed, so step down and let the
            # remaining voters elect a leader (stepping down earlier could stall the change).
            self.become_follower(self.term, NONE)
            return cs
        if not cs.voters:
            return cs
        if self.maybe_commit():
            self.bcast_append()  # the new config may commit more (e.g. a removed slow voter)
        else:
            self._for_each_peer(lambda i: self._maybe_send_append(i, send_if_empty=False))
        if self.lead_transferee != NONE and self.lead_transferee not in cfg.voters.ids():
            self.abort_leader_transfer()
        return cs

    def after_applied(self, old_applied: int, new_applied: int) -> None:
        """Rule 6: once the entry entering an auto-leave joint config is applied, the leader
        proposes leaving it."""
        if (
            self.trk.config.auto_leave
            and old_applied <= self.pending_conf_index <= new_applied
            and self.state == StateType.LEADER
        ):
            if not self.append_entry([Entry(term=0, index=0, type=EntryType.CONF_CHANGE, data=encode_conf_change(ConfChange()))]):
                raise AssertionError("refused un-refusable auto-leaving ConfChange")
            self.pending_conf_index = self.raft_log.last_index()
            self.bcast_append()

