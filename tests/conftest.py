"""Suite-wide settings. Runs before any test module imports grpc."""

from __future__ import annotations

import os

# Tests start server processes while gRPC threads run in the test process; gRPC's fork handlers
# then log "skipping fork() handlers" on every spawn. We never use a gRPC object in a forked
# child (children exec a fresh interpreter), so fork support is not needed.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
