"""Keeping a practice's pseudonymisation key in the database without keeping it readable there.

The key is needed again (to compute pseudonyms), so it cannot be hashed; it
is encrypted. The standard library has no block cipher and qiloop adds no
dependency for one, so this is a stream cipher built from HMAC-SHA256 alone,
the pseudo-random function the pseudonyms themselves rest on:

- two keys derived from the workbench's ``SECRET_KEY`` with HMAC and distinct
  labels, one to encrypt and one to authenticate;
- a fresh random 16-byte nonce per sealing; keystream block ``i`` =
  HMAC-SHA256(encryption key, nonce || i), XORed with the practice key
  (counter mode, as in NIST SP 800-108's KDF in counter mode);
- a tag = HMAC-SHA256(authentication key, version || practice code || nonce ||
  ciphertext), checked in constant time before decrypting (encrypt-then-MAC),
  so a sealed key altered, or copied to another practice's row, is refused.

A database dump alone does not reveal a key; someone who also has the
server's ``SECRET_KEY`` can read it. Changing ``SECRET_KEY`` makes every sealed
key unreadable: the practice manager enters it again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

VERSION = b"qiloop-sealed-key-v1"
_NONCE = 16
_TAG = 32


class SealError(Exception):
    """The sealed key cannot be opened (altered, another practice's, or sealed under another SECRET_KEY)."""


def _derived(label: bytes) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), VERSION + b"/" + label, hashlib.sha256).digest()


def _keystream(nonce: bytes, length: int) -> bytes:
    key = _derived(b"encrypt")
    blocks = (hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range((length + 31) // 32))
    return b"".join(blocks)[:length]


def _tag(practice_code: str, nonce: bytes, ciphertext: bytes) -> bytes:
    message = VERSION + b"\0" + practice_code.encode() + b"\0" + nonce + ciphertext
    return hmac.new(_derived(b"authenticate"), message, hashlib.sha256).digest()


def seal(key: bytes, practice_code: str) -> str:
    """``key`` encrypted and authenticated for ``practice_code``, as text for a database column."""
    nonce = secrets.token_bytes(_NONCE)
    ciphertext = bytes(a ^ b for a, b in zip(key, _keystream(nonce, len(key)), strict=True))
    return base64.b64encode(nonce + ciphertext + _tag(practice_code, nonce, ciphertext)).decode("ascii")


def unseal(sealed: str, practice_code: str) -> bytes:
    """The key :func:`seal` sealed for ``practice_code``; :class:`SealError` if it cannot be trusted."""
    try:
        raw = base64.b64decode(sealed.encode("ascii"), validate=True)
    except ValueError:
        raise SealError("the stored key is damaged") from None
    if len(raw) <= _NONCE + _TAG:
        raise SealError("the stored key is damaged")
    nonce, ciphertext, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    if not hmac.compare_digest(tag, _tag(practice_code, nonce, ciphertext)):
        raise SealError("the stored key cannot be read: it was entered under another SECRET_KEY or has been altered")
    return bytes(a ^ b for a, b in zip(ciphertext, _keystream(nonce, len(ciphertext)), strict=True))
