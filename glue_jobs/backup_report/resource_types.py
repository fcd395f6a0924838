"""The one mapping from AWS Config resource types to the resource types AWS Backup protects.

Each AWS Config type the inventory asks for maps to the ``ResourceType`` AWS Backup reports
for it (``backup_jobs.resource_type``) and to the ARN AWS Backup reports as its
``ResourceArn``, so a resource of the inventory and the jobs that protect it join on
``resource_arn``. ``AWS::RDS::DBCluster`` holds Aurora, DocumentDB, Neptune and Multi-AZ DB
clusters: ``configuration.engine`` tells them apart. ``AWS::RDS::DBInstance`` of those engines
are cluster members, which AWS Backup protects through their cluster: they are left out.

docs/reference.md (AWS Config inventory) renders this table; tests/test_inventory.py holds it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple


@dataclass(frozen=True)
class ResourceType:
    """One AWS Config type: the AWS Backup type it is, and how AWS Backup writes its ARN.

    ``arn`` is a ``str.format`` template over ``partition``, ``region``, ``account``, ``id``
    (Config's ``resourceId``) and ``name`` (Config's ``resourceName``); ``arn_pattern`` is the
    form of AWS Backup's ARN, which Config's own ``arn`` is used as when it has it.
    """

    config_type: str
    backup_type: str
    arn: str
    arn_pattern: str
    note: str = ""


_P = r"arn:aws[a-z-]*"
_RA = r"[a-z0-9-]+:\d{12}"  # region:account

#: Every AWS Config type the inventory queries, in the order of docs/reference.md.
RESOURCE_TYPES: Tuple[ResourceType, ...] = (
    ResourceType("AWS::EC2::Instance", "EC2", "arn:{partition}:ec2:{region}:{account}:instance/{id}",
                 rf"^{_P}:ec2:{_RA}:instance/i-[0-9a-f]+$"),
    ResourceType("AWS::EC2::Volume", "EBS", "arn:{partition}:ec2:{region}:{account}:volume/{id}",
                 rf"^{_P}:ec2:{_RA}:volume/vol-[0-9a-f]+$"),
    ResourceType("AWS::RDS::DBInstance", "RDS", "arn:{partition}:rds:{region}:{account}:db:{name}",
                 rf"^{_P}:rds:{_RA}:db:[A-Za-z0-9-]+$",
                 "engines aurora*, docdb and neptune are left out: AWS Backup protects their cluster"),
    ResourceType("AWS::RDS::DBCluster", "Aurora", "arn:{partition}:rds:{region}:{account}:cluster:{name}",
                 rf"^{_P}:rds:{_RA}:cluster:[A-Za-z0-9-]+$",
                 "configuration.engine aurora, aurora-mysql, aurora-postgresql: Aurora; docdb: DocumentDB; "
                 "neptune: Neptune; any other engine (Multi-AZ DB clusters): RDS"),
    ResourceType("AWS::DynamoDB::Table", "DynamoDB", "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
                 rf"^{_P}:dynamodb:{_RA}:table/[A-Za-z0-9_.-]+$"),
    ResourceType("AWS::EFS::FileSystem", "EFS",
                 "arn:{partition}:elasticfilesystem:{region}:{account}:file-system/{id}",
                 rf"^{_P}:elasticfilesystem:{_RA}:file-system/fs-[0-9a-f]+$"),
    ResourceType("AWS::S3::Bucket", "S3", "arn:{partition}:s3:::{name}", rf"^{_P}:s3:::[a-z0-9.-]+$",
                 "the bucket ARN has no region and no account"),
    ResourceType("AWS::FSx::FileSystem", "FSx", "arn:{partition}:fsx:{region}:{account}:file-system/{id}",
                 rf"^{_P}:fsx:{_RA}:file-system/fs-[0-9a-f]+$"),
    ResourceType("AWS::Redshift::Cluster", "Redshift", "arn:{partition}:redshift:{region}:{account}:cluster:{id}",
                 rf"^{_P}:redshift:{_RA}:cluster:[a-z0-9-]+$"),
    ResourceType("AWS::CloudFormation::Stack", "CloudFormation", "{id}",
                 rf"^{_P}:cloudformation:{_RA}:stack/[A-Za-z0-9-]+/[0-9a-f-]+$",
                 "Config's resourceId is the stack ARN"),
    ResourceType("AWS::EKS::Cluster", "EKS", "arn:{partition}:eks:{region}:{account}:cluster/{name}",
                 rf"^{_P}:eks:{_RA}:cluster/[A-Za-z0-9_-]+$"),
)
RESOURCE_TYPES_BY_CONFIG = {t.config_type: t for t in RESOURCE_TYPES}
CONFIG_TYPES: Tuple[str, ...] = tuple(t.config_type for t in RESOURCE_TYPES)

#: ``configuration.engine`` of an ``AWS::RDS::DBCluster`` -> AWS Backup's type (prefix match).
CLUSTER_ENGINES: Tuple[Tuple[str, str], ...] = (("aurora", "Aurora"), ("docdb", "DocumentDB"),
                                                ("neptune", "Neptune"))
#: AWS Backup types AWS Config has no resource type for: never in the inventory.
NOT_IN_CONFIG = ("Storage Gateway", "Timestream", "VirtualMachine", "SAP HANA on Amazon EC2")


def cluster_backup_type(engine: Optional[str]) -> str:
    """AWS Backup's type of an RDS DB cluster with ``engine`` (Aurora, DocumentDB, Neptune or RDS)."""
    engine = (engine or "").lower()
    for prefix, backup_type in CLUSTER_ENGINES:
        if engine.startswith(prefix):
            return backup_type
    return "RDS"


