"""The organisation's accounts: names from Organizations, none (with a warning) when that is denied."""
from __future__ import annotations

import contextlib

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from backup_report import org

from .builders import MANAGEMENT_ACCOUNT


def test_account_names_come_from_organizations(local_aws):
    client = boto3.client("organizations")
    with contextlib.suppress(client.exceptions.AlreadyInOrganizationException):
        client.create_organization(FeatureSet="ALL")
    client.create_account(Email="org-names@example.com", AccountName="org, \"names\"")
    expected = {a["Id"]: a["Name"] for p in client.get_paginator("list_accounts").paginate() for a in p["Accounts"]}
    names = org.account_names(boto3.Session())
    assert names == expected and "org, \"names\"" in names.values() and names[MANAGEMENT_ACCOUNT]
    assert org.list_accounts(boto3.Session()) == expected


def denied_session() -> boto3.Session:
    """A session whose Organizations client is refused ListAccounts."""
    session = boto3.Session(region_name="us-east-1")
    client = session.client("organizations")
    stub = Stubber(client)
    stub.add_client_error("list_accounts", "AccessDeniedException", "not allowed")
    stub.activate()
    session.client = lambda *a, **k: client
    return session


def test_account_names_denied_gives_a_warning_and_no_names(caplog):
    with caplog.at_level("WARNING"):
        assert org.account_names(denied_session()) == {}
    assert "organizations:ListAccounts" in caplog.text and "AccessDeniedException" in caplog.text


def test_list_accounts_denied_raises_the_sdks_error():
    with pytest.raises(ClientError, match="AccessDeniedException"):
        org.list_accounts(denied_session())
