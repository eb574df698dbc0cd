"""One reused grpc.aio channel per storage node.

Rules: a channel is keyed by node id and rebuilt only when the node's address changes (nodes
may restart elsewhere); channels are never shared between routers (no module state). Closing
the pool closes every channel.
"""

from __future__ import annotations

import grpc

from kuradb.proto import internal_pb2_grpc as ipb_grpc

_OPTIONS = (
    ("grpc.max_receive_message_length", 64 << 20),
    ("grpc.max_send_message_length", 64 << 20),
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
)


class NodeChannels:
    def __init__(self) -> None:
        self._channels: dict[int, tuple[str, grpc.aio.Channel, ipb_grpc.NodeDataStub]] = {}
        self._retired: list[grpc.aio.Channel] = []

    def data_stub(self, node_id: int, address: str) -> ipb_grpc.NodeDataStub:
        entry = self._channels.get(node_id)
        if entry is not None and entry[0] == address:
            return entry[2]
        if entry is not None:
            # Calls in flight on the old channel finish on their own; it is closed with the pool.
            self._retired.append(entry[1])
        channel = grpc.aio.insecure_channel(address, options=_OPTIONS)
        stub = ipb_grpc.NodeDataStub(channel)
        self._channels[node_id] = (address, channel, stub)
        return stub

    async def close(self) -> None:
        channels = [c for _, c, _ in self._channels.values()] + self._retired
        self._channels, self._retired = {}, []
        for channel in channels:
            await channel.close(grace=None)
