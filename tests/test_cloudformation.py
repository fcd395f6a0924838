"""The CloudFormation templates agree with the code they deploy.

* the Glue job's DefaultArguments are exactly the job's own arguments (SPEC section 2);
* the IAM actions both templates grant are exactly ``backup_report.permissions.REQUIRED_ACTIONS``,
  and the calls the job really makes (its call log) need nothing more;
* the Athena named queries are the sql/ files, byte for byte;
* ``--additional-python-modules`` is the pin set of glue_jobs/requirements-glue.txt;
* the QuickSight datasets carry the schema's columns and types.
"""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from typing import Dict, Iterator, List, Set, Tuple

import pytest

from backup_report import permissions
from backup_report.schema import TABLES_BY_NAME

from .builders import ROOT, load_script

render = load_script("render_named_queries")

MANAGEMENT = ROOT / "cloudformation" / "template-management.yml"
REPORTING = ROOT / "cloudformation" / "template-reporting.yml"
#: Arguments Glue itself consumes (not the job's); any of them may be in DefaultArguments.
GLUE_OWN_ARGUMENTS = {
    "--additional-python-modules", "--python-modules-installer-option", "--extra-py-files",
    "library-set", "--enable-continuous-cloudwatch-log", "--enable-continuous-log-filter",
    "--continuous-log-logGroup", "--continuous-log-logStreamPrefix", "--enable-metrics",
    "--enable-observability-metrics", "--TempDir", "--job-language",
}


@pytest.fixture(scope="module")
def management() -> dict:
    return render.load_template(MANAGEMENT)


@pytest.fixture(scope="module")
def reporting() -> dict:
    return render.load_template(REPORTING)


def resources_of_type(template: dict, type_: str) -> Dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == type_}


def job(reporting: dict) -> dict:
    (glue_job,) = resources_of_type(reporting, "AWS::Glue::Job").values()
    return glue_job["Properties"]


# ---------------------------------------------------------------- (a) job arguments
def test_default_arguments_are_exactly_the_jobs_arguments(reporting):
    from backup_report.arguments import ARGUMENTS

    keys = set(job(reporting)["DefaultArguments"])
    expected = {f"--{a.name}" for a in ARGUMENTS if a.name != "REPORT_DATE"}
    assert keys - GLUE_OWN_ARGUMENTS == expected
    # --REPORT_DATE is left to default to today, or the schedule would rewrite one fixed day
    assert "--REPORT_DATE" not in keys
    assert {"--additional-python-modules", "--extra-py-files"} <= keys


def test_the_job_is_a_python_39_shell_job_run_once_at_a_time(reporting):
    props = job(reporting)
    assert props["Command"]["Name"] == "pythonshell"
    assert props["Command"]["PythonVersion"] == "3.9"
    assert props["Command"]["ScriptLocation"] == {
        "Fn::Sub": "s3://${ArtifactsBucket}/${ArtifactsPrefix}/backup_report_job.py"}
    assert props["ExecutionProperty"]["MaxConcurrentRuns"] == 1
    assert reporting["Parameters"]["MaxCapacity"]["AllowedValues"] == [0.0625, 1]
    (trigger,) = resources_of_type(reporting, "AWS::Glue::Trigger").values()
    assert trigger["Properties"]["Type"] == "SCHEDULED"
    assert trigger["Properties"]["StartOnCreation"] is True
    assert reporting["Parameters"]["Schedule"]["Default"] == "cron(59 23 * * ? *)"


