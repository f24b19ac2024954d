"""bench.http's anchor: a bare FastAPI hello app, and on SQLite the floor of `GET /loans/{id}`.

Run in a child process (`HelloServer`) on 127.0.0.1 with the uvicorn settings `fairlend serve`
uses (`fairlend.cli.uvicorn_options`), so the two servers differ only in the app.

    .venv/bin/python -m bench.http_hello PORT [--floor-db FILE]     # what HelloServer starts
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson

from bench.loopback import free_port

# The loan read's own statements, bare: the token's revocation probe, the loan, its installments.
FLOOR_SQL = (
    "SELECT token_id, revoked_at FROM identity_session_revocation WHERE subject_id = ? AND token_id IN (?, '*')",
    "SELECT * FROM loan WHERE id = ?",
    "SELECT * FROM loan_installment WHERE borrower_id = ? AND loan_id = ? ORDER BY seq",
)


def floor_loan(conn: sqlite3.Connection, loan_id: str, token_id: str) -> bytes:
    """The floor of `GET /loans/{id}` on SQLite: its three statements in one read transaction, the rows as JSON.

    No framework, no domain objects, no signature check, no business date: what any implementation of
    the read on this data model and this server does at the least, besides hello's work and a trip to
    the thread pool (the sync hello).
    """
    conn.execute("BEGIN")
    try:
        cursor = conn.execute(FLOOR_SQL[1], (loan_id,))
        names = [c[0] for c in cursor.description]
        loan = dict(zip(names, cursor.fetchone(), strict=True))
        conn.execute(FLOOR_SQL[0], (loan["borrower_id"], token_id)).fetchall()
        cursor = conn.execute(FLOOR_SQL[2], (loan["borrower_id"], loan_id))
        names = [c[0] for c in cursor.description]
        loan["schedule"] = [dict(zip(names, row, strict=True)) for row in cursor]
    finally:
        conn.execute("ROLLBACK")
    return orjson.dumps(loan, default=str)


def hello_app(floor_db: str = "") -> object:
    from fastapi import FastAPI, Response

    app = FastAPI()
    local = threading.local()

    # The floor of the loan read (SQLite): a sync route, as ours, with one sqlite3 connection a thread.
    @app.get("/floor/loans/{loan_id}")
    def floor(loan_id: str) -> Response:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(floor_db, isolation_level=None, check_same_thread=False)
        return Response(floor_loan(local.conn, loan_id, "tok_floor"), media_type="application/json")

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    # The floor of every sync route: FastAPI runs a plain `def` on the thread pool.
    @app.get("/hello-sync")
    def hello_sync() -> dict[str, str]:
        return {"hello": "world"}

    return app


def serve_hello(port: int, floor_db: str) -> None:
    import uvicorn

    from fairlend.cli import uvicorn_options

    uvicorn.run(hello_app(floor_db), **uvicorn_options("127.0.0.1", port))  # type: ignore[arg-type]


class HelloServer:
    """The hello app in a child process on 127.0.0.1, with the settings `fairlend serve` uses."""

    def __init__(self, log_path: Path, floor_db: str = "") -> None:
        self.port = free_port()
        self._floor_db = floor_db
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> HelloServer:
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bench.http_hello", str(self.port), "--floor-db", self._floor_db],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/hello", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the hello app did not start: {self._log_path.read_text()[-2000:]}")

    def __exit__(self, *exc: object) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.http_hello", description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("--floor-db", default="")
    args = parser.parse_args(argv)
    serve_hello(args.port, args.floor_db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
