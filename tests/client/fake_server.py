"""TEST-ONLY: an in-process KuraDB gRPC server whose answers are scripted by the test.

Not a database: it stores nothing. Each rpc records a :class:`Call` (operation, request dict,
invocation metadata) and answers with the next scripted :data:`Answer` for that operation,
else the operation's default handler, else UnknownOperationException. Answers:

* a response dict (DynamoDB shape) — returned;
* a KuraError instance — sent as the real router will send it (wire.error_to_status);
* :class:`Abort` — a bare gRPC status without KuraDB metadata (a proxy or transport failure);
* :class:`Delay` — sleep, then answer with ``then`` (to provoke client deadlines);
* a callable(request dict) -> Answer — computed per call.

The server runs a grpc.aio server on 127.0.0.1:<free port> in its own thread and event loop,
so sync clients (on the test thread) and asyncio clients (in ``asyncio.run``) both use it.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc

from kuradb import wire
from kuradb.errors import KuraError, UnknownOperationException
from kuradb.proto import dynamodb_pb2_grpc as pb_grpc


@dataclass(frozen=True)
class Abort:
    code: grpc.StatusCode
    message: str = "aborted by the fake server"


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: Any = None  # an Answer; None answers {}


@dataclass(frozen=True)
class Call:
    op: str
    request: dict[str, Any]
    metadata: dict[str, str]


Answer = Any  # dict | KuraError | Abort | Delay | Callable[[dict], Answer]


class FakeDynamoDB:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: dict[str, deque[Answer]] = defaultdict(deque)
        self._defaults: dict[str, Answer] = {}
        self._calls: list[Call] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: grpc.aio.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self.port = 0

    # ------------------------------------------------------------ scripting (test thread)

    def script(self, op: str, *answers: Answer) -> None:
        with self._lock:
            self._script[op].extend(answers)

    def default(self, op: str, answer: Answer) -> None:
        with self._lock:
            self._defaults[op] = answer

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_of(self, op: str) -> list[Call]:
        return [c for c in self.calls if c.op == op]

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self._defaults.clear()
            self._calls.clear()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    # ------------------------------------------------------------ serving (server loop)

    def _next_answer(self, op: str, request: dict[str, Any], metadata: dict[str, str]) -> Answer:
        with self._lock:
            self._calls.append(Call(op, request, metadata))
            if self._script[op]:
                return self._script[op].popleft()
            if op in self._defaults:
                return self._defaults[op]
        return UnknownOperationException(f"fake server: nothing scripted for {op}")

    async def _handle(self, op: str, request: Any, context: grpc.aio.ServicerContext) -> Any:
        req = wire.request_to_dict(request)
        md = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
        answer = self._next_answer(op, req, md)
        while True:
            if callable(answer) and not isinstance(answer, (KuraError, Abort, Delay)):
                answer = answer(req)
            elif isinstance(answer, Delay):
                await asyncio.sleep(answer.seconds)
                answer = {} if answer.then is None else answer.then
            else:
                break
        if isinstance(answer, KuraError):
            code, message, trailing = wire.error_to_status(answer)
            await context.abort(code, message, trailing_metadata=trailing)
        if isinstance(answer, Abort):
            await context.abort(answer.code, answer.message)
        return wire.dict_to_response(op, answer)

    def _servicer(self) -> pb_grpc.DynamoDBServicer:
        methods: dict[str, Callable[..., Any]] = {}
        for op in wire.OPERATION_NAMES:
            async def method(_self: Any, request: Any, context: Any, _op: str = op) -> Any:
                return await self._handle(_op, request, context)
            methods[op] = method
        return type("FakeServicer", (pb_grpc.DynamoDBServicer,), methods)()

    def start(self) -> None:
        started = threading.Event()

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopping = stopping = asyncio.Event()
            self._server = grpc.aio.server()
            pb_grpc.add_DynamoDBServicer_to_server(self._servicer(), self._server)
            self.port = self._server.add_insecure_port("127.0.0.1:0")
            await self._server.start()
            started.set()
            await stopping.wait()
            await self._server.stop(None)

        self._thread = threading.Thread(target=lambda: asyncio.run(serve()), name="fake-dynamodb", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("fake server did not start")

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        stopping = self._stopping
        assert stopping is not None
        self._loop.call_soon_threadsafe(stopping.set)
        self._thread.join(10)
