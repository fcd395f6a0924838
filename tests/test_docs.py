"""The documentation stays true: generated tables, links, the two commands, a self-contained repository."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

from backup_report.schema import ALL_TABLES

from .builders import load_script

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = sorted((ROOT / "docs").glob("*.md"))
TABLES_PAGE = ROOT / "docs" / "tables.md"
QUERIES_PAGE = ROOT / "docs" / "queries.md"

#: A Markdown link or image: [text](target) -- the target up to a blank or ')'.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
#: What a user's clone does not have: the team's shared folder and its contract file.
OUTSIDE_REFERENCE = re.compile(r"\.\./shared|\bSPEC\b")


def tracked_files() -> List[str]:
    result = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [name for name in result.stdout.split("\0") if name]


def relative_links(page: Path) -> List[Tuple[str, Path]]:
    """(link, file it points at) for every link of ``page`` that is not a URL or an in-page anchor."""
    text = page.read_text(encoding="utf-8")
    # Code blocks hold commands and examples, not links.
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    links = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        links.append((target, (page.parent / path).resolve()))
    return links


def test_schema_tables_are_generated_from_the_schema():
    result = subprocess.run([sys.executable, "scripts/render_docs.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    page = TABLES_PAGE.read_text(encoding="utf-8")
    for table in ALL_TABLES:
        assert f"<!-- schema:{table.name} -->" in page, table.name
        for column in table.columns:
            assert re.search(rf"^\| {column.name} \| {column.type} \|", page, re.M), (table.name, column.name)


def test_render_docs_check_fails_when_a_table_drifts(tmp_path):
    """The drift check can fail: a page whose table lost a column is reported out of date."""
    render_docs = load_script("render_docs")
    page = TABLES_PAGE.read_text(encoding="utf-8")
    drifted = re.sub(r"^\| backup_job_id \|.*\n", "", page, count=1, flags=re.M)
    assert drifted != page
    assert render_docs.render(drifted) == page
    assert render_docs.missing_tables(page) == []
    assert render_docs.missing_tables(page.replace("<!-- schema:copy_jobs -->", "")) == ["copy_jobs"]


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"^\./scripts/(\w+\.sh)\s+# the (demo|tests)", README, re.M)
    assert {kind: script for script, kind in commands} == {"demo": "demo.sh", "tests": "test.sh"}
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\./scripts/test\.sh\s*$", ci, re.M)
    for script, _ in commands:
        assert (ROOT / "scripts" / script).exists(), script


def test_every_saved_query_is_listed_on_the_queries_page():
    names = sorted(p.stem for p in (ROOT / "sql").glob("*.sql"))
    assert len(names) >= 10
    page = QUERIES_PAGE.read_text(encoding="utf-8")
    for name in names:
        assert f"(../sql/{name}.sql)" in page, name
    listed = set(re.findall(r"\(\.\./sql/(\w+)\.sql\)", page))
    assert listed == set(names), "queries.md lists a query that sql/ does not have"


def test_deployment_docs_list_the_templates_quicksight_datasets_once():
    """The template defines the datasets; docs/deployment.md lists them in one place, all of them."""
    template = load_script("render_named_queries").load_template(ROOT / "cloudformation" / "template-reporting.yml")
    defined = set()
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::QuickSight::DataSet":
            for table in resource["Properties"]["PhysicalTableMap"].values():
                defined.add(table["RelationalTable"]["Name"])
    assert len(defined) >= 4
    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    tables = {table.name for table in ALL_TABLES}
    # paragraphs and list items that speak of datasets and name two tables or more: one list
    blocks = re.split(r"\n\s*\n|\n(?=\s*(?:- |\d+\. ))", page)
    lists = [set(re.findall(r"`(\w+)`", block)) & tables for block in blocks if "dataset" in block]
    assert [named for named in lists if len(named) >= 2] == [defined]


def test_readme_is_a_front_page_that_links_every_docs_page():
    assert len(README.splitlines()) < 300
    assert len(DOCS) >= 7
    linked = {target.split("#", 1)[0] for target, _ in relative_links(ROOT / "README.md")}
    for page in DOCS:
        assert f"docs/{page.name}" in linked, page.name


def test_every_relative_link_points_at_an_existing_file():
    pages = [ROOT / "README.md", ROOT / "sql" / "README.md", *DOCS]
    broken = [(page.relative_to(ROOT).as_posix(), target)
              for page in pages for target, path in relative_links(page) if not path.exists()]
    assert broken == []


def test_links_are_found_and_a_broken_one_is_reported(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("[a](exists.md) [b](missing.md#x) [c](https://example.com) [d](#anchor)\n"
                    "```\n[e](in-code.md)\n```\n", encoding="utf-8")
    (tmp_path / "exists.md").write_text("", encoding="utf-8")
    links = relative_links(page)
    assert [target for target, _ in links] == ["exists.md", "missing.md#x"]
    assert [path.exists() for _, path in links] == [True, False]


def test_no_product_file_refers_to_files_outside_the_repository():
    """A clone has no ../shared folder and no SPEC: the docs carry the contract themselves."""
    offenders = []
    for name in tracked_files():
        if name.startswith(("tests/", ".ci/")):
            continue
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree, not yet committed
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_REFERENCE.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []


def test_outside_reference_pattern():
    for text in ("see ../shared/SPEC.md", "(SPEC §2)", "SPEC section 2", "the SPEC's rule"):
        assert OUTSIDE_REFERENCE.search(text), text
    for text in ("SPECIAL_MEMBERS", "SPEC_JSON", "spec.required", "shared-services"):
        assert not OUTSIDE_REFERENCE.search(text), text


DEVELOPMENT_PAGE = ROOT / "docs" / "development.md"
PACKAGE = ROOT / "glue_jobs" / "backup_report"
#: What the code map must name one file for (the structure issue's list).
IDEAS = ("pacing", "page parsing", "windows", "slices", "lanes", "logging", "events", "digest", "alerts ledger",
         "inventory", "doctor checks")


def marked_table(name: str) -> List[Tuple[str, str]]:
    """The rows (first cell without backticks, second cell) of the table between ``<!-- name:start -->``
    and ``<!-- name:end -->`` in docs/development.md."""
    text = DEVELOPMENT_PAGE.read_text(encoding="utf-8")
    body = text.split(f"<!-- {name}:start -->", 1)[1].split(f"<!-- {name}:end -->", 1)[0]
    rows = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            for line in body.strip().splitlines()[2:]]
    return [(cells[0].strip("`"), cells[1]) for cells in rows]


def test_the_code_map_names_every_module_of_the_package_and_nothing_else():
    mapped = [module for module, _ in marked_table("code-map")]
    present = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py") + ["local/"]
    assert sorted(mapped) == sorted(present)
    assert len(mapped) == len(set(mapped))


def test_every_module_says_its_one_reason_to_change_first():
    import ast

    for path in sorted(PACKAGE.rglob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert docstring and docstring.splitlines()[0].strip(), path


def test_each_idea_lives_in_one_file_that_exists():
    ideas = dict(marked_table("code-map-ideas"))
    assert set(IDEAS) <= set(ideas)
    for idea, cell in ideas.items():
        files = re.findall(r"`([^`]+)`", cell)
        assert len(files) == 1, (idea, cell)
        assert (PACKAGE / files[0]).resolve().is_file(), (idea, files[0])
