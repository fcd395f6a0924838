"""AWS sessions: the job's own (S3, Glue) and the assumed management role (Backup, Organizations, EC2)."""
from __future__ import annotations

import datetime as dt
import os
import re
import threading
from typing import Any, Dict, Optional, Tuple, Type, TypeVar, Union

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError
from botocore.utils import parse_timestamp

from . import __version__
from .errors import BackupReportError, ConfigurationError, RoleError

Named = TypeVar("Named", bound=BackupReportError)

#: Enough retries to ride out heavy throttling (AWS Backup list calls: 20/s per region);
#: botocore's ``max_attempts`` counts retries, so a call is tried up to 11 times.
MAX_RETRIES = 10

#: What an AWS SDK call raises: the service's error answer, or the SDK's own (connection, credentials).
AWS_ERRORS = (ClientError, BotoCoreError)

_call_log_lock = threading.Lock()
#: The SDK's model files as the first session of the process read them (``share_models``).
_models: Any = None


def share_models(session: boto3.Session) -> None:
    """Give ``session`` the model loader of the process's first session: a new session would read
    and parse each service's JSON model again (a cost measured in docs/performance.md), in the
    run's process and in each listing process it forks."""
    global _models
    if _models is None:
        _models = session._session.get_component("data_loader")
    else:
        session._session.register_component("data_loader", _models)
        session._loader = _models  # what boto3 reads its resource models with
    paths = _models.search_paths  # each boto3 session adds its data folder: once is enough
    paths[:] = list(dict.fromkeys(paths))


def botocore_config(**overrides) -> Config:
    """The one retry / user-agent configuration of every client the job creates.

    Standard retry mode (exponential backoff with jitter, throttling errors retried)
    with ``MAX_RETRIES``, unless ``AWS_RETRY_MODE`` or ``AWS_MAX_ATTEMPTS`` say otherwise.
    """
    settings: Dict[str, Any] = dict(
        user_agent_extra=f"backup-report/{__version__}",
        max_pool_connections=20,
        connect_timeout=10,
        read_timeout=60,
    )
    # The standard SDK settings AWS_RETRY_MODE / AWS_MAX_ATTEMPTS win when given.
    if not (os.environ.get("AWS_RETRY_MODE") or os.environ.get("AWS_MAX_ATTEMPTS")):
        settings["retries"] = {"mode": "standard", "max_attempts": MAX_RETRIES}
    settings.update(overrides)
    return Config(**settings)


def parse_api_timestamp(value):
    """Timestamps of AWS responses as aware UTC datetimes.

    botocore's default parser attaches ``tzlocal()`` to every timestamp, which makes
    each conversion slow; AWS Backup sends epoch seconds, read here directly as UTC.
    """
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    return parse_timestamp(value).astimezone(dt.timezone.utc)


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError, else the exception's class name."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "ClientError")
    return type(error).__name__


def describe_error(error: Exception) -> str:
    """One line naming the cause; never includes credentials."""
    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message") or ""
        return f"{error_code(error)}: {message}".strip().rstrip(":")
    return f"{type(error).__name__}: {error}"


def named_error(cls: Type[Named], what_failed: str, error: Exception, fix: str = "") -> Named:
    """``cls`` saying ``<what failed>: <AWS code>: <AWS message> — <fix>``; raise it ``from error``.

    ``what_failed`` names what was asked of AWS and the argument or resource it came from
    (``Cannot use --REPORT_BUCKET b``); ``fix`` what to do about it, when there is something to say.
    """
    return cls(f"{what_failed}: {describe_error(error)}", fix)


def cause(error: BaseException) -> str:
    """One line for why something failed: an AWS error's code and message, a named error's text,
    or an unexpected exception's type and text (never credentials)."""
    if isinstance(error, AWS_ERRORS):
        return describe_error(error)
    if isinstance(error, BackupReportError):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}"


def _record_calls(session: boto3.Session, principal: str) -> None:
    """Append ``<principal> <service>:<Operation>`` per API call to $BACKUP_REPORT_CALL_LOG.

    Used to audit the job's least-privilege policies against the calls it really makes.
    """
    path = os.environ.get("BACKUP_REPORT_CALL_LOG")
    if not path:
        return

    def handler(model, **_kwargs):
        line = f"{principal} {model.service_model.endpoint_prefix}:{model.name}\n"
        with _call_log_lock, open(path, "a", encoding="utf-8") as out:
            out.write(line)

    session.events.register("before-call", handler)


