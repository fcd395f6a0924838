#!/usr/bin/env python3
"""Render the generated sections of cloudformation/*.yml from the files they mirror.

    python scripts/render_named_queries.py          # rewrite the templates in place
    python scripts/render_named_queries.py --check  # exit 1 when a template is out of date

A section is the text between two marker comments, at any indentation::

    # BEGIN GENERATED <name>: ...
    # END GENERATED <name>

Sections:

* ``named-queries``: one ``AWS::Athena::NamedQuery`` per ``sql/*.sql`` file (any number,
  zero included), its ``QueryString`` exactly the file's text;
* ``python-modules``: the Glue job's ``--additional-python-modules``, the pins of
  ``glue_jobs/requirements-glue.txt``;
* ``quicksight-datasets``: the QuickSight datasets over ``backup_jobs``, ``scan_jobs``, ``report_runs``,
  ``alerts`` and ``resources`` (the AWS Config inventory: empty until the job runs with ``--CONFIG_AGGREGATOR``),
  their columns and types from ``glue_jobs/backup_report/schema.py``.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "glue_jobs"))

from backup_report.schema import TABLES_BY_NAME, Table  # noqa: E402

SQL_DIR = ROOT / "sql"
TEMPLATES_DIR = ROOT / "cloudformation"
REQUIREMENTS = ROOT / "glue_jobs" / "requirements-glue.txt"

#: Tables that get a QuickSight dataset.
QUICKSIGHT_TABLES = ("backup_jobs", "scan_jobs", "report_runs", "alerts", "resources")
#: The template condition of a table's dataset when it is not just HasQuickSight: ``resources``
#: exists only when the job runs with --CONFIG_AGGREGATOR.
QUICKSIGHT_CONDITIONS = {"resources": "HasQuickSightInventory"}
#: Glue/Athena type -> QuickSight input column type.
QUICKSIGHT_TYPES = {"string": "STRING", "bigint": "INTEGER", "timestamp": "DATETIME",
                    "date": "DATETIME", "boolean": "BOOLEAN"}
DATASET_ACTIONS = (
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
)

SECTION = re.compile(
    r"^(?P<indent>[ ]*)# BEGIN GENERATED (?P<name>[\w-]+)(?P<note>[^\n]*)\n"
    r"(?P<body>.*?)"
    r"^(?P=indent)# END GENERATED (?P=name)[ ]*$",
    re.S | re.M,
)


class RenderError(Exception):
    """A source file cannot be rendered into a template."""


# ---------------------------------------------------------------- YAML helpers
class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation short tags (!Ref, !Sub, ...) as plain data."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template(path: Path) -> dict:
    """A CloudFormation YAML template as plain data (short tags become ``{"Fn::X": ...}``)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 (safe subclass)


