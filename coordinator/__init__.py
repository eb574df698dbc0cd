"""KuraDB coordinator: cluster metadata and schedulers (installs as kuradb.coordinator). Not built yet."""
