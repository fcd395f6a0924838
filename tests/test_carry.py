"""Never drop a job (``carry``): a rewrite keeps, line for line, the jobs its listing no longer returns."""
from __future__ import annotations

import datetime as dt

from backup_report import carry
from backup_report.schema import RESTORE_JOBS
from backup_report.shape import shape_jobs
from backup_report.write import SliceWriter

from .builders import epoch, read_rows

DAY = dt.date(2026, 11, 20)
ACCOUNT = "111122223333"


def restore(job_id, status, **fields):
    return {"RestoreJobId": job_id, "AccountId": ACCOUNT, "Status": status,
            "CreationDate": epoch(f"{DAY}T0{len(job_id)}:00:00"), **fields}


def test_jobs_the_listing_no_longer_returns_are_written_again_under_their_last_status(report, caplog):
    earlier = SliceWriter(report.session, report.bucket, report.prefix, RESTORE_JOBS, "us-east-1", DAY, "run-1")
    earlier.write(shape_jobs([restore("r-1", "RUNNING"), restore("r-22", "COMPLETED", ValidationStatus="VALIDATING",
                                                                 StatusMessage='a, "b" \\ c')],
                             RESTORE_JOBS, "us-east-1", {ACCOUNT: "prod"}))
    earlier.finish()
    before = {r["restore_job_id"]: r for r in read_rows(report.session, report.bucket, "restore_jobs")}
    # an object written before the table's last column existed: that column reads as NULL
    header = ",".join(RESTORE_JOBS.column_names[:-1])
    old_key = f"{report.prefix}/restore_jobs/report_date={DAY}/status=FAILED/us-east-1_run-0_00000.csv"
    line = ",".join(["r-333", ACCOUNT, "prod", "us-east-1"] + [""] * (len(RESTORE_JOBS.columns) - 5))
    report.session.client("s3").put_object(Bucket=report.bucket, Key=old_key, Body=f"{header}\n{line}\n".encode())

    writer = SliceWriter(report.session, report.bucket, report.prefix, RESTORE_JOBS, "us-east-1", DAY, "run-2")
    writer.write(shape_jobs([restore("r-1", "COMPLETED")], RESTORE_JOBS, "us-east-1", {ACCOUNT: "prod"}))
    with caplog.at_level("WARNING", logger="backup_report"):
        carried = carry.carry_over(report.session, report.bucket, report.prefix, RESTORE_JOBS, "us-east-1", DAY,
                                   {"r-1"}, writer)
    writer.finish()
    assert sorted(carried.ids) == ["r-22", "r-333"] and carried.validating == 1
    assert carried.counts == {(ACCOUNT, "COMPLETED"): 1, (ACCOUNT, "FAILED"): 1}
    assert writer.counts == {"COMPLETED": 2, "FAILED": 1}
    rows = {r["restore_job_id"]: r for r in read_rows(report.session, report.bucket, "restore_jobs")}
    assert (rows["r-1"]["status"], rows["r-22"]["status"], rows["r-333"]["status"]) == ("COMPLETED", "COMPLETED",
                                                                                      "FAILED")
    assert {k: v for k, v in rows["r-22"].items() if k != "_key"} == {
        k: v for k, v in before["r-22"].items() if k != "_key"}  # byte for byte, the message's escapes too
    assert rows["r-333"]["deletion_status_message"] == ""
    assert "2 job(s) the listing no longer returns kept under their last status: r-22, r-333" in caplog.text