# ---------------------------------------------------------------- (b) IAM actions
def _statements(document: dict) -> List[dict]:
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _actions(statement: dict) -> List[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def granted_actions(template: dict) -> Iterator[Tuple[str, str]]:
    """(role logical id, action) of every Allow in the identity policies of ``template``."""
    for name, role in resources_of_type(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in _statements(policy["PolicyDocument"]):
                assert statement["Effect"] == "Allow"
                for action in _actions(statement):
                    yield name, action
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy in resources_of_type(template, kind).values():
            roles = policy["Properties"]["Roles"]
            assert len(roles) == 1, "a policy attaches to one role of this project"
            for statement in _statements(policy["Properties"]["PolicyDocument"]):
                for action in _actions(statement):
                    yield roles[0]["Ref"], action


def test_iam_actions_granted_are_exactly_the_required_actions(management, reporting):
    principal_of_role = {"BackupReportReadRole": "management", "JobRole": "job"}
    granted: Dict[str, Set[str]] = {}
    for template in (management, reporting):
        for role, action in granted_actions(template):
            assert role in principal_of_role, f"role {role} is not accounted for in permissions.py"
            granted.setdefault(principal_of_role[role], set()).add(action)
    assert granted == {k: set(v) for k, v in permissions.REQUIRED_ACTIONS.items()}
    for actions in granted.values():
        assert not any("*" in a for a in actions), "no wildcard in actions"


def test_management_role_trusts_only_the_job_role_with_the_external_id(management):
    params = management["Parameters"]
    assert params["ExternalId"]["NoEcho"] is True and "Default" not in params["ExternalId"]
    (role,) = resources_of_type(management, "AWS::IAM::Role").values()
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${ReportingAccountId}:root"}}
    assert statement["Action"] == "sts:AssumeRole"
    job_role = {"Fn::Sub": "arn:${AWS::Partition}:iam::${ReportingAccountId}:role/${JobRoleName}"}
    assert statement["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": {"Fn::If": ["HasOperatorRoles", {"Fn::Split": [",", {"Fn::Sub": [
            "arn:${AWS::Partition}:iam::${ReportingAccountId}:role/${JobRoleName},${Operators}",
            {"Operators": {"Ref": "OperatorRoleArns"}}]}]}, job_role]}},
        "StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}},
    }
    assert management["Conditions"]["HasOperatorRoles"] == {"Fn::Not": [{"Fn::Equals": [
        {"Ref": "OperatorRoleArns"}, ""]}]}
    assert set(management["Outputs"]) == {"ManagementRoleArn"}


@pytest.mark.parametrize("value, accepted", [
    ("", True),
    ("arn:aws:iam::111122223333:role/ops", True),
    ("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Admin_*,"
     "arn:aws:iam::111122223333:role/ops", True),
    ("*", False),
    ("arn:aws:iam::111122223333:user/alice", False),
    ("arn:aws:iam::111122223333:root", False),
])
def test_operator_roles_for_the_preflight_are_role_arns_only(management, value, accepted):
    pattern = management["Parameters"]["OperatorRoleArns"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is accepted


def test_job_role_may_assume_only_the_management_role(reporting):
    role = reporting["Resources"]["JobRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in _statements(p["PolicyDocument"])]
    (assume,) = [s for s in statements if "sts:AssumeRole" in _actions(s)]
    assert assume["Resource"] == {"Ref": "ManagementRoleArn"}
    resources = {a: s["Resource"] for s in statements for a in _actions(s)}
    assert "*" not in str(resources.get("glue:CreateTable")).replace("/*", "")


def test_the_config_inventory_grants_are_one_aggregator_and_one_role_and_only_when_asked(management, reporting):
    policy = management["Resources"]["ConfigAggregatorReadPolicy"]
    assert policy["Condition"] == "HasConfigAggregator"
    assert management["Conditions"]["HasConfigAggregator"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ConfigAggregatorArn"}, ""]}]}
    assert policy["Properties"]["Roles"] == [{"Ref": "BackupReportReadRole"}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Action"], statement["Resource"]) == (
        "config:SelectAggregateResourceConfig", {"Ref": "ConfigAggregatorArn"})
    assert set(permissions.CONFIG_ACTIONS) == {statement["Action"]}
    pattern = re.compile(management["Parameters"]["ConfigAggregatorArn"]["AllowedPattern"])
    assert pattern.match("") and pattern.match(
        "arn:aws:config:eu-west-1:111122223333:config-aggregator/config-aggregator-abcd1234")
    assert not pattern.match("org-aggregator")

    assume = reporting["Resources"]["JobConfigRolePolicy"]
    assert assume["Condition"] == "HasConfigRole" and assume["Properties"]["Roles"] == [{"Ref": "JobRole"}]
    (statement,) = assume["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Action"], statement["Resource"]) == ("sts:AssumeRole", {"Ref": "ConfigRoleArn"})
    arguments = job(reporting)["DefaultArguments"]
    for argument, condition, parameter in (("--CONFIG_AGGREGATOR", "HasConfigAggregator", "ConfigAggregatorName"),
                                           ("--CONFIG_ROLE_ARN", "HasConfigRole", "ConfigRoleArn"),
                                           ("--CONFIG_EXTERNAL_ID", "HasConfigExternalId", "ConfigExternalId")):
        assert arguments[argument] == {"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]}
        assert reporting["Parameters"][parameter]["Default"] == ""  # empty = off
    assert reporting["Parameters"]["ConfigExternalId"]["NoEcho"] is True


def test_templates_name_no_partition_or_domain(management, reporting):
    for path in (MANAGEMENT, REPORTING):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"arn:aws:", text), f"{path.name}: use arn:${{AWS::Partition}}"
        assert "amazonaws.com" not in text, f"{path.name}: use ${{AWS::URLSuffix}}"


def test_parameters_are_grouped_and_constrained(management, reporting):
    for template in (management, reporting):
        grouped = {p for g in template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
                   for p in g["Parameters"]}
        assert grouped == set(template["Parameters"])
        for name, param in template["Parameters"].items():
            if param["Type"] == "String":
                assert "AllowedPattern" in param or "AllowedValues" in param, name


def test_every_checkov_skip_says_why(management, reporting):
    for template in (management, reporting):
        for name, resource in template["Resources"].items():
            for skip in (resource.get("Metadata", {}).get("checkov", {}) or {}).get("skip", []):
                assert len(skip.get("comment", "").strip()) >= 20, (name, skip)


# ---------------------------------------------------------------- the job's real calls
def _backup_job(job_id: str, account: str, created: str, state: str) -> dict:
    """One ListBackupJobs item as the AWS Backup API returns it (epoch-second timestamps)."""
    epoch = dt.datetime.fromisoformat(created).replace(tzinfo=dt.timezone.utc).timestamp()
    return {"BackupJobId": job_id, "AccountId": account, "CreationDate": epoch, "State": state,
            "ResourceType": "EC2", "ResourceArn": f"arn:aws:ec2:us-east-1:{account}:instance/i-{job_id}"}


def test_the_jobs_api_calls_need_exactly_the_granted_actions(run_job, report, emulator, tmp_path):
    """Run the real job twice (a settlement rewrite) with its call log, then map the calls."""
    member, now = "210987654321", "2026-11-26T23:00:00"
    failed = _backup_job("b-2", member, "2026-11-26T09:00:00", "FAILED")
    emulator.load_jobs("backup", "us-east-1", [_backup_job("b-1", member, "2026-11-26T10:00:00", "RUNNING"), failed])
    log = tmp_path / "calls.log"
    env = {"BACKUP_REPORT_CALL_LOG": str(log)}
    # the digest's topic: the first run announces b-2, the second reads that (alerts) and announces b-1
    topic = report.session.client("sns").create_topic(Name=f"digest-{report.bucket}")["TopicArn"]
    # no --REGIONS: the enabled regions come from ec2:DescribeRegions
    first = run_job(report.args(LOOKBACK_DAYS="1", ALERT_TOPIC_ARN=topic), report.env, now=now, extra_env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    emulator.load_jobs("backup", "us-east-1", [_backup_job("b-1", member, "2026-11-26T10:00:00", "FAILED"), failed],
                       replace=True)
    # a table written by an older release lacks a column: the job adds it (glue:UpdateTable)
    glue = report.session.client("glue")
    table = glue.get_table(DatabaseName=report.database, Name="backup_jobs")["Table"]
    table_input = {k: table[k] for k in ("Name", "StorageDescriptor", "PartitionKeys", "TableType",
                                         "Parameters") if k in table}
    table_input["StorageDescriptor"]["Columns"] = table_input["StorageDescriptor"]["Columns"][:-1]
    glue.update_table(DatabaseName=report.database, TableInput=table_input)
    second = run_job(report.args(LOOKBACK_DAYS="1", REGIONS="us-east-1", ALERT_TOPIC_ARN=topic), report.env,
                     now=now, extra_env=env)
    assert second.returncode == 0, second.stderr[-3000:]

    used = permissions.actions_from_call_log(log.read_text().splitlines())
    assert set(used) == {"job", "management"}
    for principal, actions in used.items():
        assert actions <= permissions.REQUIRED_ACTIONS[principal], (principal, actions)
    # and no grant the code never uses (Glue's own needs and failure paths aside)
    assert used["management"] == permissions.MANAGEMENT_ACTIONS
    assert used["job"] == permissions.JOB_API_ACTIONS - permissions.FAILURE_PATH_ACTIONS


def test_the_selected_job_types_use_exactly_their_own_listings_and_daily_counts(run_job, report, emulator, tmp_path):
    emulator.load_jobs("backup", "us-east-1", [_backup_job("b-1", "210987654321", "2026-11-26T10:00:00", "COMPLETED")])
    log = tmp_path / "calls.log"
    result = run_job(report.args(LOOKBACK_DAYS="1", REGIONS="us-east-1", JOB_TYPES="backup,restore"), report.env,
                     now="2026-11-26T23:00:00", extra_env={"BACKUP_REPORT_CALL_LOG": str(log)})
    assert result.returncode == 0, result.stderr[-3000:]
    used = permissions.actions_from_call_log(log.read_text().splitlines())["management"]
    assert {a for a in used if a.startswith("backup:")} == {
        "backup:ListBackupJobs", "backup:ListRestoreJobs", "backup:ListBackupJobSummaries",
        "backup:ListRestoreJobSummaries"}


def test_operation_names_map_to_iam_actions():
    action = permissions.action_for
    assert action("s3:ListObjectsV2") == "s3:ListBucket"
    assert action("s3:HeadBucket") == "s3:ListBucket"
    assert action("s3:DeleteObjects") == "s3:DeleteObject"
    assert action("s3:UploadPart") == "s3:PutObject"
    assert action("glue:BatchCreatePartition") == "glue:BatchCreatePartition"
    assert action("backup:ListBackupJobs") == "backup:ListBackupJobs"
    assert action("sts:GetCallerIdentity") is None
    assert permissions.actions_from_call_log(["job s3:ListObjectsV2\n", "", "management ec2:DescribeRegions"]) == {
        "job": {"s3:ListBucket"}, "management": {"ec2:DescribeRegions"}}


# ---------------------------------------------------------------- (c) named queries
def test_generated_sections_are_up_to_date():
    result = subprocess.run([sys.executable, "scripts/render_named_queries.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_named_queries_are_the_sql_files(reporting):
    queries = resources_of_type(reporting, "AWS::Athena::NamedQuery")
    files = sorted((ROOT / "sql").glob("*.sql"))
    by_name = {q["Properties"]["Name"]: q["Properties"] for q in queries.values()}
    assert sorted(by_name) == sorted(p.stem for p in files)
    for path in files:
        query = by_name[path.stem]
        assert query["QueryString"] == path.read_bytes().decode("utf-8"), path.name
        assert query["WorkGroup"] == {"Ref": "WorkGroup"}
        assert query["Database"] == {"Ref": "GlueDatabase"}


@pytest.mark.parametrize("text", [
    "-- failed backups\nselect 1\n",
    "-- no trailing newline\nselect 'a,b'",
    "-- two trailing newlines\nselect 1\n\n",
    "-- trailing spaces   \nselect *   \nfrom t -- note: # not a comment\n",
    "-- tabs and unicode\nselect\t'héllo 🌍' as \"x\"\nfrom t\n",
    "-- windows line ends\r\nselect 1\r\n",
    "  -- indented first line\nselect 1\n",
    "-- blank lines inside\n\n\nselect 1\n\n    \nfrom t\n",
    "-- yaml-ish: [a], {b}, &c, *d, !e, %f, @g, `h`, key: value\nselect '${not_a_sub}'\n",
])
def test_any_query_text_reads_back_exactly(tmp_path, text):
    (tmp_path / "q.sql").write_bytes(text.encode("utf-8"))
    block = render.render_named_queries("  ", sql_dir=tmp_path)
    loaded = render.yaml.load("Resources:\n" + block, Loader=render._CfnLoader)  # noqa: S506
    assert loaded["Resources"]["NamedQueryQ"]["Properties"]["QueryString"] == text


def test_no_sql_files_render_an_empty_section(tmp_path):
    assert render.render_named_queries("  ", sql_dir=tmp_path) == ""
    assert render.render_named_queries("  ", sql_dir=tmp_path / "missing") == ""


def test_many_sql_files_each_get_a_query(tmp_path):
    for i in range(12):
        (tmp_path / f"query_{i:02d}.sql").write_text(f"-- question {i}\nselect {i}\n", encoding="utf-8")
    block = render.render_named_queries("  ", sql_dir=tmp_path)
    loaded = render.yaml.load("Resources:\n" + block, Loader=render._CfnLoader)["Resources"]  # noqa: S506
    assert len(loaded) == 12
    assert loaded["NamedQueryQuery07"]["Properties"]["Description"] == "question 7"


def test_colliding_sql_file_names_are_refused(tmp_path):
    (tmp_path / "a-b.sql").write_text("select 1\n")
    (tmp_path / "a_b.sql").write_text("select 2\n")
    with pytest.raises(render.RenderError, match="same resource"):
        render.render_named_queries("  ", sql_dir=tmp_path)


# ---------------------------------------------------------------- (d) the Glue pin set
def test_additional_python_modules_are_the_glue_pins(reporting):
    pins = []
    for line in (ROOT / "glue_jobs" / "requirements-glue.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pins.append(line)
    assert pins and all("==" in p for p in pins)
    modules = job(reporting)["DefaultArguments"]["--additional-python-modules"]
    assert modules.split(",") == pins


# ---------------------------------------------------------------- QuickSight
def test_quicksight_datasets_carry_the_schema(reporting):
    datasets = resources_of_type(reporting, "AWS::QuickSight::DataSet")
    tables = {}
    for dataset in datasets.values():
        (physical,) = dataset["Properties"]["PhysicalTableMap"].values()
        table = physical["RelationalTable"]
        # resources (the AWS Config inventory) exists only when the job has an aggregator
        assert dataset["Condition"] == ("HasQuickSightInventory" if table["Name"] == "resources" else "HasQuickSight")
        assert table["Schema"] == {"Ref": "GlueDatabase"}
        tables[table["Name"]] = [(c["Name"], c["Type"]) for c in table["InputColumns"]]
    assert sorted(tables) == sorted(render.QUICKSIGHT_TABLES) and {"alerts", "resources"} <= set(tables)
    for name, columns in tables.items():
        schema = TABLES_BY_NAME[name]
        assert columns == [(c.name, render.QUICKSIGHT_TYPES[c.type]) for c in schema.columns + schema.partitions]


# ---------------------------------------------------------------- the real Glue platform
#: Pseudo parameters for evaluating the templates offline.
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333",
          "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "backup-report"}
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:eu-west-1:111122223333:key/{KEY_ID}"
_NO_VALUE = object()


class Evaluator:
    """Resolves the intrinsic functions the templates use, for given parameter values.

    Only what the tests below need: Ref (parameters, pseudo parameters, a role's or a security
    configuration's name), Fn::Sub, Fn::If and conditions (Fn::Not, Fn::Equals, Fn::And),
    Fn::Select, Fn::Split, Fn::Join.
    """

    def __init__(self, template: dict, **parameters: str):
        self.template = template
        self.params = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
        unknown = set(parameters) - set(self.params)
        assert not unknown, f"no such parameters: {unknown}"
        self.params.update(parameters)

    def condition(self, name: str) -> bool:
        return bool(self(self.template["Conditions"][name]))

    def ref(self, name: str):
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.params:
            return self.params[name]
        resource = self.template["Resources"][name]
        name_property = {"AWS::Glue::SecurityConfiguration": "Name", "AWS::IAM::Role": "RoleName"}
        return self(resource["Properties"][name_property[resource["Type"]]])

    def sub(self, text: str, variables: dict) -> str:
        def value(match: "re.Match[str]") -> str:
            name = match.group(1)
            return str(self(variables[name]) if name in variables else self.ref(name))
        return re.sub(r"\$\{([\w:]+)\}", value, text)

    def __call__(self, node):  # noqa: C901 - one branch per intrinsic function
        if isinstance(node, list):
            return [v for v in (self(item) for item in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not _is_intrinsic(next(iter(node))):
            return {key: self(value) for key, value in node.items()}  # a plain mapping
        (function, arg), = node.items()
        if function == "Ref":
            return self.ref(arg)
        if function in ("Condition", "Fn::Condition"):  # !Condition reads as Fn::Condition
            return self.condition(arg)
        if function == "Fn::Sub":
            return self.sub(arg, {}) if isinstance(arg, str) else self.sub(arg[0], arg[1])
        if function == "Fn::If":
            return self(arg[1] if self.condition(arg[0]) else arg[2])
        if function == "Fn::Not":
            return not self(arg[0])
        if function == "Fn::And":
            return all(self(a) for a in arg)
        if function == "Fn::Equals":
            return str(self(arg[0])) == str(self(arg[1]))
        if function == "Fn::Select":
            return self(arg[1])[int(self(arg[0]))]
        if function == "Fn::Split":
            return str(self(arg[1])).split(arg[0])
        if function == "Fn::Join":
            return arg[0].join(str(v) for v in self(arg[1]))
        raise NotImplementedError(function)


def _is_intrinsic(key: str) -> bool:
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def iam_matches(pattern: str, value: str) -> bool:
    """IAM resource matching: * is any run of characters (/ and : included), ? one character."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value) is not None


def job_role_statements(reporting: dict, evaluate: Evaluator) -> List[dict]:
    """The job role's Allow statements once evaluated, policies whose condition is false left out."""
    documents = [p["PolicyDocument"] for p in reporting["Resources"]["JobRole"]["Properties"]["Policies"]]
    for policy in resources_of_type(reporting, "AWS::IAM::Policy").values():
        if policy["Properties"]["Roles"] == [{"Ref": "JobRole"}] and (
                "Condition" not in policy or evaluate.condition(policy["Condition"])):
            documents.append(policy["Properties"]["PolicyDocument"])
    return [s for d in documents for s in _statements(d)]


def allowed(statements: List[dict], evaluate: Evaluator, action: str, arn: str) -> bool:
    for statement in statements:
        if action not in _actions(statement):
            continue
        resources = evaluate(statement["Resource"])
        for resource in resources if isinstance(resources, list) else [resources]:
            if iam_matches(resource, arn):
                return True
    return False


def log_group_arn(name: str, stream: str = "") -> str:
    arn = f"arn:aws:logs:eu-west-1:111122223333:log-group:{name}"
    return f"{arn}:log-stream:{stream}" if stream else arn


def test_glue_installs_only_our_pins_not_the_analytics_library_set(reporting):
    arguments = job(reporting)["DefaultArguments"]
    # Glue's key is "library-set" (no dashes) and takes "analytics" or "none"; absent, the
    # console's default (analytics) may load awswrangler 2.x and numpy 1.x under our pins.
    assert arguments["library-set"] == "none"
    assert not {"--library-set", "library_set"} & set(arguments)
    assert "awswrangler==" in arguments["--additional-python-modules"]


@pytest.mark.parametrize("role_name", ["backup-report-job", "br.job@team"])
def test_job_logs_go_where_glue_writes_them_without_log_encryption(reporting, role_name):
    evaluate = Evaluator(reporting, JobRoleName=role_name)
    assert not evaluate.condition("HasKmsKey")
    statements = job_role_statements(reporting, evaluate)
    security_configuration = evaluate.ref("JobSecurityConfiguration")
    for group in permissions.JOB_LOG_GROUPS:
        assert allowed(statements, evaluate, "logs:CreateLogGroup", log_group_arn(group))
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            assert allowed(statements, evaluate, action, log_group_arn(group, "jr_0123abcd"))
        assert not allowed(statements, evaluate, "logs:AssociateKmsKey", log_group_arn(group))
    # no encryption, no encrypted groups: nothing beyond the shared Python shell groups
    for group in permissions.encrypted_job_log_groups(role_name, security_configuration):
        assert not allowed(statements, evaluate, "logs:PutLogEvents", log_group_arn(group, "jr_0123abcd"))
    for other in ("/aws-glue/jobs/output", "/aws/lambda/backup-report", "/aws-glue/python-jobsx/output"):
        assert not allowed(statements, evaluate, "logs:PutLogEvents", log_group_arn(other, "jr_0123abcd"))


@pytest.mark.parametrize("role_name", ["backup-report-job", "br.job@team"])
def test_job_logs_go_where_glue_writes_them_with_log_encryption(reporting, role_name):
    evaluate = Evaluator(reporting, JobRoleName=role_name, KmsKeyArn=KEY_ARN)
    (security_configuration,) = [evaluate.ref(name) for name, r in reporting["Resources"].items()
                                 if r["Type"] == "AWS::Glue::SecurityConfiguration"]
    configuration = reporting["Resources"]["JobSecurityConfiguration"]["Properties"]["EncryptionConfiguration"]
    assert evaluate(configuration["CloudWatchEncryption"]) == {
        "CloudWatchEncryptionMode": "SSE-KMS", "KmsKeyArn": KEY_ARN}
    assert security_configuration == f"backup-report-{KEY_ID}"
    statements = job_role_statements(reporting, evaluate)

    encrypted = permissions.encrypted_job_log_groups(role_name, security_configuration)
    assert encrypted == (f"/aws-glue/python-jobs-{role_name}-{security_configuration}/output",
                         f"/aws-glue/python-jobs-{role_name}-{security_configuration}/error")
    # the same names if Glue writes the role as role/<path><name>, as it does for crawlers
    with_role_path = tuple(g.replace("python-jobs-", "python-jobs-role/", 1) for g in encrypted)
    for group in encrypted + with_role_path:
        for action in ("logs:CreateLogGroup", "logs:AssociateKmsKey"):
            assert allowed(statements, evaluate, action, log_group_arn(group)), (action, group)
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            assert allowed(statements, evaluate, action, log_group_arn(group, "jr_0123abcd")), (action, group)
    for group in permissions.JOB_LOG_GROUPS:
        assert allowed(statements, evaluate, "logs:PutLogEvents", log_group_arn(group, "jr_0123abcd"))
        # the key goes only on this job's own groups, never on the shared ones
        assert not allowed(statements, evaluate, "logs:AssociateKmsKey", log_group_arn(group))

    # least privilege: another role's or another configuration's encrypted groups are not ours
    strangers = permissions.encrypted_job_log_groups("other-role", security_configuration)
    strangers += permissions.encrypted_job_log_groups(role_name, "other-configuration")
    for group in strangers + ("/aws-glue/jobs/output", "/aws/lambda/backup-report"):
        for action in ("logs:PutLogEvents", "logs:AssociateKmsKey"):
            assert not allowed(statements, evaluate, action, log_group_arn(group, "jr_0123abcd")), (action, group)
    for statement in statements:
        if any(a.startswith("logs:") for a in _actions(statement)):
            resources = evaluate(statement["Resource"])
            for resource in resources if isinstance(resources, list) else [resources]:
                assert ":log-group:/aws-glue/python-jobs" in resource, resource


def test_alert_rule_matches_the_glue_job_end_states_other_than_success(reporting):
    (rule,) = resources_of_type(reporting, "AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.glue"]
    assert pattern["detail-type"] == ["Glue Job State Change"]
    # the states Glue documents for this event: SUCCEEDED, FAILED, TIMEOUT, STOPPED
    assert pattern["detail"] == {"jobName": [{"Ref": "Job"}], "state": ["FAILED", "TIMEOUT", "STOPPED"]}
    assert rule["Properties"]["Targets"] == [{"Id": "alert-topic", "Arn": {"Ref": "AlertTopic"}}]


def test_every_markdown_file_a_template_names_exists():
    for path in sorted((ROOT / "cloudformation").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        named = set(re.findall(r"[\w./-]*\w\.md\b", text))
        missing = sorted(name for name in named if not (ROOT / name.lstrip("./")).is_file())
        assert not missing, f"{path.name} names {missing}, which the repository does not have"
