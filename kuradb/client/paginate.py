"""Paginators: follow DynamoDB's continuation tokens until the last page.

Rules:

* A page is one response. Query and Scan continue while the response carries
  ``LastEvaluatedKey``, passing it back as ``ExclusiveStartKey``; ListTables uses
  ``LastEvaluatedTableName`` / ``ExclusiveStartTableName``. A page may hold no items and still
  have a token (a Filter matched nothing in that 1 MB), so emptiness never ends paging.
* Every page is one logical call with its own request id and retries; a failure stops the
  iteration with that call's exception (resume from the last token seen if needed).
* A server that returns the token it was given would loop forever; that is reported as
  InternalServerError instead.
* Parallel scan (asyncio): TotalSegments segment paginators run concurrently (at most
  ``max_concurrency`` at once, default 32, one worker task each, so a million segments do not mean a
  million tasks) and their pages are yielded as they arrive, in no particular
  order. A segment failure cancels the others and is raised; leaving the iteration early
  cancels them too. Each segment's pages keep their own order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kuradb.errors import InternalServerError, ValidationException

Page = dict[str, Any]
SyncCall = Callable[[dict[str, Any]], Page]
AsyncCall = Callable[[dict[str, Any]], Awaitable[Page]]

#: operation -> (request member taking the token, response member giving it)
TOKENS: Final[dict[str, tuple[str, str]]] = {
    "Query": ("ExclusiveStartKey", "LastEvaluatedKey"),
    "Scan": ("ExclusiveStartKey", "LastEvaluatedKey"),
    "ListTables": ("ExclusiveStartTableName", "LastEvaluatedTableName"),
}

MAX_TOTAL_SEGMENTS: Final = 1_000_000
#: parallel_scan's default bound on segments scanned at once.
DEFAULT_MAX_CONCURRENCY: Final = 32


def _tokens(op: str) -> tuple[str, str]:
    try:
        return TOKENS[op]
    except KeyError:
        raise ValueError(f"operation {op} cannot be paginated; one of: {', '.join(TOKENS)}") from None


def _next_params(op: str, params: dict[str, Any], page: Page) -> dict[str, Any] | None:
    start, last = _tokens(op)
    token = page.get(last)
    if not token:
        return None
    if token == params.get(start):
        raise InternalServerError(f"{op} returned the {last} it was given; paging would never end")
    return {**params, start: token}


def pages(call: SyncCall, op: str, params: Mapping[str, Any]) -> Iterator[Page]:
    """Every page of ``op`` starting from ``params`` (which may hold a start token)."""
    current: dict[str, Any] | None = dict(params)
    while current is not None:
        page = call(current)
        yield page
        current = _next_params(op, current, page)


async def apages(call: AsyncCall, op: str, params: Mapping[str, Any]) -> AsyncIterator[Page]:
    """Every page of ``op``, asyncio version of :func:`pages`."""
    current: dict[str, Any] | None = dict(params)
    while current is not None:
        page = await call(current)
        yield page
        current = _next_params(op, current, page)


@dataclass(frozen=True)
class Paginator:
    """``client.get_paginator("query").paginate(TableName=..., ...)`` -> iterator of pages."""

    call: SyncCall
    op: str

    def paginate(self, **params: Any) -> Iterator[Page]:
        _tokens(self.op)
        return pages(self.call, self.op, params)


@dataclass(frozen=True)
class AsyncPaginator:
    """``async for page in client.get_paginator("scan").paginate(TableName=...)``."""

    call: AsyncCall
    op: str

    def paginate(self, **params: Any) -> AsyncIterator[Page]:
        _tokens(self.op)
        return apages(self.call, self.op, params)


@dataclass(frozen=True)
class _SegmentFailed:
    error: BaseException


_SEGMENT_DONE: Final = object()


def check_total_segments(total: object) -> int:
    if isinstance(total, bool) or not isinstance(total, int):
        raise ValidationException("TotalSegments must be an integer")
    if not 1 <= total <= MAX_TOTAL_SEGMENTS:
        raise ValidationException(
            f"1 validation error detected: Value '{total}' at 'totalSegments' failed to satisfy "
            f"constraint: Member must have value {'greater' if total < 1 else 'less'} than or equal to "
            f"{1 if total < 1 else MAX_TOTAL_SEGMENTS}"
        )
    return total


async def parallel_scan(
    call: AsyncCall, params: Mapping[str, Any], total_segments: int, max_concurrency: int | None = None
) -> AsyncIterator[Page]:
    """Pages of all ``total_segments`` segments of a Scan, fetched concurrently."""
    total = check_total_segments(total_segments)
    if "Segment" in params or "TotalSegments" in params:
        raise ValueError("parallel_scan sets Segment and TotalSegments itself")
    limit = min(total, DEFAULT_MAX_CONCURRENCY) if max_concurrency is None else max_concurrency
    if limit < 1:
        raise ValueError("max_concurrency must be at least 1")
    workers = min(limit, total)
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=2 * workers)
    segments = iter(range(total))  # shared: each worker takes the next unscanned segment

    async def worker() -> None:
        try:
            for segment in segments:
                async for page in apages(call, "Scan", {**params, "Segment": segment, "TotalSegments": total}):
                    await queue.put(page)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # handed to the consumer, which raises it
            await queue.put(_SegmentFailed(e))
            return
        await queue.put(_SEGMENT_DONE)

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    try:
        finished = 0
        while finished < workers:
            item = await queue.get()
            if item is _SEGMENT_DONE:
                finished += 1
            elif isinstance(item, _SegmentFailed):
                raise item.error
            else:
                yield item
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
