"""Named errors: every one in errors.py, with its meaning, reported as one prefixed message."""
from __future__ import annotations

import importlib
import inspect
import io
import pkgutil

import pytest

import backup_report
from backup_report import errors
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
