"""Item payloads and views. Inputs forbid unknown fields, so typos fail loudly."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

MAX_PAGE_SIZE = 100
# PostgreSQL's bigint, the type of IDs, LIMIT and OFFSET.
MAX_BIGINT = 2**63 - 1

# Text is refused rather than trimmed, so each pattern says exactly what is accepted.
# PostgreSQL's text cannot hold NUL; a name neither starts nor ends with a space or a
# control character.
NO_NUL = r"^[^\x00]*$"
Name = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=200, pattern=r"^[^\x00-\x20](?:[^\x00]*[^\x00-\x20])?$"
    ),
]
Description = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]
TagName = Annotated[
    str,
    StringConstraints(to_lower=True, min_length=1, max_length=50, pattern=r"^[A-Za-z0-9-]+$"),
]


def _unique_sorted(tags: list[str]) -> list[str]:
    return sorted(set(tags))


Tags = Annotated[list[TagName], Field(max_length=20), AfterValidator(_unique_sorted)]


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description = ""
    tags: Tags = Field(default_factory=list)


class ItemUpdate(BaseModel):
    """A partial update: fields left out keep their value; `null` is not a value."""

    model_config = ConfigDict(extra="forbid")

    # Optional, never null: the schema leaves `null` out (SkipJsonSchema), the validator
    # below refuses it.
    name: Name | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None
    tags: Tags | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _reject_explicit_nulls(self) -> Self:
        nulls = sorted(field for field in self.model_fields_set if getattr(self, field) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} may be left out but not set to null")
        return self


class Item(BaseModel):
    id: int
    name: str
    description: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class ItemQuery(BaseModel):
    """List filters and paging."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(
        default=None,
        max_length=200,
        pattern=NO_NUL,
        description="Name contains (case-insensitive).",
    )
    tag: TagName | None = Field(default=None, description="Only items with this tag.")
    limit: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=MAX_BIGINT)


class ItemPage(BaseModel):
    items: list[Item]
    total: int = Field(description="Items matching the filters, across all pages.")
    limit: int
    offset: int
