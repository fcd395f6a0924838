"""Lanes at once: on threads, or in forked listing processes that end with the run; a dead one fails its lane.

A lane is one job type in one region: its slices, day after day (``slices.run_lane``). With
one CPU the lanes are listed on threads of the run's process; with more, each in one of a
few forked listing processes, one lane at a time each, so that parsing and shaping use
every CPU while a slice is still written, registered and finished by one process.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import boto3

from . import aws, catalog, listing, pacing
from .arguments import Settings
from .fastparse import PageCounts, page_counts
from .runlog import SLICE_FAILED, log
from .schema import JOB_TABLES_BY_TYPE, Table
from .slices import Planned, SliceResult, run_lane, window

#: One job type in one region: its slices are listed day after day, by one thread or process.
Lane = Tuple[Table, str]
#: Lanes listed at once by threads when the job has one process (one CPU): two keep that CPU
#: busy while a call is under way; more would only hold more chunks.
MAX_PARALLEL_LANES = 2
#: Listing processes at most, each one lane at a time (when more than one CPU is present).
MAX_PROCESSES = 4
#: The cause of the slices of a lane whose listing process ended before the lane did.
WORKER_DIED = "its listing process ended abruptly (killed, out of memory, or it could not start)"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Listed(NamedTuple):
    """What the lanes did: each lane's slices (in the order of the lanes asked for), and the
    pages they parsed fast and left to botocore (a listing process that died loses its count)."""

    lanes: List[List[SliceResult]]
    pages: PageCounts


def run_lanes(settings: Settings, management: boto3.Session, session: boto3.Session, lanes: Sequence[Lane],
              names: Mapping[str, str], registry: catalog.PartitionRegistry,
              plan: Optional[Mapping[Tuple[str, str], Sequence[Planned]]] = None) -> Listed:
    """The slices of every lane, in the order of ``lanes``, listed with ``management`` and
    written with ``session``, and the pages parsed. ``plan``: each lane's slices by (job type,
    region), default the window's days. A lane that fails unexpectedly (its process killed,
    out of memory) fails all its slices; the other lanes go on."""
    plan = plan or {}
    planned = {(t.job_type, r): list(plan.get((t.job_type, r)) or window(settings)) for t, r in lanes}
    processes = worker_processes(len(lanes))
    log.info("listing with %d process(es) (%d CPU(s) available), %d lane(s)", processes, available_cpus(),
             len(lanes))
    if not lanes:
        return Listed([], PageCounts(0, 0))
    if processes > 1:
        return _in_processes(settings, lanes, names, processes, planned)
    before = page_counts()
    per_lane = _in_threads(management, session, settings, lanes, names, registry, planned)
    return Listed(per_lane, page_counts().since(before))


def worker_processes(lanes: int) -> int:
    """Processes to list with: one per CPU this process may use (``BACKUP_REPORT_PROCESSES``
    overrides), at most ``MAX_PROCESSES`` and one per lane; 1 where ``fork`` is not safe."""
    wanted = os.environ.get("BACKUP_REPORT_PROCESSES", "").strip()
    count = int(wanted) if wanted.isdigit() and int(wanted) > 0 else min(available_cpus(), MAX_PROCESSES)
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(count, lanes))


def available_cpus() -> int:
    """The CPUs this process may run on (Glue Python shell: several at 1 DPU, one at 0.0625)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _lane_failed(table: Table, region: str, days: Sequence[Planned], cause: str) -> List[SliceResult]:
    """A lane that ended without its results: its first slice failed with ``cause``, the others skipped."""
    log.error(SLICE_FAILED, table.job_type, region, days[0].day, cause)
    first = SliceResult(table.job_type, region, days[0].day, cause=cause, reason=days[0].reason)
    return [first] + [SliceResult.skip(first, p.day, p.reason) for p in days[1:]]


def _outcome(future: Future, lane: Lane, days: Sequence[Planned]) -> List[SliceResult]:
    try:
        outcome = future.result()
        return outcome[0] if isinstance(outcome, tuple) else outcome  # a listing process's: (slices, pages)
    except BrokenProcessPool:
        return _lane_failed(*lane, days, WORKER_DIED)
    except Exception as error:  # a lane's failure never ends the others, nor the run
        return _lane_failed(*lane, days, aws.cause(error))


def _in_threads(management: boto3.Session, session: boto3.Session, settings: Settings, lanes: Sequence[Lane],
                names: Mapping[str, str], registry: catalog.PartitionRegistry,
                planned: Mapping[Tuple[str, str], List[Planned]]) -> List[List[SliceResult]]:
    regions = sorted({region for _, region in lanes})
    # created here, not in the threads (sessions are not thread-safe); one quota per region
    clients = {r: listing.backup_client(management, r, pacing.RateLimiter()) for r in regions}
    with ThreadPoolExecutor(max_workers=min(len(lanes), MAX_PARALLEL_LANES)) as pool:
        futures = [pool.submit(run_lane, clients[region], session, settings, table, region, names, registry,
                               planned[(table.job_type, region)]) for table, region in lanes]
    return [_outcome(future, lane, planned[(lane[0].job_type, lane[1])]) for lane, future in zip(lanes, futures)]


