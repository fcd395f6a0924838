"""Request pacing: one token bucket per region, for every thread and process, and every attempt a client sends."""
from __future__ import annotations

import multiprocessing

import boto3
import pytest

from backup_report import aws, pacing


class CountingLimiter(pacing.RateLimiter):
    """A rate limiter that counts the tokens taken and the throttling answers it was told of."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.acquired = self.throttles = 0

    def acquire(self) -> float:
        self.acquired += 1
        return super().acquire()

    def throttled(self) -> None:
        self.throttles += 1
        super().throttled()


def test_the_rate_limiter_is_one_bucket_for_every_thread_and_process_sharing_it():
    context = multiprocessing.get_context()
    lock, state = context.Lock(), context.RawArray("d", 3)
    first = pacing.RateLimiter(rate=1, burst=2, lock=lock, state=state)
    second = pacing.RateLimiter(rate=1, burst=2, lock=lock, state=state)  # as in another process
    assert first.acquire() == 0 and second.acquire() == 0  # the burst
    assert first.acquire() > 0.5  # the bucket is empty for both: wait for a token
    second.throttled()
    assert first.current_rate == second.current_rate < 1
    with pytest.raises(ValueError):
        pacing.RateLimiter(rate=0)


def test_a_throttled_rate_climbs_back_to_the_nominal_rate_by_one_percent_a_call():
    limiter = pacing.RateLimiter(rate=1000, burst=1000)
    limiter.throttled()
    assert limiter.current_rate == pytest.approx(1000 * 2 / 3)
    limiter.acquire()
    assert limiter.current_rate == pytest.approx(1000 * 2 / 3 + 10)
    for _ in range(40):
        limiter.acquire()
    assert limiter.current_rate == 1000


def test_every_attempt_of_a_paced_client_takes_a_token_and_throttling_slows_it(emulator):
    emulator.reset()
    emulator.set_faults(throttle_next=2)
    limiter = CountingLimiter(rate=20, burst=10)
    client = boto3.Session(region_name="us-east-1").client("backup", endpoint_url=emulator.url,
                                                           config=aws.botocore_config())
    pacing.pace(client, limiter)
    try:
        assert client.list_backup_jobs(ByAccountId="*")["BackupJobs"] == []  # retried twice by botocore
    finally:
        emulator.set_faults()
    assert emulator.stats()["throttled"] == 2
    assert (limiter.acquired, limiter.throttles) == (3, 2)
    assert limiter.current_rate < 20 * 2 / 3
