"""KuraDB coordinator: cluster metadata in its own Raft group (installs as kuradb.coordinator).

Modules, pure cores first:

* :mod:`~kuradb.coordinator.tables` — CreateTable/UpdateTable/ListTables validation, DynamoDB messages;
* :mod:`~kuradb.coordinator.placement` — per-AZ consistent-hash rings, initial partitioning;
* :mod:`~kuradb.coordinator.state` — the deterministic metadata state machine (tables, nodes,
  partition map, id allocator) and its commands;
* :mod:`~kuradb.coordinator.reports` — the leader's volatile view of node heartbeats;
* :mod:`~kuradb.coordinator.mapview` — protobuf views (PartitionMap, TableMeta, ...);
* :mod:`~kuradb.coordinator.raft_host` — one Raft group hosting a state machine (RawNode,
  RaftLogDB, RaftTransport);
* :mod:`~kuradb.coordinator.reconciler` — table lifecycle via the nodes' NodeAdmin API;
* :mod:`~kuradb.coordinator.service` / :mod:`~kuradb.coordinator.server` — gRPC service, process, CLI;
* :mod:`~kuradb.coordinator.heartbeat_client` — the node side of heartbeats.

Split/move/balance schedulers (design §6) are not built yet.
"""