def _in_processes(settings: Settings, lanes: Sequence[Lane], names: Mapping[str, str],
                  processes: int, planned: Mapping[Tuple[str, str], List[Planned]]) -> Listed:
    """Each lane in one of ``processes`` forked listing processes, one lane at a time each.

    Each process is a pool of its own: a process that dies breaks only its pool, so it fails
    only the lane it was listing, and a new process takes the lanes still to come.
    """
    context = multiprocessing.get_context("fork")
    regions = sorted({region for _, region in lanes})
    buckets = {r: (context.Lock(), context.RawArray("d", 3)) for r in regions}  # a region's quota, shared

    def new_worker() -> ProcessPoolExecutor:
        sys.stdout.flush()  # else the child would write again what this process had buffered
        sys.stderr.flush()
        return ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_start_worker,
                                   initargs=(os.getpid(), settings, names, buckets))

    results: Dict[int, List[SliceResult]] = {}
    pages = PageCounts(0, 0)
    to_come = list(reversed(range(len(lanes))))  # the lanes' positions, the next one last
    running: Dict[Future, Tuple[int, ProcessPoolExecutor]] = {}
    idle = [new_worker() for _ in range(processes)]
    try:
        while to_come or running:
            while idle and to_come:
                worker = idle.pop()
                table, region = lanes[to_come[-1]]
                try:
                    future = worker.submit(_worker_lane, table.job_type, region, planned[(table.job_type, region)])
                except BrokenProcessPool:  # its process died between two lanes
                    worker.shutdown(wait=True)
                    idle.append(new_worker())
                    continue
                running[future] = (to_come.pop(), worker)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                position, worker = running.pop(future)
                if future.exception() is None:
                    pages = pages.plus(future.result()[1])
                table, region = lanes[position]
                results[position] = _outcome(future, lanes[position], planned[(table.job_type, region)])
                if isinstance(future.exception(), BrokenProcessPool):
                    worker.shutdown(wait=True)
                    worker = new_worker()
                idle.append(worker)
    finally:
        for worker in idle + [worker for _, worker in running.values()]:
            worker.shutdown(wait=True)
    return Listed([results[position] for position in range(len(lanes))], pages)


@dataclass
class _WorkerState:
    """A listing process's own sessions, catalog registry and clients (one per region, paced
    by the region's token bucket that every process shares)."""

    settings: Settings
    names: Mapping[str, str]
    buckets: Mapping[str, tuple]
    session: boto3.Session
    management: boto3.Session
    registry: catalog.PartitionRegistry
    clients: Dict[str, object] = field(default_factory=dict)

    def client(self, region: str):
        if region not in self.clients:
            lock, state = self.buckets[region]
            self.clients[region] = listing.backup_client(self.management, region,
                                                       pacing.RateLimiter(lock=lock, state=state))
        return self.clients[region]


#: This process's state when it is a listing process (set by ``_start_worker``, its pool's initializer).
_worker: Optional[_WorkerState] = None


def _start_worker(parent: int, settings: Settings, names: Mapping[str, str], buckets: Mapping[str, tuple]) -> None:
    global _worker
    _die_with(parent)
    # new sessions: the parent's connections and credentials' refresh are not shared
    session = aws.job_session()
    management = aws.assume_management_session(session, settings.role_arn, settings.external_id, settings.run_id)
    _worker = _WorkerState(settings, names, buckets, session, management,
                           catalog.PartitionRegistry(session, settings.database))


def _worker_lane(job_type: str, region: str, planned: Sequence[Planned]) -> Tuple[List[SliceResult], PageCounts]:
    """One lane in this listing process: its slices, and the pages it parsed (its lanes come one
    after the other, so the difference of the process's counts is the lane's)."""
    state = _worker
    if state is None:
        raise RuntimeError("the listing process was not started")
    before = page_counts()
    results = run_lane(state.client(region), state.session, state.settings, JOB_TABLES_BY_TYPE[job_type], region,
                       state.names, state.registry, planned)
    return results, page_counts().since(before)


def _die_with(parent: int) -> None:
    """Make this listing process end when the run's process ends, even killed (Glue stops a
    job run as a whole: a process left over would go on writing and deleting objects)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pool ends its processes on a normal exit
        pass
    if os.getppid() != parent:  # the run ended before this process was ready
        os._exit(1)