def quoted(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly ``text``."""
    return json.dumps(text, ensure_ascii=False)


def literal_block(text: str, indent: str) -> Optional[str]:
    """``text`` as a YAML literal block (``|``) indented by ``indent``, or None when it would not read back exactly."""
    if not text.strip() or "\r" in text or text[0] in " \n" or "\t" in text:
        return None
    stripped = text.rstrip("\n")
    trailing = len(text) - len(stripped)
    chomp = {0: "-", 1: ""}.get(trailing, "+")
    lines = [(indent + line) if line else "" for line in stripped.split("\n")]
    lines += [""] * (trailing - 1 if trailing > 1 else 0)
    block = "|" + chomp + "\n" + "\n".join(lines)
    try:
        back = yaml.safe_load("key: " + block + "\n")["key"]
    except yaml.YAMLError:
        return None
    return block if back == text else None


def scalar(text: str, indent: str) -> str:
    """The most readable YAML scalar that reads back as exactly ``text``."""
    return literal_block(text, indent) or quoted(text)


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


# ---------------------------------------------------------------- sections
def sql_files(sql_dir: Path = SQL_DIR) -> List[Path]:
    return sorted(sql_dir.glob("*.sql")) if sql_dir.is_dir() else []


def header_comment(text: str) -> str:
    """The opening ``--`` comment of a query, as one line (its description)."""
    words: List[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            if words:
                break
            continue
        if not line.startswith("--"):
            break
        words.append(line.lstrip("-").strip())
    # A question tags the values it mentions like the SQL does ("30 /* :days */ days"); the
    # description reads them plain, with their defaults.
    return re.sub(r"\s*/\*\s*:[a-z_][a-z0-9_]*\s*\*/", "", " ".join(w for w in words if w))


def named_query_id(path: Path) -> str:
    return "NamedQuery" + pascal(path.stem)


def render_named_queries(indent: str, sql_dir: Path = SQL_DIR) -> str:
    blocks: List[str] = []
    seen: Dict[str, Path] = {}
    for path in sql_files(sql_dir):
        logical_id = named_query_id(path)
        if logical_id in seen:
            raise RenderError(f"{path.name} and {seen[logical_id].name} map to the same resource "
                              f"{logical_id}: rename one of them")
        seen[logical_id] = path
        text = path.read_bytes().decode("utf-8")  # exactly, line ends included
        if not text.strip():
            raise RenderError(f"{path} is empty: an Athena named query needs a query")
        if len(text.encode("utf-8")) > 262144:
            raise RenderError(f"{path} is larger than Athena's 262144-byte limit for a named query")
        description = header_comment(text) or f"sql/{path.name}"
        if len(description) > 1024:
            description = description[:1021] + "..."
        p = indent + "    "
        blocks.append("\n".join([
            f"{indent}{logical_id}:",
            f"{indent}  Type: AWS::Athena::NamedQuery",
            f"{indent}  Properties:",
            f"{p}Name: {quoted(path.stem[:128])}",
            f"{p}Description: {quoted(description)}",
            f"{p}Database: !Ref GlueDatabase",
            f"{p}WorkGroup: !Ref WorkGroup",
            f"{p}QueryString: {scalar(text, p + '  ')}",
        ]))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def glue_pins(path: Path = REQUIREMENTS) -> List[str]:
    """The ``name==version`` lines of requirements-glue.txt, comments and blanks ignored."""
    pins: List[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            if not re.match(r"^[A-Za-z0-9_.-]+(\[[A-Za-z0-9_,.-]+\])?==[A-Za-z0-9_.+!-]+$", line):
                raise RenderError(f"{path.name}: {line!r} is not an exact pin (name==version)")
            pins.append(line)
    return pins


def render_python_modules(indent: str) -> str:
    return f"{indent}--additional-python-modules: {quoted(','.join(glue_pins()))}\n"


def dataset_resource(table: Table, indent: str) -> str:
    p = indent + "    "
    columns = [f"{p}        - {{Name: {c.name}, Type: {QUICKSIGHT_TYPES[c.type]}}}"
               for c in table.columns + table.partitions]
    actions = "\n".join(f"{p}      - {a}" for a in DATASET_ACTIONS)
    slug = table.name.replace("_", "-")
    return "\n".join([
        f"{indent}QuickSightDataSet{pascal(table.name)}:",
        f"{indent}  Type: AWS::QuickSight::DataSet",
        f"{indent}  Condition: {QUICKSIGHT_CONDITIONS.get(table.name, 'HasQuickSight')}",
        f"{indent}  Properties:",
        f"{p}AwsAccountId: !Ref AWS::AccountId",
        f"{p}DataSetId: !Sub ${{AWS::StackName}}-{slug}",
        f"{p}Name: !Sub {table.name} (${{AWS::StackName}})",
        f"{p}ImportMode: DIRECT_QUERY",
        f"{p}PhysicalTableMap:",
        f"{p}  {slug}:",
        f"{p}    RelationalTable:",
        f"{p}      DataSourceArn: !GetAtt QuickSightDataSource.Arn",
        f"{p}      Catalog: AwsDataCatalog",
        f"{p}      Schema: !Ref GlueDatabase",
        f"{p}      Name: {table.name}",
        f"{p}      InputColumns:",
        *columns,
        f"{p}Permissions:",
        f"{p}  - Principal: !Ref QuickSightPrincipalArn",
        f"{p}    Actions:",
        actions,
        f"{p}Tags:",
        f"{p}  - Key: project",
        f"{p}    Value: backup-report",
    ])


def render_quicksight_datasets(indent: str) -> str:
    return "\n\n".join(dataset_resource(TABLES_BY_NAME[name], indent) for name in QUICKSIGHT_TABLES) + "\n"


RENDERERS: Dict[str, Callable[[str], str]] = {
    "named-queries": render_named_queries,
    "python-modules": render_python_modules,
    "quicksight-datasets": render_quicksight_datasets,
}


def render(text: str) -> Tuple[str, List[str]]:
    """``text`` with every generated section rewritten; and the names of the sections found."""
    found: List[str] = []

    def fill(match: re.Match) -> str:
        name, indent = match.group("name"), match.group("indent")
        if name not in RENDERERS:
            raise RenderError(f"unknown generated section {name!r} (known: {', '.join(RENDERERS)})")
        found.append(name)
        return (f"{indent}# BEGIN GENERATED {name}{match.group('note')}\n"
                f"{RENDERERS[name](indent)}"
                f"{indent}# END GENERATED {name}")

    return SECTION.sub(fill, text), found


def templates() -> List[Path]:
    return sorted(TEMPLATES_DIR.glob("*.yml")) + sorted(TEMPLATES_DIR.glob("*.yaml"))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when a template differs from its sources")
    args = parser.parse_args(argv)
    stale: List[str] = []
    try:
        for path in templates():
            current = path.read_text(encoding="utf-8")
            wanted, sections = render(current)
            if not sections:
                continue
            yaml.load(wanted, Loader=_CfnLoader)  # noqa: S506 - the result must still be valid YAML
            if wanted == current:
                continue
            if args.check:
                stale.append(path.relative_to(ROOT).as_posix())
            else:
                path.write_text(wanted, encoding="utf-8")
                print(f"rendered {path.relative_to(ROOT).as_posix()}: {', '.join(sections)}")
    except (RenderError, yaml.YAMLError) as error:
        print(f"render_named_queries: error: {error}", file=sys.stderr)
        return 2
    if stale:
        print("Out of date with sql/, requirements-glue.txt or schema.py: " + ", ".join(stale)
              + ". You can fix this by running: python scripts/render_named_queries.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
