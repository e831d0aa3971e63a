"""Digest requests and results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Algorithm = Literal["sha256", "sha512", "sha3_256", "blake2b"]
MAX_CONTENT_CHARS = 1_048_576


class DigestRequest(BaseModel):
    content: str = Field(max_length=MAX_CONTENT_CHARS, description="Text to digest (UTF-8).")
    algorithm: Algorithm = "sha256"


class Digest(BaseModel):
    algorithm: Algorithm
    size: int = Field(description="Bytes digested.")
    hex: str
