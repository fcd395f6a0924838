"""The test bench: the fixed "coverage" jobs that start every chunk, and the random mix after them.

With 50 or more jobs a day (scans: 10) every (job type, region, day) holds every state the API documents,
completions with issues, parent jobs with children, sizes over 4 GiB and 1 TiB, jobs at the
day's first and last half second, jobs still running, and the messages of ``messages``.
"""
from __future__ import annotations

import random
from typing import Any, Dict, Tuple

from .messages import MSG_BACKSLASH, MSG_COMMA_QUOTES, MSG_CRLF, MSG_NON_ASCII, MSG_TAB_LF, MSG_WS_RUN

#: The first jobs of every (backup, region, day): one dict of properties per index.
COVERAGE_BACKUP: Tuple[Dict[str, Any], ...] = (
    {"state": "COMPLETED", "at": "start", "rtype": "EBS", "size": "big"},
    {"state": "FAILED", "at": "end", "failing": 0, "msg": MSG_COMMA_QUOTES, "cat": "ACCESS_DENIED"},
    {"state": "RUNNING"},
    {"state": "CREATED"},
    {"state": "PENDING"},
    {"state": "ABORTING"},
    {"state": "ABORTED", "msg": MSG_TAB_LF, "cat": "ABORTED"},
    {"state": "EXPIRED", "msg": MSG_CRLF, "cat": "EXPIRED"},
    {"state": "PARTIAL", "parent": 3, "msg": "1 of 3 child jobs failed", "cat": "INVALID_PARAMETERS"},
    {"state": "COMPLETED", "child_of": 8},
    {"state": "FAILED", "child_of": 8, "msg": MSG_NON_ASCII, "cat": "INTERNAL_ERROR"},
    {"state": "COMPLETED", "child_of": 8},
    {"state": "COMPLETED", "rtype": "EC2", "vss": True, "msg": MSG_WS_RUN, "cat": "INVALID_PARAMETERS"},
    {"state": "FAILED", "msg": MSG_BACKSLASH, "cat": "INVALID_PARAMETERS"},
    {"state": "FAILED", "failing": 1, "msg": MSG_NON_ASCII, "cat": "RESOURCE_NOT_FOUND"},
    {"state": "COMPLETED", "rtype": "Aurora", "size": "huge"},
    {"state": "COMPLETED", "parent": 2},
    {"state": "COMPLETED", "child_of": 16},
    {"state": "COMPLETED", "child_of": 16},
)

#: The first jobs of every (copy, region, day). dest: region | account | both.
COVERAGE_COPY: Tuple[Dict[str, Any], ...] = (
    {"state": "COMPLETED", "at": "start", "dest": "region", "size": "big"},
    {"state": "FAILED", "at": "end", "dest": "account", "msg": MSG_COMMA_QUOTES, "cat": "ACCESS_DENIED"},
    {"state": "CREATED", "dest": "region"},
    {"state": "RUNNING", "dest": "account"},
    {"state": "PARTIAL", "dest": "both", "parent": 3, "msg": "1 of 3 child jobs failed",
     "cat": "INVALID_PARAMETERS"},
    {"state": "COMPLETED", "child_of": 4},
    {"state": "FAILED", "child_of": 4, "msg": MSG_NON_ASCII, "cat": "INTERNAL_ERROR"},
    {"state": "COMPLETED", "child_of": 4},
    {"state": "COMPLETED", "dest": "both", "msg": MSG_WS_RUN, "cat": "INVALID_PARAMETERS"},
    {"state": "FAILED", "dest": "region", "msg": MSG_BACKSLASH, "cat": "INVALID_PARAMETERS"},
    {"state": "FAILED", "dest": "account", "msg": MSG_TAB_LF, "cat": "ACCESS_DENIED"},
    {"state": "FAILED", "dest": "region", "msg": MSG_CRLF, "cat": "ACCESS_DENIED"},
    {"state": "COMPLETED", "dest": "account", "size": "huge"},
)

#: The first jobs of every (restore, region, day).
COVERAGE_RESTORE: Tuple[Dict[str, Any], ...] = (
    {"state": "COMPLETED", "at": "start", "testing": 0, "validation": "SUCCESSFUL", "deletion": "SUCCESSFUL"},
    {"state": "FAILED", "at": "end", "msg": MSG_COMMA_QUOTES},
    {"state": "PENDING"},
    {"state": "RUNNING", "testing": 0},
    {"state": "ABORTED", "msg": MSG_TAB_LF},
    {"state": "COMPLETED", "testing": 0, "validation": "FAILED", "vmsg": MSG_BACKSLASH, "deletion": "FAILED",
     "dmsg": MSG_CRLF},
    {"state": "COMPLETED", "testing": 1, "validation": "TIMED_OUT",
     "vmsg": "Validation did not finish within the 2 hour window", "deletion": "DELETING"},
    {"state": "COMPLETED", "testing": 1, "validation": "VALIDATING"},
    {"state": "COMPLETED", "size": "big"},
    {"state": "FAILED", "msg": MSG_NON_ASCII},
    {"state": "FAILED", "msg": MSG_WS_RUN},
    {"state": "COMPLETED", "parent": 2},
    {"state": "COMPLETED", "child_of": 11},
    {"state": "COMPLETED", "child_of": 11},
)

