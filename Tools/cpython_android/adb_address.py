"""Where a device is: an adb server's socket and the serial it knows the device by.

adb spells a server's socket `tcp:HOST:PORT` (or `tcp:PORT`, this machine) in
its `-L` option and in `ADB_SERVER_SOCKET`; `test --connected` and `devices
--connected` take `tcp:HOST:PORT/SERIAL` for a device of another server, and
a bare SERIAL for one of the default server (ADB_SERVER_SOCKET, else
ANDROID_ADB_SERVER_HOST / ANDROID_ADB_SERVER_PORT, else port 5037).  Parsing
is pure: a malformed address is a UserError (exit status 2) before anything
asks a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import UserError
from .textutil import NumberError, read_int, shown

DEFAULT_SERVER_PORT = 5037
#: The host of `tcp:PORT`, adb's spelling of a server on this machine.
LOCAL_HOST = "127.0.0.1"
#: What adb itself takes for this machine: the only servers it starts.
LOOPBACK = frozenset({LOCAL_HOST, "localhost", "::1"})
FORM = "tcp:HOST:PORT/SERIAL (or a bare SERIAL of the default adb server)"


@dataclass(frozen=True)
class AdbServer:
    """An adb server's TCP socket."""

    host: str = LOCAL_HOST
    port: int = DEFAULT_SERVER_PORT

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp:{host}:{self.port}"

    @property
    def is_local(self) -> bool:
        return self.host in LOOPBACK

    @property
    def start_spelling(self) -> str:
        """The socket as `adb -L` must spell it to start a server there (adb
        starts one for `tcp:PORT` or `tcp:localhost:PORT` only)."""
        return f"tcp:{self.port}" if self.is_local else str(self)


@dataclass(frozen=True)
class DeviceAddress:
    """A device of the default adb server (`server` None) or of another one."""

    server: AdbServer | None
    serial: str

    def __str__(self) -> str:
        return self.serial if self.server is None else f"{self.server}/{self.serial}"


def parse_server(text: str, what: str) -> AdbServer:
    """`tcp:PORT`, `tcp:HOST:PORT` or `tcp:[IPV6]:PORT`, as adb's -L takes it;
    `what` names where the text came from, for the one-line error."""
    scheme, _, rest = text.partition(":")
    if scheme != "tcp" or not rest:
        raise UserError(f"{what}: {shown(text, 60)} is not an adb server socket: write "
                        "tcp:HOST:PORT (other kinds of socket are not supported)")
    host, sep, port = rest.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if sep and not host:
        raise UserError(f"{what}: {shown(text, 60)} names no host: write tcp:HOST:PORT "
                        "or tcp:PORT")
    if not sep and not port.isdigit():
        raise UserError(f"{what}: {shown(text, 60)} names no port: write tcp:HOST:PORT")
    if any(c.isspace() or c in "/[]" or not c.isprintable() for c in host):
        raise UserError(f"{what}: {shown(host, 40)} is not a host name or address")
    try:
        number = read_int(port, "the port", low=1, high=65535)
    except NumberError as e:
        raise UserError(f"{what}: {e}: write tcp:HOST:PORT") from None
    return AdbServer(host or LOCAL_HOST, number)


def parse_address(text: str) -> DeviceAddress:
    """`tcp:HOST:PORT/SERIAL`, or a bare SERIAL of the default server."""
    if not text.startswith("tcp:"):
        if "/" in text:
            raise UserError(f"--connected {shown(text, 60)}: write a device of another adb "
                            f"server as {FORM}")
        return DeviceAddress(None, text)
    socket, sep, serial = text.partition("/")
    if not sep or not serial:
        raise UserError(f"--connected {shown(text, 60)} names no device: write {FORM}")
    if not serial.isprintable() or any(c.isspace() for c in serial):
        raise UserError(f"--connected {shown(text, 60)}: {shown(serial, 40)} is not a "
                        "serial (`adb devices` lists them)")
    return DeviceAddress(parse_server(socket, f"--connected {shown(text, 60)}"), serial)


def parse_addresses(value: str) -> tuple[DeviceAddress, ...]:
    """A comma list of addresses (empty items skipped, as for bare serials)."""
    return tuple(parse_address(item) for item in value.split(",") if item)


def default_server(env: Mapping[str, str]) -> AdbServer:
    """The server a bare SERIAL names: ADB_SERVER_SOCKET first, as adb prefers it."""
    if socket := env.get("ADB_SERVER_SOCKET"):
        return parse_server(socket, "ADB_SERVER_SOCKET")
    text = env.get("ANDROID_ADB_SERVER_PORT") or str(DEFAULT_SERVER_PORT)
    try:
        port = read_int(text, "ANDROID_ADB_SERVER_PORT", low=1, high=65535)
    except NumberError as e:
        raise UserError(f"{e}: set it to adb's server port (default "
                        f"{DEFAULT_SERVER_PORT}) or unset it") from None
    return AdbServer(env.get("ANDROID_ADB_SERVER_HOST") or LOCAL_HOST, port)
