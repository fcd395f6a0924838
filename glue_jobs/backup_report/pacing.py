"""Request pacing: how fast the job calls an API (a token bucket, hooked into every attempt a client sends).

One ``RateLimiter`` per region holds the List*Jobs calls within AWS Backup's request quota;
``pace`` makes a client take a token for every attempt (retries too) and slow the bucket
down when the service answers that a call was over its quota.
"""
from __future__ import annotations

import threading
import time
from typing import Any, MutableSequence, Optional

#: AWS Backup's request quota assumed per region for the List*Jobs calls together (they may
#: share it): the client-side token bucket sends no more; throttling slows it further.
REQUESTS_PER_SECOND = 20.0
#: Calls the bucket lets go at once: half the quota's own burst, so the service's bucket
#: keeps a margin for jitter between our clock and its.
BURST = 10.0
#: Error codes AWS uses for a request over the quota (botocore retries them).
THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException",
                              "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException"})


class RateLimiter:
    """A token bucket: ``acquire()`` waits until a call may go; ``throttled()`` slows it down.

    Thread-safe; shared by processes when ``lock`` is a ``multiprocessing`` lock and
    ``state`` a shared array of 3 doubles (``multiprocessing.RawArray('d', 3)``), since
    ``time.monotonic`` is the same clock in every process. After a throttling error the
    rate drops by a third and the bucket empties; each call let through then regains
    1 % of ``rate`` until the nominal rate is back.
    """

    def __init__(self, rate: float = REQUESTS_PER_SECOND, burst: float = BURST, lock: Any = None,
                 state: Optional[MutableSequence[float]] = None):
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limiter needs rate > 0 and burst >= 1")
        self.rate, self.burst = float(rate), float(burst)
        self._lock = lock if lock is not None else threading.Lock()
        self._state: MutableSequence[float] = state if state is not None else [0.0, 0.0, 0.0]
        with self._lock:
            if not self._state[2]:  # tokens, time of the last refill, current rate
                self._state[0], self._state[1], self._state[2] = self.burst, time.monotonic(), self.rate

    def acquire(self) -> float:
        """Take one token, waiting for it when needed; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                state = self._state
                now = time.monotonic()
                rate = state[2]
                tokens = min(self.burst, state[0] + (now - state[1]) * rate)
                state[1] = now
                if tokens >= 1.0:
                    state[0] = tokens - 1.0
                    state[2] = min(self.rate, rate + 0.01 * self.rate)
                    return waited
                state[0] = tokens
                pause = (1.0 - tokens) / rate
            time.sleep(pause)
            waited += pause

    def throttled(self) -> None:
        """The service refused a call as over its quota: slow down."""
        with self._lock:
            state = self._state
            state[2] = max(self.rate / 20.0, state[2] * 2.0 / 3.0)
            state[0] = min(state[0], 0.0)
            state[1] = time.monotonic()

    @property
    def current_rate(self) -> float:
        """Calls per second the bucket lets through now (``rate`` unless throttled lately)."""
        return self._state[2]


def pace(client: Any, limiter: RateLimiter) -> None:
    """Make every attempt ``client`` sends (retries too) wait for a token of ``limiter``, and a
    throttling answer slow ``limiter`` down."""

    def before_send(**_kwargs: Any) -> None:
        limiter.acquire()
        return None  # None: botocore sends the request itself

    def before_parse(response_dict: dict, **_kwargs: Any) -> None:
        status = response_dict.get("status_code", 200)
        if status == 429 or (status == 400 and str(response_dict.get("headers", {}).get(
                "x-amzn-errortype", "")).split(":")[0] in THROTTLING_CODES):
            limiter.throttled()

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service}", before_send)
    client.meta.events.register(f"before-parse.{service}", before_parse)
