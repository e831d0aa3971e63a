"""What the throwaway servers share: a free port, start and stop, use as a context manager."""

from __future__ import annotations

import atexit
import socket
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayServer(ABC):
    """A server started for a test run or `make run` and deleted, data and all, after it."""

    @property
    @abstractmethod
    def url(self) -> str:
        """Where clients reach it."""

    @property
    @abstractmethod
    def running(self) -> bool:
        """Whether the server was launched and not yet shut down."""

    def start(self) -> None:
        """Launch the server and wait until it answers; a no-op if it already runs."""
        if self.running:
            return
        self._launch()
        atexit.register(self.stop)  # a safety net for callers that forget, or crash
        try:
            self._bring_up()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server and delete its files; a no-op if it does not run."""
        if not self.running:
            return
        atexit.unregister(self.stop)
        self._shut_down()

    @abstractmethod
    def _launch(self) -> None:
        """Take the server's resources; afterwards `running` is true and `stop()` frees them."""

    @abstractmethod
    def _bring_up(self) -> None:
        """Make the launched server answer, or raise (`stop()` then cleans up)."""

    @abstractmethod
    def _shut_down(self) -> None:
        """Stop the server and delete its files; afterwards `running` is false."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