class JobSession(boto3.Session):
    """A session that hands out one client per service, region and endpoint, to all its threads.

    awswrangler asks its session for a new client on every call: each costs milliseconds of
    CPU and opens its own connections (a TLS handshake per S3 object written), and creating
    clients from one session on several threads is not safe. Clients are thread-safe, so
    each is created once, under a lock, with the job's retry configuration (``botocore_config``)
    merged over the caller's. A client asked for with other credentials or an API version
    is a new one, as with any session.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        share_models(self)
        self._clients: Dict[Tuple, Any] = {}
        self._clients_lock = threading.Lock()

    def client(self, service_name: str, region_name: Optional[str] = None, api_version: Optional[str] = None,
               use_ssl: Optional[bool] = True, verify: Union[bool, str, None] = None,
               endpoint_url: Optional[str] = None, aws_access_key_id: Optional[str] = None,
               aws_secret_access_key: Optional[str] = None, aws_session_token: Optional[str] = None,
               config: Optional[Config] = None, aws_account_id: Optional[str] = None) -> Any:
        # boto3's own signature and order, so that any call boto3 accepts means the same here
        credentials = dict(aws_access_key_id=aws_access_key_id, aws_secret_access_key=aws_secret_access_key,
                           aws_session_token=aws_session_token, aws_account_id=aws_account_id)
        if api_version or any(credentials.values()):
            return self._new_client(service_name, region_name=region_name, api_version=api_version,
                                    use_ssl=use_ssl, verify=verify, endpoint_url=endpoint_url, config=config,
                                    **credentials)
        key = (service_name, region_name or self.region_name, endpoint_url, use_ssl, verify)
        with self._clients_lock:
            client = self._clients.get(key)
            if client is None:
                merged = botocore_config() if config is None else config.merge(botocore_config())
                client = self._clients[key] = self._new_client(
                    service_name, region_name=region_name, use_ssl=use_ssl, verify=verify,
                    endpoint_url=endpoint_url, config=merged)
        return client

    def _new_client(self, service_name: str, **options: Any) -> Any:
        """boto3's ``client()`` for any service name."""
        return super().client(service_name, **options)  # type: ignore[call-overload]  # stubs: literal names only


def job_session() -> boto3.Session:
    """The job's own session (its Glue role): S3, Glue, STS; one client of each (``JobSession``)."""
    session = JobSession()
    if not session.region_name:
        raise ConfigurationError(
            "No AWS region is configured for the job: set AWS_DEFAULT_REGION (boto3 does not read "
            "AWS_REGION), or region in the AWS profile's config (AWS_PROFILE); on Glue the job's "
            "region is set for you")
    if session.get_credentials() is None:
        raise ConfigurationError("No AWS credentials found for the job's own role")
    _record_calls(session, "job")
    return session


def assume_management_session(
    session: boto3.Session, role_arn: str, external_id: Optional[str], run_id: str,
    principal: str = "management", argument: str = "--MANAGEMENT_ROLE_ARN",
) -> boto3.Session:
    """A session in the management account, from ``sts:AssumeRole``; refreshed before expiry.

    Raises RoleError naming the role when it cannot be assumed. ``principal`` names the session
    in the call log, ``argument`` the job argument that gave the role (the AWS Config inventory
    assumes ``--CONFIG_ROLE_ARN`` the same way).
    """
    sts = session.client("sts", config=botocore_config())
    session_name = "backup-report-" + re.sub(r"[^\w+=,.@-]", "-", run_id)[:40]
    params: Dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": 3600}
    if external_id:
        params["ExternalId"] = external_id

    def fetch() -> dict:
        creds = sts.assume_role(**params)["Credentials"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    try:
        first = fetch()
    except AWS_ERRORS as error:
        id_argument = "--CONFIG_EXTERNAL_ID" if argument == "--CONFIG_ROLE_ARN" else "--EXTERNAL_ID"
        external = (f"{id_argument} equals the role's sts:ExternalId condition" if external_id
                    else f"the role requires no ExternalId ({id_argument} was not given)")
        raise named_error(RoleError, f"Cannot assume {argument} {role_arn}", error,
                          f"check that the role's trust policy admits the caller (on Glue: the job's role) "
                          f"and that {external}") from error
    credentials = RefreshableCredentials.create_from_metadata(
        metadata=first, refresh_using=fetch, method="sts-assume-role")
    core = botocore.session.get_session()
    # the usual way to hand refreshable credentials to boto3
    core._credentials = credentials  # type: ignore[attr-defined]  # private: botocore-stubs leave it out
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_api_timestamp)
    managed = boto3.Session(botocore_session=core, region_name=session.region_name)
    share_models(managed)
    _record_calls(managed, principal)
    return managed


def enabled_regions(session: boto3.Session) -> Tuple[str, ...]:
    """Regions enabled for the management account (EC2 DescribeRegions without opted-out ones)."""
    ec2 = session.client("ec2", config=botocore_config())
    try:
        answer = ec2.describe_regions()  # without AllRegions: only the enabled ones
    except AWS_ERRORS as error:
        raise named_error(ConfigurationError,
                          "Cannot list the regions enabled for the management account (ec2:DescribeRegions)",
                          error, "grant ec2:DescribeRegions to the management role, or pass --REGIONS") from error
    return tuple(sorted(r["RegionName"] for r in answer["Regions"]
                        if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in"))
