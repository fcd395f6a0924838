"""The SNS digest: its exact text, the 50 jobs it lists, and its short ASCII subject."""
from __future__ import annotations

import datetime as dt
import re

from backup_report import digest
from backup_report.slices import SliceResult

from .builders import SAMPLE_ITEMS, item, settings, varied_items

GOLDEN_BODY = """\
5 AWS Backup jobs need attention (report day 2026-11-26, run jr_0123abcd).
Each is announced once; jobs that finished more than 48 hours before the run are left out.

By status
  backup COMPLETED with issues                   1
  backup EXPIRED                                 1
  backup FAILED                                  1
  copy FAILED                                    1
  restore test validation FAILED                 1

By account
  data-platform-prod (444455556666)              2
  payments-prod (111122223333)                   2
  777788889999                                   1

Jobs (5 of 5)
  1. data-platform-prod (444455556666), us-east-1: copy FAILED, 2026-11-26 02:00 UTC
     S3 lake-raw (arn:aws:s3:::lake-raw)
     INVALID_PARAMETERS: Copy job failed because the destination region is not opted in.
     copy job c-9
  2. data-platform-prod (444455556666), us-east-1: restore test validation FAILED, 2026-11-26 02:00 UTC
     RDS (arn:aws:rds:us-east-1:444455556666:db:ledger)
     Validation script exited with status 1
     restore job r-7
  3. payments-prod (111122223333), eu-west-1: backup FAILED, 2026-11-26 02:00 UTC
     EBS orders-db-data (arn:aws:ec2:eu-west-1:111122223333:volume/vol-00001)
     ACCESS_DENIED: IAM Role arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole does not have sufficient permissions to execute the backup
     backup job b-00001
  4. payments-prod (111122223333), eu-west-1: backup COMPLETED with issues, 2026-11-26 04:30 UTC
     EC2 web-prod-1 (arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc)
     INVALID_PARAMETERS: Windows VSS Backup Job Error encountered, trying for regular backup
     backup job b-00002
  5. 777788889999, ap-southeast-2: backup EXPIRED, 2026-11-26 01:02 UTC
     DynamoDB (arn:aws:dynamodb:ap-southeast-2:777788889999:table/sessions)
     backup job b-00005

Report slices that failed (their earlier rows are kept; the next run retries)
  copy jobs, eu-west-1, 2026-11-25: AccessDeniedException: User is not authorized to perform backup:ListCopyJobs

Every job that needs attention, and when it was announced: the saved query 15_jobs_needing_attention
(Athena named query 15_jobs_needing_attention, or: backup-report query jobs_needing_attention).
Report: s3://acme-backup-reports/backup-reports/
"""

#: The digest of failed slices alone (no new item).
GOLDEN_NOTHING_NEW = """\
No backup job needs attention that was not announced before (report day 2026-11-26, run jr_0123abcd).

Report slices that failed (their earlier rows are kept; the next run retries)
  copy jobs, eu-west-1, 2026-11-25: AccessDeniedException: User is not authorized to perform backup:ListCopyJobs

Every job that needs attention, and when it was announced: the saved query 15_jobs_needing_attention
(Athena named query 15_jobs_needing_attention, or: backup-report query jobs_needing_attention).
Report: s3://acme-backup-reports/backup-reports/
"""

FAILED = [SliceResult("copy", "eu-west-1", dt.date(2026, 11, 25), cause=(
    "AccessDeniedException: User is not authorized to perform backup:ListCopyJobs"))]


def test_the_digest_reads_well():
    assert digest.digest_body(SAMPLE_ITEMS, FAILED, settings()) == GOLDEN_BODY
    assert digest.digest_subject(5, 1, dt.date(2026, 11, 26)) == (
        "backup-report: 5 backup jobs need attention, 1 report slice failed on 2026-11-26")


def test_a_digest_of_failed_slices_alone_says_nothing_is_new():
    assert digest.digest_body([], FAILED, settings()) == GOLDEN_NOTHING_NEW
    assert digest.digest_subject(0, 1, dt.date(2026, 11, 26)) == (
        "backup-report: 1 report slice failed on 2026-11-26")
    assert digest.digest_subject(0, 0, dt.date(2026, 11, 26)) == "backup-report: nothing new on 2026-11-26"


def test_the_digest_lists_the_first_50_jobs_by_account_region_type_and_time():
    items = varied_items(500)
    body = digest.digest_body(items, [], settings())
    first = sorted(items, key=lambda i: (i.account_name or "~", i.account_id, i.region, i.job_type, i.creation_date,
                                         i.job_id))[:50]
    assert re.findall(r"^ {5}(?:backup|copy|restore) job (\S+)$", body, re.M) == [i.job_id for i in first]


