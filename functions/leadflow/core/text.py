"""Text leadflow carries from outside: what its queue and table can store, how long it may be, and
how it is shown where HubSpot renders HTML.

Every string leadflow queues travels in an SQS message, whose body may hold only these characters
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html, W3C XML
1.0 `Char`): `#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`. SQS refuses
a message with any other (InvalidMessageContents). A lone surrogate (U+D800 to U+DFFF) cannot be
encoded as UTF-8 at all, so DynamoDB, whose strings are UTF-8, cannot store it either
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html).
"""

from __future__ import annotations

import html
import re
from typing import Final

# Everything outside SQS's allowed set: the C0 controls but tab, newline and carriage return, the
# surrogates, and the two noncharacters U+FFFE and U+FFFF.
# How much of a property value leadflow keeps from HubSpot: HubSpot's CRM stores up to 65,536 characters
# and takes any length from a form (https://knowledge.hubspot.com/properties/property-field-types-in-hubspot);
# nothing leadflow scores or decides on is that long, and cut here a queued event stays small.
MAX_VALUE_BYTES: Final = 32_768
_UNSTORABLE: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT: Final = "\ufffd"


def unstorable(text: str) -> str | None:
    """The first character of `text` SQS or DynamoDB cannot store, as `U+XXXX`; None when there is none."""
    found = _UNSTORABLE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def storable(text: str) -> str:
    """`text` with every character SQS or DynamoDB cannot store replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def clip(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` of UTF-8, never inside a character (and storable)."""
    encoded = storable(text).encode()
    if len(encoded) <= max_bytes:
        return storable(text)
    return encoded[:max_bytes].decode(errors="ignore")


def property_value(value: object) -> object:
    """A property value HubSpot sent, as leadflow keeps it: storable, cut to MAX_VALUE_BYTES (other
    types are left to the model to judge)."""
    return clip(value, MAX_VALUE_BYTES) if isinstance(value, str) else value


def as_html(text: str) -> str:
    """Plain text as HTML that shows it as written: `<`, `>` and `&` escaped, so a link or a tag
    someone typed is shown as text, never rendered; line breaks kept as `<br>`."""
    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")
