"""KuraDB storage node: partition replicas on LevelDB, one Raft group each (installs as kuradb.node)."""
