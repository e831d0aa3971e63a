"""The ways an item operation can fail, as the API reports them."""

from __future__ import annotations

from ...errors import ConflictError, NotFoundError


class ItemNotFoundError(NotFoundError):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"Item {item_id} does not exist.")


class ItemNameTakenError(ConflictError):
    def __init__(self, name: str) -> None:
        super().__init__(f"An item named {name!r} already exists.")
