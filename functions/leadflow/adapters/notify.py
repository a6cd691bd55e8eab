"""Outbound notifications for SLA escalations: an HTTP webhook (Slack) and an SNS topic (email).

A notification is a courtesy, not a step of the journey: every failure is logged, counted and
swallowed, and nothing is retried, so a dead webhook can never hold a lead back.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Final

import urllib3
from botocore.exceptions import BotoCoreError, ClientError

from leadflow.observability import count, logger

# SNS's Publish takes a Subject that is "ASCII text that begins with a letter, number, or punctuation
# mark; must not include line breaks or control characters; and must be less than 100 characters long"
# (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): at most 99.
SNS_SUBJECT_LIMIT: Final = 99
_CONTROL_CHARS: Final = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES: Final = re.compile(r" {2,}")


def sns_subject(subject: str) -> str:
    """The subject as SNS takes it: accents dropped to ASCII (others left out), control characters
    (line breaks) as spaces, no leading space, at most 99 characters (cut ones end in "...")."""
    ascii_text = unicodedata.normalize("NFKD", subject).encode("ascii", "ignore").decode()
    text = _SPACES.sub(" ", _CONTROL_CHARS.sub(" ", ascii_text)).strip()
    if len(text) > SNS_SUBJECT_LIMIT:
        text = text[: SNS_SUBJECT_LIMIT - 3].rstrip() + "..."
    return text


def slack_text(text: str) -> str:
    """Text as a Slack message shows it as written: `&`, `<` and `>` escaped, as Slack asks
    (https://api.slack.com/reference/surfaces/formatting#escaping), so a contact's name or a rep's
    reason cannot become a link or an @channel."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Notifier:
    """Sends escalation notifications to an HTTP endpoint (a Slack incoming webhook or any URL)
    and to an SNS topic (email)."""

    def __init__(
        self,
        http_url: str | None,
        sns_client: Any | None,
        topic_arn: str | None,
        *,
        timeout: tuple[float, float] = (2.0, 5.0),
    ) -> None:
        self._http_url = http_url or None
        self._sns = sns_client
        self._topic_arn = topic_arn or None
        self._timeout = timeout
        # urllib3 is loaded already (the HubSpot client runs on it), so a notifier adds nothing to a
        # cold start; a warm Lambda reuses the connection to the webhook host across invocations.
        self._http = urllib3.PoolManager(retries=False)

    def send(self, subject: str, text: str) -> dict[str, bool]:
        """Notify every configured channel once; returns whether each attempted channel succeeded.

        Only configured channels appear in the result ({"http": True, "sns": False}); with none
        configured it is {} and nothing is sent. Never raises for a failed delivery.
        """
        outcome: dict[str, bool] = {}
        if self._http_url:
            outcome["http"] = self._post(self._http_url, text)
        if self._sns is not None and self._topic_arn:
            outcome["sns"] = self._publish(self._sns, self._topic_arn, subject, text)
        return outcome

    def _post(self, url: str, text: str) -> bool:
        # The URL is never logged: a Slack webhook URL is itself the credential. Exception messages
        # are not logged either, since urllib3 puts the URL in them.
        connect, read = self._timeout
        try:
            response = self._http.request(
                "POST",
                url,
                body=json.dumps({"text": slack_text(text)}).encode(),
                headers={"Content-Type": "application/json"},
                timeout=urllib3.Timeout(connect=connect, read=read),
                # A redirected POST turns into a GET elsewhere: the message would be lost silently.
                redirect=False,
            )
        except (urllib3.exceptions.HTTPError, ValueError) as exc:
            return _failed("http", error=type(exc).__name__)
        if not 200 <= response.status < 300:
            return _failed("http", status=response.status)
        count("NotificationsSent", channel="http")
        return True

    def _publish(self, sns: Any, topic_arn: str, subject: str, text: str) -> bool:
        request: dict[str, str] = {"TopicArn": topic_arn, "Message": text}
        cleaned = sns_subject(subject)
        if cleaned:
            # SNS refuses an empty Subject; without one the email gets the default subject.
            request["Subject"] = cleaned
        try:
            sns.publish(**request)
        except ClientError as exc:
            # The error code (NotFound, AuthorizationError, ...) says what to fix and holds no secret.
            return _failed(
                "sns", error=type(exc).__name__, code=exc.response.get("Error", {}).get("Code", "")
            )
        except BotoCoreError as exc:
            return _failed("sns", error=type(exc).__name__)
        count("NotificationsSent", channel="sns")
        return True


def _failed(channel: str, **detail: Any) -> bool:
    logger.warning("notification failed", channel=channel, **detail)
    count("NotificationsFailed", channel=channel)
    return False
