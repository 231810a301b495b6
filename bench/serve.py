"""One server process for the benchmark: `python -m bench.serve --app tasklane --port 8100`.

Each process opens its own listening socket with SO_REUSEPORT, so with several processes the
kernel spreads connections over them (uvicorn's `--workers` can leave all of a load generator's
keep-alive connections on one worker). Tasklane and the ceiling run through this same entry
point with the same uvicorn settings; Tasklane reads its settings from TASKLANE_* variables.
"""

from __future__ import annotations

import argparse
import socket

import uvicorn

APPS = {
    "tasklane": "tasklane.app:create_app",
    "ceiling": "bench.ceiling:create_app",
}
KEEP_ALIVE_SECONDS = 75
"""Longer than any think time in the mixed scenario, as a reverse proxy's upstream pool would
keep them, so idle simulated users do not race the server closing their connection."""


def listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", choices=sorted(APPS), required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    config = uvicorn.Config(
        APPS[args.app],
        factory=True,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,  # Tasklane logs each request itself; the ceiling logs nothing
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        backlog=4096,
    )
    uvicorn.Server(config).run(sockets=[listening_socket(args.host, args.port)])


if __name__ == "__main__":
    main()
