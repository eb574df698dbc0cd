"""The msgpack payload convention of internal.proto / coordinator.proto, as the router uses it.

Rules: ``use_bin_type=True`` so B values and request ids stay ``bytes`` and strings stay ``str``;
decode with ``raw=False``. This is the node's convention (node/service.py, node/codec.py);
node/codec.py keeps its helpers private, so these two one-liners mirror them exactly — when it
exports public ``pack``/``unpack``, this module should re-export those instead.
"""

from __future__ import annotations

from typing import Any

import msgpack


def pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)
