"""Android devices through the adb server, with adbutils.

adbutils speaks the adb server's socket protocol itself; the `adb` program is
only needed to start that server.  Which `adb`: $ADB, then
$ANDROID_HOME/platform-tools/adb (the SDK's, matching its emulator), then
`adb` on PATH, then the copy adbutils ships.  The default server's address
comes from ADB_SERVER_SOCKET, else ANDROID_ADB_SERVER_HOST / ANDROID_ADB_SERVER_PORT,
as for adb itself; a device of another server is addressed `tcp:HOST:PORT/SERIAL`
(adb_address), and each server is its own `Adb`.

Every adbutils call blocks; the async runner calls these in threads.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import socket
import stat
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypeVar

from .adb_address import DEFAULT_SERVER_PORT, LOCAL_HOST, AdbServer, DeviceAddress, default_server
from .errors import DeviceGone, InfrastructureError, InfrastructureFailed, SetupError
from .process import run_captured
from .safefiles import atomic_write
from .textutil import int_or_none, join_command, shown

if TYPE_CHECKING:  # adbutils is imported lazily: the shim must start without it
    import adbutils

DEVICE_TMP = PurePosixPath("/data/local/tmp")
#: Seconds the adb server has for each read or write of a request: it answers
#: in milliseconds; a port that accepts and never answers is not adb.
ANSWER_SECONDS = 10.0
#: The same for a device's own transfers (a large push, a slow emulator's
#: storage), once the server has answered.
TRANSFER_SECONDS = 120.0
#: How long a device that went quiet has to answer `adb shell echo` before it
#: counts as lost: a busy emulator answers in well under a second.
PROBE_SECONDS = 10.0
#: Linux's largest pid_max: a larger "pid" is not one.
MAX_PID = 2**22
T = TypeVar("T")


@dataclass(frozen=True)
class DeviceInfo:
    serial: str
    state: str  # "device", "offline", "unauthorized", "no permissions", ...


def adb_executable(env: Mapping[str, str] | None = None) -> Path:
    """The adb program, preferring the one the user's SDK configuration names."""
    env = os.environ if env is None else env
    if value := env.get("ADB"):
        if not Path(value).is_file():
            raise SetupError(f"ADB={value} does not exist: point ADB at an adb program or unset it")
        return Path(value)
    if home := env.get("ANDROID_HOME"):
        sdk_adb = Path(home, "platform-tools", "adb.exe" if os.name == "nt" else "adb")
        if sdk_adb.is_file():
            return sdk_adb
    if found := shutil.which("adb", path=env.get("PATH")):
        return Path(found)
    try:
        # lazily: the shim runs on a bare python3; third-party packages load only when used
        import adbutils
        return Path(adbutils.adb_path())  # the copy in the adbutils wheel
    except Exception:
        raise SetupError("no adb found: install Android's platform-tools (set ANDROID_HOME) "
                         "or put adb on PATH") from None


