"""JSON from clients, decoded strictly: whatever is not JSON of valid UTF-8 text is a malformed
request (400), never a fault of the service (500).

`json.loads` raises more than JSONDecodeError on hostile input: UnicodeDecodeError for bytes
that are not UTF-8, ValueError for an integer of more than 4,300 digits, RecursionError for
deeply nested arrays. And it accepts lone surrogate escapes (`"\\ud800"`), which no UTF-8 encoder
(the store's, the response's) can write back: GraphQL's own lexer refuses them in a document, so
they are refused in variables too.
"""

from __future__ import annotations

import json
import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def decode_request_json(data: str | bytes) -> object:
    """The decoded value; JSONDecodeError for anything that is not valid JSON of Unicode text."""
    try:
        # UTF-8 only (RFC 8259 §8.1): json.loads would guess UTF-16 or UTF-32 from bytes.
        value = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise json.JSONDecodeError("not JSON of UTF-8 text within the limits", "", 0) from error
    if _has_lone_surrogate(value):
        raise json.JSONDecodeError("a string holds a lone surrogate: not Unicode text", "", 0)
    return value


def _has_lone_surrogate(value: object) -> bool:
    # Iterative: the value may be nested nearly as deep as the decoder's recursion limit.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