def backup_type(config_type: str, engine: Optional[str] = None) -> Optional[str]:
    """AWS Backup's type of a Config item, or None when AWS Backup protects it through another
    resource (a cluster member instance) or the type is not inventoried."""
    kind = RESOURCE_TYPES_BY_CONFIG.get(config_type)
    if kind is None:
        return None
    if config_type == "AWS::RDS::DBCluster":
        return cluster_backup_type(engine)
    if config_type == "AWS::RDS::DBInstance" and cluster_backup_type(engine) != "RDS":
        return None
    return kind.backup_type


def _partition(arn: Optional[str], default: str) -> str:
    parts = (arn or "").split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else default


def backup_arn(item: Mapping[str, Any], default_partition: str = "aws") -> Optional[str]:
    """The ARN AWS Backup reports for the resource of a Config item (None when it cannot be told).

    Config's ``arn`` when it has AWS Backup's form; else built from the item's account, region,
    ``resourceId`` and ``resourceName``.
    """
    kind = RESOURCE_TYPES_BY_CONFIG.get(str(item.get("resourceType") or ""))
    if kind is None:
        return None
    arn = item.get("arn")
    if isinstance(arn, str) and re.match(kind.arn_pattern, arn):
        return arn
    values = {"partition": _partition(arn, default_partition), "region": item.get("awsRegion") or "",
              "account": item.get("accountId") or "", "id": item.get("resourceId") or "",
              "name": item.get("resourceName") or item.get("resourceId") or ""}
    if not all(values[k] for k in re.findall(r"{(\w+)}", kind.arn)):
        return None
    return kind.arn.format(**values)


def markdown_table() -> str:
    """The mapping as the Markdown table of docs/reference.md."""
    lines = ["| AWS Config type | AWS Backup type (`resource_type`) | `resource_arn` | note |", "|---|---|---|---|"]
    for kind in RESOURCE_TYPES:
        backup = ("Aurora, DocumentDB, Neptune or RDS (by engine)" if kind.config_type == "AWS::RDS::DBCluster"
                  else kind.backup_type)
        lines.append(f"| `{kind.config_type}` | {backup} | `{kind.arn}` | {kind.note} |")
    return "\n".join(lines)
