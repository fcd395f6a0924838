"""moto's server, with the organisation's management account named ``management``.

moto names the account that creates an organisation ``master`` and offers no way to rename
it; the local AWS names it as the AWS Organizations console calls it. Everything else is
moto's own server: ``python -m backup_report.local.moto_server -H 127.0.0.1 -p PORT``.
"""
from __future__ import annotations

import sys

from moto.organizations import models

#: The name of the local organisation's management account.
MANAGEMENT_ACCOUNT_NAME = "management"

_create_account = models.FakeAccount.__init__


def _named(self, *args, **kwargs):
    if kwargs.get("AccountName") == "master":  # the only account moto creates by itself
        kwargs["AccountName"] = MANAGEMENT_ACCOUNT_NAME
    _create_account(self, *args, **kwargs)


models.FakeAccount.__init__ = _named

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
