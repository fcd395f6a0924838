"""Named errors: every one in errors.py, with its meaning, reported as one prefixed message."""
from __future__ import annotations

import importlib
import inspect
import io
import pickle
import pkgutil

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

import backup_report
from backup_report import aws, errors
from backup_report.errors import BackupReportError
from backup_report.local import errors as local_errors


def error_classes(module):
    return [c for c in vars(module).values()
            if inspect.isclass(c) and issubclass(c, BaseException) and c.__module__ == module.__name__]


def test_every_error_class_lives_in_errors_with_its_meaning():
    own = error_classes(errors)
    local = error_classes(local_errors)  # the errors only the local tools raise
    assert {"AthenaQueryFailed", "NoSuchQuery", "ParameterError", "NoLocalAws"} <= {c.__name__ for c in own}
    assert {c.__name__ for c in local} == {"UnsupportedFormat", "DemoError"}
    for cls in own + local:
        assert issubclass(cls, BackupReportError), cls
        assert (cls.__doc__ or "").strip(), f"{cls.__name__} has no docstring"
        assert cls is BackupReportError or cls.__doc__ != BackupReportError.__doc__, cls
        assert isinstance(cls.exit_code, int) and cls.exit_code > 0
    elsewhere = []
    for module in pkgutil.walk_packages(backup_report.__path__, "backup_report."):
        if module.name in ("backup_report.errors", "backup_report.local.errors"):
            continue
        loaded = importlib.import_module(module.name)
        elsewhere += [f"{module.name}.{c.__name__}" for c in error_classes(loaded) if issubclass(c, BackupReportError)]
    assert elsewhere == []


@pytest.mark.parametrize("error, line", [
    (errors.PartialFailure("Some slices failed:\nregion eu-west-1, copy jobs: AccessDenied: no"),
     "backup-report: error: Some slices failed:\nregion eu-west-1, copy jobs: AccessDenied: no\n"),
    (errors.NoSuchQuery("No saved query 'x' in /q: pass a .sql file"),
     "backup-report: error: No saved query 'x' in /q: pass a .sql file\n"),
    (errors.ArgumentError(), "backup-report: error: " + errors.ArgumentError.__doc__ + "\n"),
])
def test_report_prints_the_whole_message_and_returns_the_exit_status(error, line):
    stream = io.StringIO()
    assert errors.report(error, stream) == error.exit_code
    assert stream.getvalue() == line


def test_report_writes_to_stderr_by_default(capsys):
    assert errors.report(errors.ArgumentError("--LOOKBACK_DAYS 0: must be 1..30")) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "backup-report: error: --LOOKBACK_DAYS 0: must be 1..30\n"


def test_a_named_error_says_what_failed_the_aws_cause_and_the_fix():
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "HeadBucket")
    named = aws.named_error(errors.BucketError, "Cannot use --REPORT_BUCKET b", denied, "check --REPORT_BUCKET")
    assert type(named) is errors.BucketError
    assert str(named) == "Cannot use --REPORT_BUCKET b: AccessDenied: no — check --REPORT_BUCKET"
    assert (named.problem, named.fix) == ("Cannot use --REPORT_BUCKET b: AccessDenied: no", "check --REPORT_BUCKET")
    unreachable = EndpointConnectionError(endpoint_url="https://glue")
    assert str(aws.named_error(errors.CatalogError, "Cannot read table d.t", unreachable)) == (
        'Cannot read table d.t: EndpointConnectionError: Could not connect to the endpoint URL: "https://glue"')
    copy = pickle.loads(pickle.dumps(named))  # as a forked lane hands it back
    assert (type(copy), str(copy), copy.problem, copy.fix) == (type(named), str(named), named.problem, named.fix)


def test_an_error_without_a_fix_is_its_message():
    error = errors.RoleError("Cannot assume it")
    assert (str(error), error.problem, error.fix) == ("Cannot assume it", "Cannot assume it", "")
    stream = io.StringIO()
    errors.report(errors.BucketError("Cannot use it", "check it"), stream)
    assert stream.getvalue() == "backup-report: error: Cannot use it — check it\n"
