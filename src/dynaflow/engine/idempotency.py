"""ClientRequestToken store: TransactWriteItems idempotency for 10 minutes.

DynamoDB's rule: a token is valid for 10 minutes after the first *successful* request that used it
completes. Within that window the same token with the same TransactItems is answered as a success
without applying anything again (ConsumedCapacity then reports the read units of the items, not the
write units of the first call); the same token with different TransactItems is refused with
IdempotentParameterMismatchException. A request that failed leaves no token behind, so it can be
retried with the same token. ReturnConsumedCapacity and ReturnItemCollectionMetrics are not part of
the comparison (DynamoDB Local agrees).

Storage: tokens live in the ``meta`` sub-database and are written by the writer job of the
transaction they belong to, so a token exists exactly when its writes committed (a crash can
neither keep a token without its writes nor the writes without their token). Two keys per token::

    tx-token/<token>                                  -> {"d": digest, "e": expiry, "u": {table: units}}
    tx-expiry/<expiry as big-endian double><token>    -> b""   (expiry order, for purging)

Lookups check the expiry themselves, so a stale record never answers; purging keeps the store
bounded: every token written removes up to :data:`PURGE_BATCH` expired ones, oldest first, which
amortizes to O(1) per transaction. Rejected: an in-memory dict (lost on restart, so a retry after a
crash would apply twice) and a background sweeper (a second writer of the same keys for no gain).

Times come from ``EngineState.clock`` so tests can step past the window.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

#: How long a token is remembered after its transaction committed (seconds).
TOKEN_LIFETIME: Final = 600.0
#: Expired tokens removed per token written.
PURGE_BATCH: Final = 32

_TOKEN: Final = b"tx-token/"
_EXPIRY: Final = b"tx-expiry/"
_TIME: Final = struct.Struct(">d")


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A remembered transaction: what it asked for and what a replay reports."""

    digest: str
    expires: float
    #: Per-table transactional read units of the items, for a replay's ConsumedCapacity.
    replay_units: dict[str, float]


def request_digest(transact_items: Any) -> str:
    """A digest of the TransactItems that ignores JSON member order."""
    canonical = orjson.dumps(transact_items, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=16).hexdigest()


def lookup(txn: Any, meta_db: Any, token: str, now: float) -> TokenRecord | None:
    """The live record of ``token``, or None if it is unknown or expired."""
    raw = txn.get(_TOKEN + token.encode(), db=meta_db)
    if raw is None:
        return None
    value = orjson.loads(raw)
    if value["e"] <= now:
        return None
    return TokenRecord(value["d"], value["e"], value["u"])


def remember(txn: Any, meta_db: Any, token: str, digest: str, replay_units: Mapping[str, float],
             now: float) -> None:
    """Record ``token`` for :data:`TOKEN_LIFETIME` seconds from ``now`` (inside the writer txn)."""
    purge_expired(txn, meta_db, now)
    raw_token = token.encode()
    key = _TOKEN + raw_token
    old = txn.get(key, db=meta_db)
    if old is not None:  # an expired record being reused: drop its expiry entry
        txn.delete(_EXPIRY + _TIME.pack(orjson.loads(old)["e"]) + raw_token, db=meta_db)
    expires = now + TOKEN_LIFETIME
    txn.put(key, orjson.dumps({"d": digest, "e": expires, "u": dict(replay_units)}), db=meta_db)
    txn.put(_EXPIRY + _TIME.pack(expires) + raw_token, b"", db=meta_db)


def purge_expired(txn: Any, meta_db: Any, now: float, limit: int = PURGE_BATCH) -> int:
    """Delete up to ``limit`` expired tokens, oldest first; return how many went."""
    cursor = txn.cursor(db=meta_db)
    if not cursor.set_range(_EXPIRY):
        return 0
    removed = 0
    header = len(_EXPIRY) + _TIME.size
    while removed < limit:
        key = cursor.key()
        if not key.startswith(_EXPIRY):
            break
        expires = _TIME.unpack_from(key, len(_EXPIRY))[0]
        if expires > now:
            break
        txn.delete(_TOKEN + key[header:], db=meta_db)
        cursor.delete()  # moves to the next entry
        removed += 1
    return removed
