"""The job store's database file: schema, connection, identity and error translation.

``<runs_dir>/ncode.db`` is SQLite in WAL mode, shared by workers, runners, the CLI and the
dashboard. This module owns everything about the file itself, so that the tables' users
(:mod:`ncode_core.jobs.store`, :mod:`ncode_core.jobs.telemetry`) see only rows and one error
type:

- every ``sqlite3`` and ``OSError`` failure becomes a one-line :class:`StoreError` naming the
  file (corrupt, read-only, disk full, a runs path that is a file, ...);
- a store has an identity: a random id stored in the ``store_meta`` table plus the file's device
  and inode. :meth:`Database.check_identity` raises :class:`StoreGoneError` when the file was
  deleted or replaced under a running process, which then stops instead of writing to a file
  nobody reads;
- a new database is refused in a runs folder that already holds run folders (the database was
  deleted or moved): starting a second history there would reuse job ids.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ncode_core.environment import env_number

DEFAULT_HEARTBEAT_TIMEOUT_S = 30.0
DATABASE_NAME = "ncode.db"
SQLITE_HEADER = b"SQLite format 3\x00"
SCHEMA_VERSION = 2  # PRAGMA user_version; 2 added store_meta (a store's identity)

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    executor TEXT NOT NULL DEFAULT 'local',
    address TEXT,
    external_id TEXT,
    steps INTEGER NOT NULL,
    step INTEGER NOT NULL DEFAULT 0,
    start_step INTEGER NOT NULL DEFAULT 0,
    checkpoint_step INTEGER,
    checkpoint TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    heartbeat_at REAL,
    updated_at REAL NOT NULL,
    worker_id TEXT,
    host TEXT,
    pid INTEGER,
    gpu TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    retries_used INTEGER NOT NULL DEFAULT 0,
    max_retries INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    run_dir TEXT,
    result TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL,
    at REAL NOT NULL,
    status TEXT NOT NULL,
    message TEXT
);
CREATE INDEX IF NOT EXISTS events_by_job ON events(job_id, id);
CREATE TABLE IF NOT EXISTS metrics (
    job_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    at REAL NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    slots INTEGER NOT NULL,
    gpus TEXT,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    stopped_at REAL
);
CREATE TABLE IF NOT EXISTS store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


# Descriptors for reading database headers, one per database file, never closed: closing any
# descriptor of a file drops every POSIX lock this process holds on it, including SQLite's, and
# SQLite then corrupts its WAL index ("database disk image is malformed").
_HEADER_READERS: dict[tuple[int, int], int] = {}


def _read_header(path: Path, identity: tuple[int, int]) -> bytes:
    """The first bytes of the database file ``identity`` (device, inode) at ``path``."""
    descriptor = _HEADER_READERS.get(identity)
    if descriptor is None:
        descriptor = _HEADER_READERS.setdefault(identity, os.open(path, os.O_RDONLY))
    return os.pread(descriptor, len(SQLITE_HEADER), 0)


class JobError(LookupError):
    """A job operation that cannot be done (unknown id, wrong state); one line for the user."""


class StoreError(JobError):
    """The store's database or runs folder cannot be used; one line naming the file."""


class StoreGoneError(StoreError):
    """The database file was deleted, replaced or corrupted while this process had it open:
    the process must stop rather than go on writing."""


def default_runs_dir() -> Path:
    """``$NCODE_RUNS_DIR`` or ``runs`` (relative to the current directory)."""
    return Path(os.environ.get("NCODE_RUNS_DIR") or "runs")


def heartbeat_timeout_s() -> float:
    """Seconds without a heartbeat after which a running job is ``lost``
    (``$NCODE_HEARTBEAT_TIMEOUT_S``, default 30)."""
    return env_number("NCODE_HEARTBEAT_TIMEOUT_S", DEFAULT_HEARTBEAT_TIMEOUT_S,
                      strictly_above=0.0)


def describe_failure(error: BaseException) -> str:
    """A short reason for an sqlite3 or OS error (no traceback, no SQL)."""
    if isinstance(error, OSError):
        if error.errno == errno.ENOSPC:
            return "disk full (no space left on device)"
        reason = error.strerror or str(error)
        return f"{reason}: {error.filename}" if error.filename else reason
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "not a database" in message or "malformed" in message:
        return f"the database is corrupt ({message})"
    if "disk is full" in message or "disk I/O error" in message:
        return f"disk full or failing ({message})"
    if "readonly" in message or "read-only" in message:
        return f"the runs folder or database is read-only ({message})"
    return message


