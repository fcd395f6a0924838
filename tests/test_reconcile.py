"""What differs from AWS Backup's counts (``reconcile.differing``), per account and state."""
from __future__ import annotations

from backup_report.reconcile import differing
from backup_report.schema import BACKUP_JOBS, COPY_JOBS, RESTORE_JOBS

A, B = "111122223333", "444455556666"


def test_equal_counts_differ_nowhere_and_a_side_without_a_row_counts_zero():
    assert differing(BACKUP_JOBS, {(A, "COMPLETED"): 3}, {(A, "COMPLETED"): 3}) == set()
    assert differing(BACKUP_JOBS, {(A, "COMPLETED"): 3}, {(A, "COMPLETED"): 3, (B, "FAILED"): 1}) == {(B, "FAILED")}
    assert differing(BACKUP_JOBS, {(A, "RUNNING"): 1}, {(A, "COMPLETED"): 1}) == {(A, "RUNNING"), (A, "COMPLETED")}


def test_states_the_listing_never_shows_are_compared_inside_their_accounts_total():
    # AWS counts a copy COMPLETING that the listing shows RUNNING: the same total, no difference
    assert differing(COPY_JOBS, {(A, "RUNNING"): 1, (A, "COMPLETED"): 2},
                     {(A, "COMPLETING"): 1, (A, "COMPLETED"): 2}) == set()
    # a total that differs: every state of that account differs; the other account is compared state by state
    assert differing(COPY_JOBS, {(A, "RUNNING"): 1, (B, "FAILED"): 1},
                     {(A, "COMPLETING"): 2, (B, "FAILED"): 1}) == {(A, "RUNNING"), (A, "COMPLETING")}
    assert differing(RESTORE_JOBS, {(A, "PENDING"): 1}, {(A, "CREATED"): 1}) == set()
    assert differing(BACKUP_JOBS, {(A, "PENDING"): 1}, {(A, "CREATED"): 1}) == {(A, "PENDING"), (A, "CREATED")}
