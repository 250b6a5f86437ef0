"""Schemathesis hooks for .ci/contract.sh (loaded through SCHEMATHESIS_HOOKS).

Idempotency-Key: schemathesis draws the documented example key, and a few short strings, again
and again. The first 2xx stores an answer under that key, and from then on every request of the
run with that key and another body is 409 `idempotency_conflict`: in a first trial 173 of 216
payments never got past the key. So every key the server would accept gets a suffix unique to
this run and request; the drawn characters stay, so odd but valid keys are still sent. Keys the
document calls malformed (empty, too long, control characters) are sent unchanged, for the 400.
Replays with the same key are covered by the Swift tests (PaymentStoryTests).
"""

import itertools
import re
import uuid

import schemathesis

_RUN = uuid.uuid4().hex[:8]
_COUNTER = itertools.count()
# The document's IdempotencyKey schema: 1-255 characters, no control characters.
_ACCEPTABLE = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers
    if not headers:
        return
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and _ACCEPTABLE.match(key):
        suffix = f".{_RUN}.{next(_COUNTER)}"
        headers["Idempotency-Key"] = key[: 255 - len(suffix)] + suffix
