"""Reading bounces and complaints: relays' webhook payloads and delivery status notifications (RFC 3464)
from a bounce mailbox. Each reader returns (address, kind, detail) triples; services record them."""

from __future__ import annotations

import json
import re
from email.message import Message
from typing import Any

Event = tuple[str, str, str]


def _one(item: Any) -> list[Event]:
    if not isinstance(item, dict):
        return []
    # Amazon SES through SNS: the notification is a JSON string in "Message".
    if item.get("Type") == "Notification" and isinstance(item.get("Message"), str):
        try:
            return _one(json.loads(item["Message"]))
        except ValueError:
            return []
    kind_ses = item.get("notificationType") or item.get("eventType")
    if kind_ses == "Bounce" and isinstance(item.get("bounce"), dict):
        bounce = item["bounce"]
        kind = "hard" if bounce.get("bounceType") == "Permanent" else "soft"
        return [
            (str(r.get("emailAddress", "")), kind, f"ses {bounce.get('bounceSubType', '')}")
            for r in bounce.get("bouncedRecipients", [])
            if isinstance(r, dict)
        ]
    if kind_ses == "Complaint" and isinstance(item.get("complaint"), dict):
        return [
            (str(r.get("emailAddress", "")), "complaint", "ses complaint")
            for r in item["complaint"].get("complainedRecipients", [])
            if isinstance(r, dict)
        ]
    # Postmark.
    if "RecordType" in item:
        address = str(item.get("Email", ""))
        if item["RecordType"] == "SpamComplaint":
            return [(address, "complaint", "postmark complaint")]
        if item["RecordType"] == "Bounce":
            hard = item.get("Type") in {
                "HardBounce",
                "BadEmailAddress",
                "ManuallyDeactivated",
                "SpamNotification",
            }
            return [(address, "hard" if hard else "soft", f"postmark {item.get('Type', '')}")]
        return []
    # Mailgun.
    if isinstance(item.get("event-data"), dict):
        data = item["event-data"]
        address = str(data.get("recipient", ""))
        if data.get("event") == "complained":
            return [(address, "complaint", "mailgun complained")]
        if data.get("event") == "failed":
            hard = data.get("severity") == "permanent"
            return [(address, "hard" if hard else "soft", f"mailgun {data.get('reason', '')}")]
        return []
    # SendGrid (an array of these).
    if "event" in item and "email" in item:
        event = item["event"]
        if event == "spamreport":
            return [(str(item["email"]), "complaint", "sendgrid spamreport")]
        if event == "bounce":
            hard = item.get("type", "bounce") == "bounce"
            return [
                (str(item["email"]), "hard" if hard else "soft", f"sendgrid {item.get('reason', '')}"[:300])
            ]
        return []
    # Our own generic form: {"email": "...", "type": "hard" | "soft" | "complaint"}.
    if "email" in item and item.get("type") in {"hard", "soft", "complaint"}:
        return [(str(item["email"]), str(item["type"]), str(item.get("detail", "")))]
    return []


def parse_webhook(payload: Any) -> list[Event]:
    items = payload if isinstance(payload, list) else [payload]
    events: list[Event] = []
    for item in items[:1000]:
        events.extend(_one(item))
    return events


_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")


def parse_dsn(message: Message) -> list[Event]:
    """A delivery status notification (multipart/report; report-type=delivery-status) or a complaint in
    ARF (report-type=feedback-report): 5.x.x is a hard bounce, 4.x.x a soft one."""
    if message.get_content_type() != "multipart/report":
        return []
    report_type = (message.get_param("report-type") or "").lower()
    events: list[Event] = []
    for part in message.walk():
        ctype = part.get_content_type()
        if report_type == "feedback-report" and ctype == "message/feedback-report":
            for block in _blocks(part):
                address = block.get("original-rcpt-to") or block.get("removal-recipient") or ""
                if address:
                    events.append((_strip(address), "complaint", "arf"))
        if ctype == "message/delivery-status":
            for block in _blocks(part):
                address = block.get("final-recipient") or block.get("original-recipient") or ""
                match = _STATUS.match(block.get("status", ""))
                action = block.get("action", "").lower()
                if not address or not match or action not in {"failed", "delayed"}:
                    continue
                kind = "hard" if match.group(1) == "5" and action == "failed" else "soft"
                events.append((_strip(address), kind, f"dsn {block.get('status', '').strip()}"[:300]))
    return events


def _strip(value: str) -> str:
    value = value.split(";", 1)[-1].strip()  # "rfc822; jane@example.org"
    return value.strip("<>")


def _blocks(part: Message) -> list[dict[str, str]]:
    """The header blocks of a message/delivery-status or feedback-report part, lower-cased names."""
    payload = part.get_payload()
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):  # the email package parses delivery-status into sub-messages
        for sub in payload:
            blocks.append({k.lower(): str(v) for k, v in sub.items()})
        return blocks
    text = payload if isinstance(payload, str) else ""
    for chunk in re.split(r"\r?\n\r?\n", text):
        block: dict[str, str] = {}
        for line in chunk.splitlines():
            name, sep, value = line.partition(":")
            if sep:
                block[name.strip().lower()] = value.strip()
        if block:
            blocks.append(block)
    return blocks
