"""Digest requests and results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Algorithm = Literal["sha256", "sha512", "sha3_256", "blake2b"]
# Every body this allows fits in the default APP_MAX_BODY_BYTES (1 MiB), however escaped:
# JSON spends at most twelve bytes on a character (a surrogate pair, as two \uXXXX).
MAX_CONTENT_CHARS = 65_536


class DigestRequest(BaseModel):
    content: str = Field(max_length=MAX_CONTENT_CHARS, description="Text to digest (UTF-8).")
    algorithm: Algorithm = "sha256"


class Digest(BaseModel):
    algorithm: Algorithm
    size: int = Field(description="Bytes digested.")
    hex: str
