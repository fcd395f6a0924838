"""A slice's manifest (``manifest``): what it says, and what a listing of the slice's objects says of it."""
from __future__ import annotations

import datetime as dt

from backup_report import manifest
from backup_report.schema import BACKUP_JOBS

DAY = dt.date(2026, 11, 20)
OBJECTS = ["status=COMPLETED/us-east-1_run-1_00000.csv", "status=COMPLETED/us-east-1_run-1_00001.csv",
           "status=FAILED/us-east-1_run-1_00002.csv"]
COUNTS = {("111122223333", "COMPLETED"): 7, ("444455556666", "COMPLETED"): 2, ("111122223333", "FAILED"): 1}


def sample(aws=None):
    return manifest.Manifest("backup", "us-east-1", DAY, "run-1", "window", list(OBJECTS), dict(COUNTS), aws)


def test_a_manifest_reads_back_as_written_with_or_without_aws_backups_counts():
    for aws in (None, {}, {("111122223333", "COMPLETED"): 8}):
        assert manifest.Manifest.from_json(sample(aws).to_json()) == sample(aws)


def test_it_is_written_outside_every_table_and_replaced_by_the_slices_next_write(report):
    manifest.write_manifest(report.session, report.bucket, report.prefix, BACKUP_JOBS, sample())
    newer = sample({})
    newer.run_id = "run-2"
    manifest.write_manifest(report.session, report.bucket, report.prefix, BACKUP_JOBS, newer)
    keys = [o["Key"] for o in report.session.client("s3").list_objects_v2(Bucket=report.bucket)["Contents"]]
    assert keys == [f"{report.prefix}/manifests/backup_jobs/report_date=2026-11-20/us-east-1.json"]
    assert manifest.read_manifest(report.session, report.bucket, report.prefix, BACKUP_JOBS, DAY,
                                  "us-east-1") == newer
    assert manifest.read_manifest(report.session, report.bucket, report.prefix, BACKUP_JOBS, DAY,
                                  "eu-west-1") is None


def test_the_listing_decides_which_counts_are_known():
    intact = manifest.held(sample(), OBJECTS)
    assert intact.intact and intact.counts == COUNTS and not intact.unknown_states
    removed = manifest.held(sample(), OBJECTS[1:])  # one COMPLETED object removed by hand
    assert not removed.intact and removed.unknown_states == {"COMPLETED"}
    assert removed.counts == {("111122223333", "FAILED"): 1}
    extra = manifest.held(sample(), OBJECTS + ["status=RUNNING/us-east-1_run-0_00000.csv"])  # left by a killed run
    assert not extra.intact and extra.unknown_states == {"RUNNING"} and extra.counts == COUNTS


def test_region_objects_are_named_as_the_manifest_names_them():
    root = "s3://b/p/backup_jobs/report_date=2026-11-20/"
    paths = [root + "status=FAILED/us-east-1_run-1_00002.csv", root + "status=FAILED/eu-west-1_run-1_00000.csv"]
    assert manifest.region_objects(paths, "b", "p", BACKUP_JOBS, DAY, "us-east-1") == [OBJECTS[2]]
