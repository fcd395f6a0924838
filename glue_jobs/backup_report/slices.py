"""One slice: a job type x region x report day, fetched, shaped, written and registered as a unit."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Dict, List

from .attention import Item


@dataclass
class SliceResult:
    """What happened to one slice: a job type x region x report day."""

    job_type: str
    region: str
    day: dt.date
    error: str = ""
    counts: Dict[str, int] = field(default_factory=dict)
    #: The slice's jobs that need attention (``attention.pick``), for ``notify.announce``.
    attention: List[Item] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return not self.error
