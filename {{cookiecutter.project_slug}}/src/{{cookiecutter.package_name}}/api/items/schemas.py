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

MAX_PAGE_SIZE = 100

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=2000)]
TagName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=50,
        pattern=r"^[A-Za-z0-9-]+$",
    ),
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

    name: Name | None = None
    description: Description | None = None
    tags: Tags | None = None

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
        default=None, max_length=200, description="Name contains (case-insensitive)."
    )
    tag: TagName | None = Field(default=None, description="Only items with this tag.")
    limit: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0)


class ItemPage(BaseModel):
    items: list[Item]
    total: int = Field(description="Items matching the filters, across all pages.")
    limit: int
    offset: int
