#!/usr/bin/env python3
"""Render the README's and the docs' sample outputs from the real CLI, on the demo organisation.

    python scripts/render_samples.py          # rewrite the samples in place
    python scripts/render_samples.py --check  # exit 1 when a sample differs from what the CLI prints

Each ``<!-- sample: COMMAND -->`` ... ``<!-- /sample -->`` block of the pages below is replaced
by a fenced block of ``$ COMMAND`` and what the command prints on stdout, run as the README says:
``backup-report local up --demo-org`` in the background, its export lines pasted, then the
command. The clock (``BACKUP_REPORT_NOW``), the terminal's width (``COLUMNS``) and the demo
organisation (its names, account ids, seed and volume: ``local/demo/org.py``) are pinned, so a
sample changes only when what the CLI prints does. Never talks to real AWS.
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import queue
import random
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Mapping

ROOT = Path(__file__).resolve().parents[1]
#: The pages that hold samples.
PAGES = (ROOT / "README.md", ROOT / "docs" / "queries.md")
#: The local clock of the samples: a morning, the demo organisation backfilled the night before.
NOW = "2026-11-27T07:30:00"
#: The terminal's width the samples are printed for.
COLUMNS = "100"
BLOCK = re.compile(r"(<!-- sample: (.+?) -->\n).*?(<!-- /sample -->)", re.S)


def commands(text: str) -> List[str]:
    """The sample commands of a page, in order."""
    return [m.group(2).strip() for m in BLOCK.finditer(text)]


def fill(text: str, outputs: Mapping[str, str]) -> str:
    """``text`` with every sample block holding its command and that command's output."""
    def block(match: re.Match) -> str:
        command = match.group(2).strip()
        return f"{match.group(1)}```\n$ {command}\n{outputs[command].rstrip()}\n```\n{match.group(3)}"

    return BLOCK.sub(block, text)


def _port_pair() -> int:
    """A port such that it and the next one are free (moto on it, the emulator on the next)."""
    for _ in range(200):
        port = random.randrange(20000, 30000)
        try:
            for candidate in (port, port + 1):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
            return port
        except OSError:
            continue
    raise RuntimeError("no two consecutive free ports")


def _shell() -> Dict[str, str]:
    """A fresh shell's environment (no AWS_* setting), the pinned clock and width, this checkout's package."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BACKUP_REPORT_"))}
    env.update(BACKUP_REPORT_NOW=NOW, COLUMNS=COLUMNS, PYTHONPATH=str(ROOT / "glue_jobs"))
    return env


def _pasted(env: Dict[str, str], lines: List[str]) -> Dict[str, str]:
    """``env`` after a shell ran the printed ``unset`` / ``export`` lines."""
    env = dict(env)
    for line in lines:
        words = shlex.split(line)
        if words[0] == "unset":
            for name in words[1:]:
                env.pop(name, None)
        elif words[0] == "export":
            for pair in words[1:]:
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def run_samples(wanted: List[str], timeout: float = 600) -> Dict[str, str]:
    """What each command prints against ``backup-report local up --demo-org`` (pinned clock and width)."""
    shell = _shell()
    cli = [sys.executable, "-m", "backup_report.cli"]
    up = subprocess.Popen(cli + ["local", "up", "--demo-org", "--port", str(_port_pair())], env=shell,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: "queue.Queue[str]" = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in up.stdout], daemon=True).start()
    seen: List[str] = []
    try:
        deadline = time.monotonic() + timeout
        while not any(line.startswith("Ctrl-C stops") for line in seen):
            if up.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("backup-report local up --demo-org did not come up:\n" + "".join(seen)[-3000:])
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=1))
        env = _pasted(shell, [line.strip() for line in seen if line.strip().startswith(("export ", "unset "))])
        outputs = {}
        for command in wanted:
            words = shlex.split(command)
            if words[0] != "backup-report":
                raise SystemExit(f"sample {command!r}: only backup-report commands are rendered")
            done = subprocess.run(cli + words[1:], env=env, capture_output=True, text=True, timeout=timeout)
            if done.returncode != 0:
                raise SystemExit(f"sample {command!r} exited {done.returncode}: {done.stderr[-2000:]}")
            outputs[command] = done.stdout
        return outputs
    finally:
        up.send_signal(signal.SIGTERM)  # local up stops its servers on SIGTERM as on Ctrl-C
        try:
            up.wait(30)
        except subprocess.TimeoutExpired:
            up.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a sample differs from the CLI's output")
    args = parser.parse_args()
    texts = {page: page.read_text(encoding="utf-8") for page in PAGES}
    wanted = list(dict.fromkeys(c for text in texts.values() for c in commands(text)))
    outputs = run_samples(wanted)
    stale = []
    for page, text in texts.items():
        rendered = fill(text, outputs)
        if rendered == text:
            continue
        stale.append(page)
        if args.check:
            name = str(page.relative_to(ROOT))
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(keepends=True),
                                                       rendered.splitlines(keepends=True), name,
                                                       f"{name} (what the CLI prints)"))
        else:
            page.write_text(rendered, encoding="utf-8")
    if args.check and stale:
        print(f"{', '.join(str(p.relative_to(ROOT)) for p in stale)}: samples out of date: run "
              "python scripts/render_samples.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