#: The first jobs of every (scan, region, day): every state, threats found (in two states), full
#: and incremental scans, a scan completing the next day, one still running at the day's end.
#: result: ScanResult.ScanResultStatus; mode: ScanMode; late: created at 23:30, done after midnight.
COVERAGE_SCAN: Tuple[Dict[str, Any], ...] = (
    {"state": "COMPLETED", "at": "start", "rtype": "EBS", "result": "NO_THREATS_FOUND", "mode": "FULL_SCAN"},
    {"state": "COMPLETED", "rtype": "EC2", "result": "THREATS_FOUND", "mode": "INCREMENTAL_SCAN"},
    {"state": "FAILED", "at": "end", "rtype": "S3", "msg": MSG_COMMA_QUOTES},
    {"state": "RUNNING", "rtype": "EBS", "mode": "INCREMENTAL_SCAN"},
    {"state": "CREATED", "rtype": "EC2"},
    {"state": "CANCELED", "rtype": "S3", "msg": MSG_BACKSLASH},
    {"state": "COMPLETED_WITH_ISSUES", "rtype": "EBS", "result": "NO_THREATS_FOUND", "msg": MSG_NON_ASCII},
    {"state": "COMPLETED_WITH_ISSUES", "rtype": "S3", "result": "THREATS_FOUND", "msg": MSG_CRLF},
    {"state": "COMPLETED", "at": "late", "rtype": "EBS", "result": "NO_THREATS_FOUND", "mode": "INCREMENTAL_SCAN"},
    {"state": "RUNNING", "at": "end", "rtype": "EC2", "mode": "FULL_SCAN"},
    {"state": "FAILED", "rtype": "EC2", "mode": "FULL_SCAN", "msg": MSG_TAB_LF},
    {"state": "COMPLETED_WITH_ISSUES", "rtype": "EC2", "result": "NO_THREATS_FOUND", "msg": MSG_WS_RUN},
)

COVERAGE = {"backup": COVERAGE_BACKUP, "copy": COVERAGE_COPY, "restore": COVERAGE_RESTORE, "scan": COVERAGE_SCAN}


def random_props(job_type: str, r: random.Random) -> Dict[str, Any]:
    """The properties of a job after the coverage jobs of a chunk (not a story): a realistic mix."""
    x = r.random()
    if job_type == "backup":
        return _backup_props(x, r)
    if job_type == "copy":
        return _copy_props(x, r)
    if job_type == "scan":
        return scan_props(x, r)
    return _restore_props(x, r)


def _backup_props(x: float, r: random.Random) -> Dict[str, Any]:
    if x < 0.80:
        return {"state": "COMPLETED"} if r.random() > 0.04 else {"state": "COMPLETED", "issue": True}
    if x < 0.89:
        return {"state": "FAILED"}
    if x < 0.92:
        return {"state": "EXPIRED", "msg": "The backup job did not start within the start window.",
                "cat": "EXPIRED"}
    if x < 0.94:
        return {"state": "ABORTED", "msg": "Backup job was stopped by the user.", "cat": "ABORTED"}
    if x < 0.97:
        return {"state": "RUNNING"}
    return {"state": ("CREATED", "PENDING", "ABORTING")[r.randrange(3)]}


def _copy_props(x: float, r: random.Random) -> Dict[str, Any]:
    dest = ("region", "region", "account", "both")[r.randrange(4)]
    if x < 0.85:
        return {"state": "COMPLETED", "dest": dest}
    if x < 0.95:
        return {"state": "FAILED", "dest": dest}
    return {"state": ("CREATED", "RUNNING")[r.randrange(2)], "dest": dest}


def _restore_props(x: float, r: random.Random) -> Dict[str, Any]:
    testing = r.random() < 0.4
    props: Dict[str, Any] = {}
    if x < 0.85:
        props["state"] = "COMPLETED"
    elif x < 0.93:
        props["state"] = "FAILED"
    elif x < 0.95:
        props["state"] = "ABORTED"
    else:
        props["state"] = ("PENDING", "RUNNING")[r.randrange(2)]
    if testing:
        props["testing"] = r.randrange(2)
        if props["state"] == "COMPLETED":
            props["validation"] = "SUCCESSFUL" if r.random() < 0.9 else "FAILED"
            props["deletion"] = "SUCCESSFUL"
    return props


def scan_props(x: float, r: random.Random) -> Dict[str, Any]:
    """A scan of a completed backup's recovery point: mostly clean, now and then a threat or a failure."""
    mode = "INCREMENTAL_SCAN" if r.random() < 0.7 else "FULL_SCAN"
    if x < 0.86:
        return {"state": "COMPLETED", "mode": mode, "result": "NO_THREATS_FOUND"}
    if x < 0.88:
        return {"state": "COMPLETED", "mode": mode, "result": "THREATS_FOUND"}
    if x < 0.91:
        return {"state": "COMPLETED_WITH_ISSUES", "mode": mode, "result": "NO_THREATS_FOUND"}
    if x < 0.94:
        return {"state": "FAILED", "mode": mode}
    if x < 0.95:
        return {"state": "CANCELED", "mode": mode}
    return {"state": ("CREATED", "RUNNING")[r.randrange(2)], "mode": mode}
