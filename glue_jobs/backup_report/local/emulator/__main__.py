"""The emulator as a process: ``python -m backup_report.local.emulator``.

``--port 0 --management-account-id 123456789012 [--generate spec.json] [--port-file PATH]
[--host 127.0.0.1] [--seed N]`` prints the URL, writes the port to ``--port-file`` once ready
(after ``--generate``), and serves until SIGTERM/SIGINT.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any, Optional, Sequence

from .. import synthetic
from .server import BackupEmulator


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backup_report.local.emulator",
                                     description="Local AWS Backup List*Jobs emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: pick a free port")
    parser.add_argument("--management-account-id", default=synthetic.DEFAULT_MANAGEMENT_ACCOUNT_ID)
    parser.add_argument("--generate", metavar="SPEC_JSON", help="an OrgSpec JSON file to generate and load")
    parser.add_argument("--port-file", metavar="PATH", help="write the port here once ready")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault injection RNG")
    args = parser.parse_args(argv)

    emu = BackupEmulator(args.management_account_id, host=args.host, port=args.port, seed=args.seed)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    if args.generate:
        with open(args.generate, encoding="utf-8") as fh:
            counts = emu.generate(fh.read())
        print(f"generated {sum(counts.values())} jobs", file=sys.stderr, flush=True)
    emu.start()
    print(f"AWS Backup emulator listening on {emu.url} (port {emu.port})", flush=True)
    if args.port_file:
        tmp = f"{args.port_file}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(f"{emu.port}\n")
        os.replace(tmp, args.port_file)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
