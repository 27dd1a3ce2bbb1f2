"""One stage's work on a helper thread while the main flow goes on (transcription).

The pipeline starts the loudness stage this way when transcription leaves a core idle
(on a GPU, or with fewer threads than cores): encoding then costs no wall time. On a
CPU whose cores transcription already fills it does not: measured on two cores with
faster-whisper, a 10-minute narration took 64.8 s overlapped against 59.5 s in turn.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["Background", "usable_cores", "core_left_free"]


class Background(Generic[T]):
    """``work()`` running on a daemon thread; ``result()`` waits and returns or raises.

    A daemon thread, not an executor's: an interrupted run (Ctrl-C, a batch stopping)
    must exit at once rather than wait at interpreter exit for an encode to finish.
    """

    def __init__(self, work: Callable[[], T], name: str):
        self.seconds = 0.0  # the work's own wall time, once it has ended
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        began = time.perf_counter()
        try:
            self._value = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised by result()
            self._error = exc
        finally:
            self.seconds = round(time.perf_counter() - began, 3)

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def settle(self) -> None:
        """Wait for the work to end, its outcome dropped (before its folder is removed)."""
        self._thread.join()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def core_left_free(transcriber: object) -> bool:
    """Whether transcription leaves this process a core: a GPU, or fewer threads than cores.

    A transcriber that cannot say (``cores_busy``) is taken to fill every core: a batch
    worker's, whose episodes already overlap one another's stages.
    """
    busy = getattr(transcriber, "cores_busy", None)
    return callable(busy) and int(busy()) < usable_cores()
