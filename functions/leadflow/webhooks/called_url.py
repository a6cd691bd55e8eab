"""The URL a sender called, rebuilt from what API Gateway hands the function.

A HubSpot signature covers the URL exactly as HubSpot called it, query string included, but API
Gateway's REST events carry only the decoded query parameters (grouped by name, values in
order). How HubSpot spelled each value is not known: a space is `%20` or `+`, a reserved
character is escaped or not. So the candidates are the few spellings a caller can use, and a
signature is accepted when it matches one of them. HubSpot's v3 rule decodes `%3A %2F %3F %40
%21 %24 %27 %28 %29 %2A %2C %3B` before signing, which makes those escapes irrelevant there; v2
signs the URL as called, so both spellings are tried
(https://developers.hubspot.com/docs/api/webhooks/validating-requests).

What cannot be rebuilt: a repeated parameter interleaved with others (`a=1&b=2&a=3`) arrives
grouped (`a=1&a=3&b=2`); keep repeated parameters together in the URL HubSpot calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product
from typing import Final
from urllib.parse import quote

# Characters a query value may carry unescaped (RFC 3986 pchar and query, less the separators).
_LENIENT_SAFE: Final = "!$'()*,;:@/?"


def _spell(text: str, safe: str, plus_for_space: bool) -> str:
    # A sender that writes spaces as `+` writes a plus as `+` too (API Gateway may hand either back).
    spelled = quote(text, safe=safe + (" +" if plus_for_space else ""))
    return spelled.replace(" ", "+") if plus_for_space else spelled


def called_urls(base: str, params: Mapping[str, Sequence[str]] | None) -> list[str]:
    """The URLs the sender may have called: `base` (scheme, host and path) with the query rebuilt.

    The first is the plain spelling (values escaped as `urllib.parse.quote` does, in the order
    API Gateway gave them); the others vary how spaces and reserved characters were spelled,
    and the order of the names.
    """
    if not params:
        return [base]
    orders = [list(params), sorted(params)]
    urls: list[str] = []
    for names, safe, plus in product(orders, ("", _LENIENT_SAFE), (False, True)):
        query = "&".join(
            f"{_spell(name, safe, plus)}={_spell(value, safe, plus)}"
            for name in names
            for value in params[name]
        )
        url = f"{base}?{query}"
        if url not in urls:
            urls.append(url)
    return urls