def test_the_digest_lists_50_jobs_and_its_subject_stays_short():
    body = digest.digest_body([item(n) for n in range(120)], [], settings())
    assert "Jobs (50 of 120)" in body and len(re.findall(r"^ {5}backup job ", body, re.M)) == 50
    assert digest.digest_subject(1, 0, dt.date(2026, 11, 26)) == (
        "backup-report: 1 backup job needs attention on 2026-11-26")
    longest = digest.digest_subject(10 ** 12, 10 ** 9, dt.date(2026, 11, 26))
    assert len(longest) < 100 and longest.isascii() and "\n" not in longest


def test_the_digest_names_25_accounts_and_counts_the_rest():
    items = [item(n, account_id=f"{n:012d}", account_name=None) for n in range(30)]
    body = digest.digest_body(items, [], settings())
    assert len(re.findall(r"^  \d{12} +1$", body, re.M)) == 25
    assert "  ... and 5 more account(s)\n" in body


def test_labels_name_accounts_and_states():
    assert digest.account_label("111122223333", "payments-prod") == "payments-prod (111122223333)"
    assert digest.account_label("111122223333", None) == "111122223333"
    assert [digest.item_label(i) for i in SAMPLE_ITEMS] == [
        "backup FAILED", "backup COMPLETED with issues", "copy FAILED", "restore test validation FAILED",
        "backup EXPIRED"]


#: A scan that found malware, and a scan that failed.
THREAT = item(20, "Malware was found: see the GuardDuty finding.", job_type="scan", job_id="s-20", status="COMPLETED",
              scan_result_status="THREATS_FOUND", message_category=None, resource_type="EC2", resource_name="web-1",
              resource_arn="arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc",
              recovery_point_arn="arn:aws:ec2:eu-west-1::image/ami-0123", backup_vault_name="org-backup-vault")
FAILED_SCAN = item(21, "The scan failed.", job_type="scan", job_id="s-21", status="FAILED", message_category=None,
                   recovery_point_arn="arn:aws:ec2:eu-west-1::snapshot/snap-1", backup_vault_name="Default")


def test_malware_found_comes_first_with_its_recovery_point_and_vault():
    body = digest.digest_body(SAMPLE_ITEMS + [FAILED_SCAN, THREAT], [], settings())
    assert body.startswith("7 AWS Backup jobs need attention (report day 2026-11-26, run jr_0123abcd).\n")
    assert """
MALWARE FOUND (1 of 1): quarantine these recovery points before anyone restores from them
  1. payments-prod (111122223333), eu-west-1: scan THREATS_FOUND, 2026-11-26 02:00 UTC
     EC2 web-1 (arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc)
     recovery point arn:aws:ec2:eu-west-1::image/ami-0123 in vault org-backup-vault
     Malware was found: see the GuardDuty finding.
     scan job s-20

By status
""" in body
    assert "  scan THREATS_FOUND                             1\n" in body
    others = body[body.index("Other jobs (6 of 6)"):]
    assert "s-20" not in others and "scan FAILED" in others
    assert "     recovery point arn:aws:ec2:eu-west-1::snapshot/snap-1 in vault Default\n" in others
    assert digest.digest_subject(7, 0, dt.date(2026, 11, 26), threats=1) == (
        "backup-report: 1 scan found MALWARE, 7 backup jobs need attention on 2026-11-26")


def test_a_digest_of_threats_alone_lists_no_other_jobs():
    body = digest.digest_body([THREAT, THREAT._replace(job_id="s-22", status="COMPLETED_WITH_ISSUES")], [], settings())
    assert "MALWARE FOUND (2 of 2)" in body and "Other jobs" not in body and "\nJobs (" not in body
    assert digest.item_label(THREAT._replace(status="COMPLETED_WITH_ISSUES")) == \
        "scan THREATS_FOUND (COMPLETED_WITH_ISSUES)"
    assert [digest.item_label(i) for i in (THREAT, FAILED_SCAN)] == ["scan THREATS_FOUND", "scan FAILED"]


def test_a_long_subject_shortens_its_nouns_before_it_is_cut():
    assert digest.digest_subject(19, 3, dt.date(2026, 12, 8), threats=1) == (
        "backup-report: 1 scan found MALWARE, 19 jobs need attention, 3 slices failed on 2026-12-08")
    assert digest.digest_subject(19, 3, dt.date(2026, 12, 8)) == (
        "backup-report: 19 backup jobs need attention, 3 report slices failed on 2026-12-08")
