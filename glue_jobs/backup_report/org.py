"""The organisation's accounts (AWS Organizations): their names for the rows, their ids for doctor's checks."""
from __future__ import annotations

import logging
from typing import Dict

import boto3

from .aws import AWS_ERRORS, botocore_config, describe_error

log = logging.getLogger(__name__)


def list_accounts(session: boto3.Session) -> Dict[str, str]:
    """Account id -> name of every account of the organisation (organizations:ListAccounts);
    raises the SDK's error when it cannot be read."""
    client = session.client("organizations", config=botocore_config())
    names: Dict[str, str] = {}
    for page in client.get_paginator("list_accounts").paginate():
        names.update({a["Id"]: a.get("Name", "") for a in page["Accounts"]})
    return names


def account_names(session: boto3.Session) -> Dict[str, str]:
    """Account id -> name from Organizations; empty (with a warning) when that is denied."""
    try:
        return list_accounts(session)
    except AWS_ERRORS as error:
        log.warning("account_name will be empty: cannot list the organisation's accounts "
                    "(organizations:ListAccounts): %s", describe_error(error))
        return {}
