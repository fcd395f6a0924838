"""What the job's announcements reach, on a local AWS (moto's server): an EventBridge bus whose
rule sends every backup-report event to an SQS queue, and an SNS topic with an SQS subscription.

The demo prints what they received; the tests compare it with the ``alerts`` ledger.
"""
from __future__ import annotations

import json
from typing import Dict, List, Tuple

import boto3


class EventCapture:
    """An EventBridge bus (created unless it is ``default``) whose rule sends every backup-report
    event to a new SQS queue."""

    def __init__(self, session: boto3.Session, name: str, bus: str = ""):
        self.events, self.sqs = session.client("events"), session.client("sqs")
        self.bus = bus or name
        self.last_bodies: List[str] = []
        if self.bus != "default":
            self.events.create_event_bus(Name=self.bus)
        self.queue_url = self.sqs.create_queue(QueueName=f"{name}-events")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        rule = f"{name}-backup-report"
        self.events.put_rule(Name=rule, EventBusName=self.bus, EventPattern=json.dumps({"source": ["backup-report"]}))
        self.events.put_targets(Rule=rule, EventBusName=self.bus, Targets=[{"Id": "queue", "Arn": arn}])

    def drain(self) -> List[Dict]:
        """Every event the queue received since the last drain: EventBridge's envelope, parsed
        (``last_bodies``: the messages as received)."""
        self.last_bodies = drain(self.sqs, self.queue_url)
        return [json.loads(body) for body in self.last_bodies]


class DigestCapture:
    """A new SNS topic with an SQS subscription (SNS's envelope, not raw delivery)."""

    def __init__(self, session: boto3.Session, name: str):
        self.sns, self.sqs = session.client("sns"), session.client("sqs")
        self.topic_arn = self.sns.create_topic(Name=f"{name}-digest")["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName=f"{name}-digest")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=arn)

    def drain(self) -> List[Tuple[str, str]]:
        """(subject, message) of every digest published since the last drain."""
        return [(m.get("Subject", ""), m["Message"]) for m in (json.loads(b) for b in drain(self.sqs, self.queue_url))]


def drain(sqs, queue_url: str) -> List[str]:
    """The bodies of every message in the queue, deleted as they are read."""
    bodies: List[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