class Database:
    """One connection to ``<runs_dir>/ncode.db`` (created on first use, WAL mode).

    Use one instance per thread. Every failure of the file surfaces as :class:`StoreError`.
    """

    def __init__(self, runs_dir: str | Path | None = None, timeout_s: float = 30.0) -> None:
        runs = Path(runs_dir) if runs_dir is not None else default_runs_dir()
        self.runs_dir = runs.resolve()
        self.path = self.runs_dir / DATABASE_NAME
        self._conn: sqlite3.Connection | None = None
        with self._store_errors():
            self._open(timeout_s)

    def _open(self, timeout_s: float) -> None:
        if self.runs_dir.exists() and not self.runs_dir.is_dir():
            raise StoreError(f"runs folder {self.runs_dir} is not a folder")
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self._refuse_second_history()
        self._conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() != "wal":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer N-CODE Studio (schema "
                             f"{version} > {SCHEMA_VERSION}); upgrade to read it")
        if version < SCHEMA_VERSION:  # new file, or schema 1 without store_meta
            self._conn.executescript(SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
        if not self._read("SELECT value FROM store_meta WHERE key = 'store_id'"):
            with self._write() as conn:  # only when missing: a read-only store stays readable
                conn.execute("INSERT OR IGNORE INTO store_meta (key, value) "
                             "VALUES ('store_id', ?)", (uuid.uuid4().hex,))
        self.store_id = self._read("SELECT value FROM store_meta WHERE key = 'store_id'")[0][0]
        stat = os.stat(self.path)
        self._file_identity = (stat.st_dev, stat.st_ino)

    def _refuse_second_history(self) -> None:
        jobs = self.runs_dir / "jobs"
        folders = [p for p in jobs.iterdir() if not p.name.startswith(".")] if jobs.is_dir() else []
        if folders:
            raise StoreError(
                f"{self.path} is missing but {jobs} holds {len(folders)} run folder(s): the "
                "database was deleted or moved. Restore it, or move the run folders away to "
                "start a new history (job ids would otherwise be reused)")

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _store_errors(self) -> Iterator[None]:
        """Turn sqlite3/OS failures into one-line :class:`StoreError` naming the database."""
        try:
            yield
        except StoreError:
            raise
        except (sqlite3.Error, OSError) as error:
            reason = describe_failure(error)
            if self._folder_read_only() and "read-only" not in reason:
                # SQLite says "unable to open database file": WAL needs its -shm file
                reason = f"the runs folder is read-only ({reason})"
            raise StoreError(f"job store {self.path}: {reason}") from None

    def _folder_read_only(self) -> bool:
        try:
            return bool(os.statvfs(self.runs_dir).f_flag & os.ST_RDONLY) or not os.access(
                self.runs_dir, os.W_OK)
        except OSError:
            return False

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection (StoreError after :meth:`close`)."""
        if self._conn is None:
            raise StoreError(f"job store {self.path}: connection closed")
        return self._conn

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:  # closing a connection to a vanished file is not an error
                pass
            self._conn = None

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the database lock up front (atomic claims)."""
        with self._store_errors():
            conn = self.connection
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, query: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        """All rows of a read query."""
        with self._store_errors():
            return self.connection.execute(query, params).fetchall()

    def journal_mode(self) -> str:
        """The database's journal mode (``wal``)."""
        return self._read("PRAGMA journal_mode")[0][0]

    def check_identity(self) -> None:
        """Raise :class:`StoreGoneError` when the database file this instance opened was
        deleted, replaced (another file, or another store id at the same path) or overwritten
        with something that is not SQLite."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise StoreGoneError(f"job store {self.path} was deleted") from None
        except OSError as error:
            raise StoreError(f"job store {self.path}: {describe_failure(error)}") from None
        if (stat.st_dev, stat.st_ino) != self._file_identity:
            raise StoreGoneError(f"job store {self.path} was replaced by another file")
        try:  # overwritten in place: SQLite may serve cached pages for a while, the header tells
            header = _read_header(self.path, self._file_identity)
        except OSError as error:
            raise StoreError(f"job store {self.path}: {describe_failure(error)}") from None
        if header != SQLITE_HEADER:
            raise StoreGoneError(f"job store {self.path} is corrupt (not an SQLite database)")
        rows = self._read("SELECT value FROM store_meta WHERE key = 'store_id'")
        if not rows or rows[0][0] != self.store_id:
            raise StoreGoneError(f"job store {self.path} now holds another store")

    @staticmethod
    def _event(conn: sqlite3.Connection, job_id: int, status: str, message: str = "") -> None:
        conn.execute("INSERT INTO events (job_id, at, status, message) VALUES (?, ?, ?, ?)",
                     (job_id, time.time(), status, message))
