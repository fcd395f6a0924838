"""The job's sessions (``aws``): one client of each per session, the SDK's models read once."""
from __future__ import annotations

import threading

import awswrangler as wr
from awswrangler import _utils

from backup_report import aws, schema
from backup_report.shape import shape_jobs
from backup_report.write import write_csv

from .builders import ROLE_ARN, objects, sdk_jobs


def test_the_job_session_hands_out_one_client_of_each_to_awswrangler_and_every_thread(report):
    session = aws.job_session()
    s3 = session.client("s3")
    assert _utils.client("s3", session=session) is s3  # what awswrangler asks for on every call
    assert s3.meta.config.retries == {"mode": "standard", "total_max_attempts": aws.MAX_RETRIES + 1}
    assert session.client("s3", region_name="us-west-2") is not s3
    assert session.client("s3", aws_access_key_id="other", aws_secret_access_key="other") is not s3
    got = []
    threads = [threading.Thread(target=lambda: got.append(session.client("glue"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(client is got[0] for client in got)
    # and awswrangler works through it: an object written, read back, listed
    frame = shape_jobs(sdk_jobs("COMPLETED"), schema.BACKUP_JOBS, "eu-west-1", {})
    write_csv(frame, schema.BACKUP_JOBS, f"s3://{report.bucket}/one.csv", session)
    assert wr.s3.list_objects(f"s3://{report.bucket}/", boto3_session=session) == [f"s3://{report.bucket}/one.csv"]
    assert objects(session, report.bucket, "one.csv")["one.csv"].startswith(b"backup_job_id,")


def test_every_session_of_the_job_reads_the_sdk_models_once(report, monkeypatch):
    from botocore.loaders import JSONFileLoader, Loader

    first = aws.job_session()
    first.client("glue")
    second = aws.job_session()
    management = aws.assume_management_session(first, ROLE_ARN, None, "run-1")
    loaded, looked_in = [], []
    real_load, real_exists = Loader.load_data_with_path, JSONFileLoader.exists

    def load(self, name):  # a model read from disk again; cached ones never get here
        loaded.append(name)
        return real_load(self, name)

    def exists(self, path):
        looked_in.append(path)
        return real_exists(self, path)

    monkeypatch.setattr(Loader, "load_data_with_path", load)
    monkeypatch.setattr(JSONFileLoader, "exists", exists)
    for session in (second, management, aws.job_session()):
        session.client("glue")
    assert not [name for name in loaded if "glue" in name]
    # a model no test reads otherwise is looked for in each data folder once, however many sessions exist
    aws.job_session().client("ivs")
    assert [name for name in loaded if "ivs" in name] and len(looked_in) == len(set(looked_in))