@dataclass(frozen=True)
class Adb:
    """One adb server and the program that starts it."""

    executable: Path
    host: str = LOCAL_HOST
    port: int = DEFAULT_SERVER_PORT
    #: A server an address named (tcp:HOST:PORT/SERIAL): used, never started.
    named: bool = False

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Adb:
        """The default server (a bare SERIAL's)."""
        env = os.environ if env is None else env
        server = default_server(env)
        return cls(adb_executable(env), server.host, server.port)

    @property
    def server(self) -> AdbServer:
        return AdbServer(self.host, self.port)

    def of(self, address: DeviceAddress) -> Adb:
        """The server `address` names: this one for a bare SERIAL."""
        if address.server is None or address.server == self.server:
            return self
        return replace(self, host=address.server.host, port=address.server.port, named=True)

    def device_at(self, address: DeviceAddress) -> Device:
        """The device at `address`, through its own server (see `device`)."""
        return self.of(address).device(address.serial)

    def _hint(self) -> str:
        return ("check the server in --connected" if self.named else
                "ADB_SERVER_SOCKET or ANDROID_ADB_SERVER_PORT chooses it")

    def server_env(self) -> dict[str, str]:
        return dict(os.environ, ANDROID_ADB_SERVER_PORT=str(self.port))

    def server_running(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def ensure_server(self) -> None:
        """Start the server with *our* adb (adbutils would pick its own otherwise)."""
        if self.server_running():
            return
        if self.named or not self.server.is_local:
            raise InfrastructureError(
                f"no adb server answers at {self.server}: start one on that machine "
                f"(`adb -a -P {self.port} nodaemon server`), or correct the address")
        # -L: the one spelling every adb since 1.0.36 honours over its environment
        command = [str(self.executable), "-L", self.server.start_spelling, "start-server"]
        try:
            result = run_captured(command, env=self.server_env(), timeout=60)
        except TimeoutError:
            raise InfrastructureError(f"`{join_command(command)}` did not finish within 60 s: "
                                      f"the adb server on port {self.port} does not "
                                      "start") from None
        if result.returncode != 0 or not self.server_running():
            raise InfrastructureFailed(command, result.returncode, tail=result.output[-2000:])

    def kill_server(self) -> None:
        if self.server_running():
            self.ask(lambda client: client.server_kill())

    def client(self, timeout: float = ANSWER_SECONDS) -> adbutils.AdbClient:
        """A client whose every socket read and write times out: a port that
        accepts and never answers must not hang `devices` or `test`.  (A
        long stream, such as logcat, drops the timeout once it is open.)"""
        # lazily: the shim runs on a bare python3; third-party packages load only when used
        import adbutils
        return adbutils.AdbClient(self.host, self.port, socket_timeout=timeout)

    def ask(self, request: Callable[[adbutils.AdbClient], T]) -> T:
        """One request to the server; what is not an adb server answering is one line."""
        # lazily: the shim runs on a bare python3; third-party packages load only when used
        from adbutils import AdbError, AdbTimeout
        where = self.server
        try:
            return request(self.client())
        except (TimeoutError, AdbTimeout):
            raise InfrastructureError(
                f"nothing answered as an adb server on {where} within {ANSWER_SECONDS:g} s: "
                f"is another program listening there? ({self._hint()})") from None
        except (AdbError, OSError, EOFError) as e:
            raise InfrastructureError(
                f"{where} does not answer as an adb server ({shown(str(e), 60)}): is another "
                f"program listening there? ({self._hint()})") from None

    def devices(self) -> list[DeviceInfo]:
        """Every device the server knows, in any state."""
        self.ensure_server()
        return [DeviceInfo(i.serial, i.state) for i in self.ask(lambda client: client.list())]

    def device(self, serial: str) -> Device:
        """A device ready for use, or an InfrastructureError that says what is wrong with it."""
        infos = {i.serial: i for i in self.devices()}
        if not infos:
            raise InfrastructureError(f"no Android device is attached (adb server "
                                      f"{self.server}): connect one, or start an emulator "
                                      "(--avd NAME)")
        if serial not in infos:
            raise InfrastructureError(f"device {serial} not found: `{self.devices_command()}` "
                                      f"lists {', '.join(sorted(infos))}")
        return self._usable(infos[serial])

    def _usable(self, info: DeviceInfo) -> Device:
        where = DeviceAddress(self.server if self.named else None, info.serial)
        if info.state == "offline":
            raise InfrastructureError(f"device {where} is offline: reconnect it, or "
                                      "restart adb with `adb kill-server`")
        if info.state == "unauthorized":
            raise InfrastructureError(f"device {where} is unauthorized: accept the USB "
                                      "debugging prompt on the device, then try again")
        if info.state != "device":
            raise InfrastructureError(f"device {where} is not ready (state: {info.state})")
        return Device(self, info.serial)

    def devices_command(self) -> str:
        return f"adb -L {self.server} devices" if self.named else "adb devices"

    def is_connected(self, serial: str) -> bool:
        try:
            return any(i.serial == serial and i.state == "device" for i in self.devices())
        except Exception:
            return False


@dataclass(frozen=True)
class ShellResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Device:
    """A device in state "device"; methods raise DeviceGone if it goes away."""

    def __init__(self, adb: Adb, serial: str) -> None:
        self.adb = adb
        self.serial = serial

    def __repr__(self) -> str:
        return f"Device({self.serial!r})"

    def _gone(self, error: Exception) -> DeviceGone:
        return DeviceGone(f"device {self.serial} disconnected ({error})", serial=self.serial)

    @contextlib.contextmanager
    def _talking(self, timeout: float = TRANSFER_SECONDS) -> Iterator[adbutils.AdbDevice]:
        """The device (each socket read or write bounded by `timeout`); adb's
        errors and a dropped connection become DeviceGone."""
        # lazily: the shim runs on a bare python3; third-party packages load only when used
        from adbutils import AdbError
        try:
            yield self.adb.client(timeout).device(self.serial)
        except (AdbError, OSError, EOFError) as e:
            raise self._gone(e) from e

    def answers(self, timeout: float = PROBE_SECONDS) -> bool:
        """Whether the device runs `echo` within `timeout` seconds: adb can still
        list a device that stopped answering (a hung emulator)."""
        try:
            with self._talking(timeout) as device:
                result = device.shell2("echo answering", timeout=timeout, v2=True)
        except DeviceGone:
            return False
        return result.stdout.strip() == "answering"

    def shell(self, argv: list[str], timeout: float = 120) -> ShellResult:
        """Run a command (quoted for the device's shell); v2 protocol for the exit status."""
        with self._talking() as device:
            result = device.shell2(shlex.join(argv), timeout=timeout, v2=True)
        return ShellResult(result.returncode, result.stdout, result.stderr)

    def open_stream(self, argv: list[str]) -> adbutils.AdbConnection:
        """A long-running command's output as a connection (close it to stop)."""
        with self._talking() as device:
            stream = device.shell(shlex.join(argv), stream=True)
        stream.conn.settimeout(None)  # open: its output may pause for minutes
        return stream

    def getprop(self, name: str) -> str:
        return self.shell(["getprop", name]).stdout.strip()

    def wait_for_boot(self, timeout: float, poll: float = 1.0) -> None:
        """Until `sys.boot_completed` is 1: an emulator answers adb long before that."""
        deadline = time.monotonic() + timeout
        while self.getprop("sys.boot_completed") != "1":
            if time.monotonic() > deadline:
                raise InfrastructureError(f"device {self.serial} did not finish booting within "
                                          f"{timeout:.0f} s")
            time.sleep(poll)

    def abis(self) -> list[str]:
        return [a for a in self.getprop("ro.product.cpu.abilist").split(",") if a]

    def install(self, apk: Path) -> None:
        """Push and `pm install -r -t`; a refusal is a UserError with pm's reason."""
        remote = str(DEVICE_TMP / apk.name)
        self.push(apk, remote)
        result = self.shell(["pm", "install", "-r", "-t", remote])
        self.shell(["rm", "-f", remote])
        if result.returncode != 0 or "Success" not in result.stdout:
            reason = result.output.strip().splitlines()[-1] if result.output.strip() else (
                f"pm exited with status {result.returncode}")
            raise InfrastructureError(f"installing {apk.name} on {self.serial} failed: {reason}")

    def uninstall(self, package: str) -> bool:
        return self.shell(["pm", "uninstall", package]).returncode == 0

    def installed(self, package: str) -> bool:
        out = self.shell(["pm", "list", "packages", package]).stdout
        return f"package:{package}" in out.split()

    def cpu_count(self) -> int | None:
        """The CPUs the device's kernel runs on (`nproc`, in toybox since
        Android 6), or None if it does not say."""
        try:
            out = self.shell(["nproc"], timeout=ANSWER_SECONDS).stdout.strip()
        except DeviceGone:
            return None
        return int_or_none(out, low=1, high=4096)

    def force_stop(self, package: str) -> None:
        self.shell(["am", "force-stop", package])

    def pid_of(self, package: str) -> int | None:
        """The app's PID, or None.  (`pidof` needs API level 24, as Python does.)"""
        out = self.shell(["pidof", "-s", package]).stdout.strip()
        # Some old devices exit 0 with no output when nothing matches.
        return int_or_none(out, low=1, high=MAX_PID)

    def push(self, local: Path, remote: str) -> None:
        with self._talking() as device:
            device.sync.push(local, remote, mode=0o644)

    def push_tree(self, local: Path, remote: PurePosixPath) -> None:
        """Replace `remote` with a copy of the directory `local`."""
        self.shell(["rm", "-rf", str(remote)])
        self.shell(["mkdir", "-p", str(remote)])
        for path in sorted(local.rglob("*")):
            target = remote / path.relative_to(local).as_posix()
            if path.is_dir():
                self.shell(["mkdir", "-p", str(target)])
            elif path.is_file() and "__pycache__" not in path.parts:
                self.push(path, str(target))

    def pull(self, remote: str, local: Path, as_app: str | None = None) -> bool:
        """Copy a device file here; False if it does not exist.  `as_app`: read it as
        that app, in its internal storage (pull_as_app)."""
        if as_app:
            return self.pull_as_app(remote, local, as_app)
        with self._talking() as device:
            info = device.sync.stat(remote)
            if info.mtime is None or not stat.S_ISREG(info.mode):
                return False
            local.parent.mkdir(parents=True, exist_ok=True)
            partial = local.with_name(local.name + ".partial")
            try:
                device.sync.pull_file(remote, partial)
                partial.replace(local)  # never leave a half-copied file under the real name
            finally:
                partial.unlink(missing_ok=True)
            return True

    def matching(self, shell_pattern: str, as_app: str | None = None) -> list[str]:
        """The device paths `shell_pattern` (already quoted for `sh -c`) names, read
        as the app `as_app` (`run-as`) when given; none when it matches nothing."""
        run_as = ["run-as", as_app] if as_app else []
        listing = self.shell([*run_as, "sh", "-c", f"ls -d -- {shell_pattern}"])
        # Paths only: ls's complaint about a pattern that matched nothing is not one.
        return [line for line in listing.stdout.splitlines() if line.startswith("/")]

    def pull_as_app(self, remote: str, local: Path, app_id: str) -> bool:
        """Copy a file of the app's internal storage here (`run-as APP cat`, the
        only way adb reads it without root); False if the app cannot read it."""
        command = shlex.join(["run-as", app_id, "cat", remote])
        with self._talking() as device:
            result = device.shell2(command, timeout=TRANSFER_SECONDS, encoding=None, v2=True)
        if result.returncode != 0:
            return False
        atomic_write(local, result.stdout, "--pull's copy")
        return True


def describe_devices(named: Sequence[DeviceAddress] = (),
                     env: Mapping[str, str] | None = None) -> list[str]:
    """`android.py devices`: one line per device: serial, state, what to do if
    unusable.  With servers named (ADB_SERVER_SOCKET, `--connected
    tcp:HOST:PORT/SERIAL`), the devices of those (the default server's only if
    named there or by a bare SERIAL, so a local server is not started for
    nothing), each written as --connected takes it; every server is asked
    before anything is shown."""
    env = os.environ if env is None else env
    default = Adb.from_environment(env)
    wanted = [default] if not named or env.get("ADB_SERVER_SOCKET") else []
    servers = list(dict.fromkeys([*wanted, *(default.of(address) for address in named)]))
    qualified = bool(env.get("ADB_SERVER_SOCKET")) or any(adb.named for adb in servers)
    listed = [(adb, adb.devices()) for adb in servers]
    advice = {"offline": "reconnect it or run `adb kill-server`",
              "unauthorized": "accept the USB debugging prompt on the device"}
    lines = []
    for adb, infos in listed:
        for info in infos:
            hint = f"  ({advice[info.state]})" if info.state in advice else ""
            where = DeviceAddress(adb.server, info.serial) if qualified else info.serial
            lines.append(f"{where}\t{info.state}{hint}")
        if qualified and not infos:
            lines.append(f"{adb.server}\tno devices attached")
    return lines or [f"no devices attached (adb server {default.server}, "
                     f"adb {default.executable})"]
