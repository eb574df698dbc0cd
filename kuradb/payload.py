"""The msgpack payload convention of internal.proto and coordinator.proto.

Every DynamoDB-shaped dict that crosses an internal RPC (NodeData.Execute, TableOperation) or a
Raft log entry is encoded here, so router, node and coordinator agree by construction.

Rules: ``use_bin_type=True`` so B values and request ids stay ``bytes`` and strings stay ``str``;
decode with ``raw=False``; map keys may be non-strings (``strict_map_key=False``) because some
internal tables are keyed by ints.
"""

from __future__ import annotations

from typing import Any

import msgpack


def pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)
