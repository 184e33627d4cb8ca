"""Stands for a pytest-xdist worker forked by :mod:`tests.worker_zygote`: run as ``python -I -S
tests/worker_client.py SOCKET ARGS…`` (standard library only, nothing else imported: it starts in
~10 ms). It hands its standard streams, arguments, folder and environment to the forking process,
passes the signals it gets on to the worker, and exits with the worker's status."""

import json
import os
import signal
import socket
import struct
import sys

STATUS = struct.Struct("!i")
"""What the forking process sends back (:mod:`tests.worker_zygote`): the pid, then the exit status."""


def receive(connection: socket.socket) -> int:
    data = b""
    while len(data) < STATUS.size:
        more = connection.recv(STATUS.size - len(data))
        if not more:
            raise ConnectionError("the forking process went away")
        data += more
    (number,) = STATUS.unpack(data)
    return int(number)


def main(path: str, argv: list[str]) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        folder = os.getcwd()  # noqa: PTH109 (pathlib would be one import more)
        request = {"argv": argv, "cwd": folder, "env": dict(os.environ)}
        socket.send_fds(connection, [json.dumps(request).encode()], [0, 1, 2])
        pid = receive(connection)
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(number, lambda got, _: os.kill(pid, got))
        try:
            status = receive(connection)
        except ConnectionError:
            status = 1
    os._exit(status)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
