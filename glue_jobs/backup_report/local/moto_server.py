"""moto's server, with the local organisation's accounts as the demo and the docs show them.

moto names the account that creates an organisation ``master`` and offers no way to rename
it; the local AWS names it as the AWS Organizations console calls it. moto gives each member
account a random id; here a member account's id is a function of its name
(``synthetic.account_id``), so every local organisation of the same names has the same ids
(a name created twice gets moto's random id the second time). Everything else is moto's own
server: ``python -m backup_report.local.moto_server -H 127.0.0.1 -p PORT``.
"""
from __future__ import annotations

import sys
import threading

from moto.organizations import models, utils

from .synthetic.org import account_id

#: The name of the local organisation's management account.
MANAGEMENT_ACCOUNT_NAME = "management"

_create_account = models.FakeAccount.__init__
_random_account_id = utils.make_random_account_id
_ids = threading.Lock()  # the id is handed to moto's constructor through its module: one account at a time


def _named(self, organization, *args, **kwargs):
    if kwargs.get("AccountName") == "master":  # the only account moto creates by itself
        kwargs["AccountName"] = MANAGEMENT_ACCOUNT_NAME
    wanted = account_id(str(kwargs.get("AccountName")))
    taken = wanted == organization.master_account_id or wanted in models.organizations_backends.master_accounts
    with _ids:
        utils.make_random_account_id = _random_account_id if taken else (lambda: wanted)
        try:
            _create_account(self, organization, *args, **kwargs)
        finally:
            utils.make_random_account_id = _random_account_id


models.FakeAccount.__init__ = _named

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
