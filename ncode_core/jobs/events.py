"""TensorBoard event files for job runs, written synchronously.

``tensorboard --logdir runs`` reads them. Writing is synchronous (tensorboardX's record writer
without its background queue), so what was flushed before a checkpoint is on disk even if the
process is then killed. After a resume from step ``k`` the new file starts with a session-start
event at step ``k + 1``: TensorBoard then drops the killed attempt's events past ``k``.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any


class ScalarEventWriter:
    """Scalars of one run into ``logdir/events.out.tfevents.<time>.<host>.<pid>``."""

    def __init__(self, logdir: str | Path, purge_step: int | None = None) -> None:
        from tensorboardX.event_file_writer import EventsWriter
        from tensorboardX.proto.event_pb2 import Event, SessionLog
        from tensorboardX.proto.summary_pb2 import Summary

        self._event, self._summary = Event, Summary
        Path(logdir).mkdir(parents=True, exist_ok=True)
        self._writer = EventsWriter(str(Path(logdir) / "events"), filename_suffix=f".{os.getpid()}")
        if purge_step is not None:
            self._writer.write_event(Event(step=purge_step, wall_time=time.time(),
                                           file_version="brain.Event:2"))
            self._writer.write_event(Event(step=purge_step, wall_time=time.time(),
                                           session_log=SessionLog(status=SessionLog.START)))

    def add_scalars(self, step: int, values: dict[str, Any]) -> None:
        """One event at ``step`` holding every finite number of ``values`` as a scalar."""
        summary = self._summary(value=[
            self._summary.Value(tag=key, simple_value=float(value))
            for key, value in values.items()
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value)])
        self._writer.write_event(self._event(step=int(step), wall_time=time.time(),
                                             summary=summary))

    def flush(self) -> None:
        """Write buffered events to disk."""
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the file."""
        self._writer.close()
