"""A test double of the adb server: the real smart-socket protocol on a loopback port.

Clients (adbutils, or the real `adb` binary with ANDROID_ADB_SERVER_PORT) talk
to it exactly as to `adb server`: a request is 4 hex digits of length plus the
text; the answer is OKAY or FAIL + a length-prefixed message.  Implemented:
host:version/kill/devices(-l)/features, host:transport:SERIAL, transport-any,
host:tport:serial:SERIAL, host-serial:SERIAL:(features|get-state|get-serialno),
then on the device: shell: and shell,v2: (stdout/stderr/exit packets), sync:
(STAT/LIST/SEND/RECV/DATA/DONE/QUIT) and exec:.

Each `FakeDevice` keeps files under a real directory (device path /x/y is
root/x/y), installed packages, properties and a logcat buffer.  Its "app"
behaves like the testbed: `am instrument` runs the testbed's own
android_testbed_main.py with a real python (the native build python or the
qemu wrapper), logs its stdout/stderr as `I/python.stdout` / `W/python.stderr`
for the app's PID, and reports the exit status as the Kotlin code does.  Its
internal storage is /data/user/0/PKG/files; external storage (/sdcard) is
noexec there as on a device: extension modules under it do not load.  Each
installed copy of the app (org.python.testbed, org.python.testbed.sN: the
testbed's flavors, installed from Gradle's file names) runs as its own
process: `am instrument` of PKG.test starts PKG's, `pidof PKG` finds it, its
data directories are PKG's own, and ActivityManager logs its start as on a
device.  A
device can be told to crash (SIGSEGV in the python, reported as `F/libc`), to
start slowly, to refuse installs, or to boot late; and to be lost mid-run in
each way a real one is (FakeDevice's `*_after_lines` fields): to vanish
(`disconnect`), to hang (`hang`), or to lose Android's system server
(`system_crash`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import socketserver
import stat
import struct
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTBED_MAIN = REPO / "testbed/app/src/main/python/android_testbed_main.py"
# The "app"'s python runs under Android's rule for external storage (no code
# loads from it): see android_storage_rules.py.
STORAGE_RULES = Path(__file__).resolve().parent / "android_storage_rules.py"
EXTERNAL_STORAGE = "/sdcard"
APP_ID = "org.python.testbed"
TEST_APP_ID = APP_ID + ".test"
SYSTEM_SERVER_PID = 522  # ActivityManager's lines come from system_server
SERVER_VERSION = 41  # Debian's adb 1.0.41 accepts a server of the same version
FEATURES = "shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,apex,abb,abb_exec"


@dataclass
class LogEntry:
    pid: int
    level: str
    tag: str
    message: str


@dataclass
class AppProcess:
    """One app's process: the python the "app" runs."""

    pid: int
    process: subprocess.Popen[bytes]
    running: bool = True  # the app's process exists (pidof finds it)


def package_of_apk(name: str) -> str:
    """The package Gradle's APK file name stands for (app-debug.apk, app-slot2-debug.apk,
    ...-androidTest.apk): a real pm reads the manifest."""
    slot = name.split("-")[1] if name.startswith("app-slot") else "slot0"
    app = APP_ID if slot == "slot0" else f"{APP_ID}.s{slot.removeprefix('slot')}"
    return app + ".test" if "androidTest" in name else app


@dataclass
class FakeDevice:
    serial: str
    root: Path  # the device's filesystem
    python: list[str] = field(default_factory=list)  # command that runs the "app"'s python
    state: str = "device"  # or "offline", "unauthorized"
    props: dict[str, str] = field(default_factory=dict)
    boot_after: float = 0.0  # seconds from creation until sys.boot_completed=1
    start_delay: float = 0.0  # seconds before the app process appears
    install_failure: str | None = None  # e.g. "INSTALL_FAILED_NO_MATCHING_ABIS: ..."
    # Lost mid-run, after the app logged this many lines (of its stdout and
    # stderr together), in one of three ways (the methods say what each does):
    disconnect_after_lines: int | None = None  # vanishes: `disconnect()`
    # Vanishes when the app logs a line holding this text (a test's name: the
    # device is lost in the middle of that test file, whichever run it is).
    disconnect_on: str | None = None
    hang_after_lines: int | None = None  # stops answering: `hang()`
    system_crash_after_lines: int | None = None  # its system server dies: `system_crash()`
    # What adb lists once the device vanished: "gone" (nothing, as when it is
    # unplugged or its emulator killed) or "offline".
    vanish_as: str = "gone"
    # The logger_entry version `logcat --binary` writes (1-4, as Android's
    # releases did); None: this logcat refuses --binary (only text).
    logcat_binary: int | None = 4
    packages: set[str] = field(default_factory=set)
    logcat: list[LogEntry] = field(default_factory=list)
    created: float = field(default_factory=time.monotonic)
    cpus: int = 2  # what `nproc` says
    apps: dict[str, AppProcess] = field(default_factory=dict)  # by package: the last started
    # An app that starts and ends between two `pidof` polls: pidof never sees it.
    app_too_quick: bool = False
    instrument_args: list[dict[str, str]] = field(default_factory=list)  # what ran, for tests
    instrumented: list[str] = field(default_factory=list)  # the package of each run
    connections: set[socket.socket] = field(default_factory=set)
    changed: threading.Condition = field(default_factory=threading.Condition)
    hung: bool = False  # see hang()
    system_crashed: bool = False  # see system_crash()

    def __post_init__(self) -> None:
        self.props.setdefault("ro.product.model", "Double")
        self.props.setdefault("ro.build.version.sdk", "34")
        self.props.setdefault("ro.product.cpu.abilist", "arm64-v8a")

    def path(self, device_path: str) -> Path:
        return self.root / device_path.lstrip("/")

    def log(self, pid: int, level: str, tag: str, message: str) -> None:
        with self.changed:
            self.logcat.append(LogEntry(pid, level, tag, message))
            self.changed.notify_all()

    def disconnect(self) -> None:
        """Vanish (unplugged, its emulator killed): the device leaves `host:devices`
        (or is listed "offline": `vanish_as`), every open connection to it
        drops, and its app stops."""
        with self.changed:
            self.state = self.vanish_as
            for conn in list(self.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.changed.notify_all()
        self.stop_app()

    def hang(self) -> None:
        """Stop answering without closing anything, as a frozen emulator: the
        app's process is stopped (SIGSTOP), open streams (logcat, `am
        instrument`) send nothing more, and new shell and sync requests get no
        answer, while adb still lists the device as "device".  `unhang()` ends it."""
        with self.changed:
            self.hung = True
            for app in self.apps.values():  # every app's process
                if app.process.poll() is None:
                    app.process.send_signal(signal.SIGSTOP)
            self.changed.notify_all()

    def unhang(self) -> None:
        with self.changed:
            self.hung = False
            for app in self.apps.values():
                if app.process.poll() is None:
                    app.process.send_signal(signal.SIGCONT)
            self.changed.notify_all()

    def wait_while_hung(self) -> None:
        """What a request to a hung device does: wait (until unhang() or a vanish)."""
        with self.changed:
            while self.hung and self.state == "device":
                self.changed.wait(0.5)
        if self.state != "device":
            raise Disconnected

    def system_crash(self) -> None:
        """Android's system server dies (python/cpython#142387's crash loop): the
        app's process is killed with no fatal signal logged, `am instrument`
        prints "INSTRUMENTATION_ABORTED: System has crashed." and ends without a
        result, and adb still lists the device and it answers."""
        self.system_crashed = True
        self.stop_app()

    def line_logged(self, count: int, line: str = "") -> bool:
        """The app logged its `count`th line: be lost as told; True if lost."""
        if self.disconnect_on is not None and self.disconnect_on in line:
            self.disconnect()
            return True
        for limit, lose in ((self.disconnect_after_lines, self.disconnect),
                            (self.hang_after_lines, self.hang),
                            (self.system_crash_after_lines, self.system_crash)):
            if limit is not None and count >= limit:
                lose()
                return True
        return False

    def stop_app(self, package: str | None = None) -> None:
        """`am force-stop PACKAGE`; every app's process when None."""
        for name, app in list(self.apps.items()):
            if package in (None, name):
                app.running = False
                if app.process.poll() is None:
                    app.process.kill()
                    app.process.wait()

    # The default app's process (org.python.testbed), as tests of one app look at it.
    @property
    def app_process(self) -> subprocess.Popen[bytes] | None:
        return self.apps[APP_ID].process if APP_ID in self.apps else None

    @property
    def app_running(self) -> bool:
        return APP_ID in self.apps and self.apps[APP_ID].running


class AdbDouble:
    """The server: `with AdbDouble() as adb: adb.add_device(...)`; clients use adb.port."""

    def __init__(self) -> None:
        self.devices: dict[str, FakeDevice] = {}
        # For devices added over the wire (double:add:SERIAL), as a managed one.
        self.new_device_root = Path("/nonexistent")
        self.new_device_options: dict[str, object] = {}
        self.requests: list[str] = []  # every request seen, for assertions
        double = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                Session(double, self.request).serve()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        # shutdown() waits for serve_forever's next poll: 0.05 s, not the default 0.5 s
        # every test using the double would pay at its end.
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def env(self) -> dict[str, str]:
        """Environment that points adb clients (adbutils and the adb binary) here."""
        return {"ANDROID_ADB_SERVER_PORT": str(self.port), "ANDROID_ADB_SERVER_HOST": "127.0.0.1"}

    def add_device(self, serial: str, root: Path, **kwargs) -> FakeDevice:
        device = FakeDevice(serial, root, **kwargs)
        root.mkdir(parents=True, exist_ok=True)
        self.devices[serial] = device
        return device

    def listed(self) -> list[FakeDevice]:
        return [d for d in self.devices.values() if d.state != "gone"]

    def __enter__(self) -> AdbDouble:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for device in self.devices.values():
            device.stop_app()
            device.unhang()  # its waiting requests end
        self.server.shutdown()
        self.server.server_close()


class Disconnected(Exception):
    pass


class Session:
    """One client connection: host requests, then at most one device service."""

    def __init__(self, double: AdbDouble, conn: socket.socket) -> None:
        self.double = double
        self.conn = conn
        self.device: FakeDevice | None = None

    # --- wire helpers ---------------------------------------------------------
    def recv_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.conn.recv(n - len(data))
            if not chunk:
                raise Disconnected
            data += chunk
        return data

    def request(self) -> str:
        size = int(self.recv_exact(4), 16)
        text = self.recv_exact(size).decode()
        self.double.requests.append(text)
        return text

    def okay(self, payload: str | None = None) -> None:
        data = b"OKAY"
        if payload is not None:
            data += b"%04x" % len(payload.encode()) + payload.encode()
        self.conn.sendall(data)

    def fail(self, message: str) -> None:
        self.conn.sendall(b"FAIL" + b"%04x" % len(message.encode()) + message.encode())

    # --- dispatch -----------------------------------------------------------------
    def serve(self) -> None:
        try:
            while True:
                if not self.host_request(self.request()):
                    return
        except (Disconnected, ConnectionError, OSError):
            pass
        finally:
            if self.device:
                self.device.connections.discard(self.conn)

    def host_request(self, req: str) -> bool:
        """Answer one request; False when the connection is done."""
        if self.device is not None:
            self.device_service(req)
            return False
        if req == "host:version":
            self.okay(f"{SERVER_VERSION:04x}")
        elif req == "host:kill":
            self.okay()
            threading.Thread(target=self.double.server.shutdown, daemon=True).start()
        elif req in ("host:devices", "host:devices-l"):
            lines = []
            for d in self.double.listed():
                extra = (f" product:double model:{d.props['ro.product.model']} device:double"
                         f" transport_id:{list(self.double.devices).index(d.serial) + 1}"
                         if req.endswith("-l") else "")
                lines.append(f"{d.serial}\t{d.state}{extra}\n" if not extra
                             else f"{d.serial}       {d.state}{extra}\n")
            self.okay("".join(lines))
        elif req.startswith(("double:add:", "double:remove:")):
            # Not adb: lets a test's fake Gradle plug a managed emulator in and out.
            _, action, serial = req.split(":", 2)
            if action == "add":
                self.double.add_device(serial, self.double.new_device_root / serial,
                                       **self.double.new_device_options)
            else:
                self.double.devices[serial].disconnect()
            self.okay()
        elif req in ("host:features", "host:host-features"):
            self.okay(FEATURES)
        elif req.startswith(("host:transport:", "host:tport:serial:", "host:transport-any",
                             "host:tport:any")):
            serial = req.rsplit(":", 1)[1] if "serial" in req or "transport:" in req else None
            if self.select(serial):
                self.okay()
                if req.startswith("host:tport"):
                    self.conn.sendall(struct.pack("<Q", 1))  # transport id
            return True
        elif req.startswith("host-serial:"):
            _, serial, command = req.split(":", 2)
            if self.select(serial):
                answers = {"features": FEATURES, "get-state": self.device.state,  # type: ignore
                           "get-serialno": serial, "get-devpath": "usb:double"}
                if command in answers:
                    self.okay(answers[command])
                else:
                    self.fail(f"unsupported host-serial command: {command}")
        else:
            self.fail(f"unknown host service: {req}")
        return False

    def select(self, serial: str | None) -> bool:
        listed = self.double.listed()
        if serial is None:
            if len(listed) != 1:
                self.fail("no devices/emulators found" if not listed
                          else "more than one device/emulator")
                return False
            device = listed[0]
        else:
            found = [d for d in listed if d.serial == serial]
            if not found:
                self.fail(f"device '{serial}' not found")
                return False
            device = found[0]
        if device.state == "offline":
            self.fail("device offline")
            return False
        if device.state == "unauthorized":
            self.fail("device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\n"
                      "Try 'adb kill-server' if that seems wrong.\nOtherwise check for a "
                      "confirmation dialog on your device.")
            return False
        self.device = device
        device.connections.add(self.conn)
        return True

    def device_service(self, req: str) -> None:
        assert self.device is not None
        self.device.wait_while_hung()  # a hung device never answers
        if req == "sync:":
            self.okay()
            Sync(self.device, self).serve()
        elif req.startswith(("shell", "exec:")):
            service, _, command = req.partition(":")
            v2 = "v2" in service.split(",")
            self.okay()
            Shell(self.device, self, v2).run(command)
        else:
            self.fail(f"unknown device service: {req}")


class Shell:
    """The few shell commands the harness uses, as Android's toybox answers them."""

    def __init__(self, device: FakeDevice, session: Session, v2: bool) -> None:
        self.device = device
        self.session = session
        self.v2 = v2
        self.as_app = False  # inside `run-as PKG`

    #: Apps' private data: adb's shell user cannot read it; `run-as PKG` can.
    PRIVATE = ("/data/user/0/", "/data/data/")

    def readable(self, device_path: str) -> bool:
        return self.as_app or not device_path.startswith(self.PRIVATE)

    def write(self, text: str | bytes, stream: int = 1) -> None:
        data = text.encode() if isinstance(text, str) else text
        if self.v2:
            data = struct.pack("<BI", stream, len(data)) + data
        self.session.conn.sendall(data)

    def finish(self, status: int) -> None:
        if self.v2:
            self.session.conn.sendall(struct.pack("<BIB", 3, 1, status))
        self.session.conn.close()

    def run(self, command: str) -> None:
        # adbutils' shell2 without v2 appends this to learn the exit status.
        marker = "; echo X4EXIT:$?"
        echo_status = command.endswith(marker)
        argv = shlex.split(command.removesuffix(marker))
        handler: Callable[[list[str]], int] = getattr(
            self, "cmd_" + (argv[0] if argv else "").replace("-", "_"), self.cmd_unknown)
        try:
            status = handler(argv)
        except (Disconnected, OSError):
            return
        if echo_status:
            self.write(f"X4EXIT:{status}\n")
        self.finish(status)

    def cmd_unknown(self, argv: list[str]) -> int:
        self.write(f"/system/bin/sh: {argv[0] if argv else ''}: inaccessible or not found\n", 2)
        return 127

    def cmd_sh(self, argv: list[str]) -> int:
        """`sh -c SCRIPT`: one simple command (globs are expanded by `ls`, below)."""
        if argv[1:2] != ["-c"] or len(argv) < 3:
            return self.cmd_unknown(argv)
        inner = shlex.split(argv[2])
        handler = getattr(self, "cmd_" + (inner[0] if inner else "").replace("-", "_"),
                          self.cmd_unknown)
        return handler(inner)

    def cmd_run_as(self, argv: list[str]) -> int:
        """`run-as PKG COMMAND...`: the command as the (debuggable) app's user."""
        if len(argv) < 3 or argv[1] not in self.device.packages:
            self.write(f"run-as: unknown package: {argv[1] if len(argv) > 1 else ''}\n", 2)
            return 1
        self.as_app = True
        inner = argv[2:]
        handler = getattr(self, "cmd_" + inner[0].replace("-", "_"), self.cmd_unknown)
        return handler(inner)

    def cmd_cat(self, argv: list[str]) -> int:
        status = 0
        for name in argv[1:]:
            path = self.device.path(name)
            if not self.readable(name):
                self.write(f"cat: {name}: Permission denied\n", 2)
                status = 1
            elif not path.is_file():
                self.write(f"cat: {name}: No such file or directory\n", 2)
                status = 1
            else:
                self.write(path.read_bytes())
        return status

    def cmd_ls(self, argv: list[str]) -> int:
        """`ls -d PATTERN...` as the device's shell would expand the globs."""
        status = 0
        for pattern in (a for a in argv[1:] if not a.startswith("-")):
            if not self.readable(pattern):
                self.write(f"ls: {pattern}: Permission denied\n", 2)
                status = 1
                continue
            root = self.device.root
            matches = sorted(root.glob(pattern.lstrip("/")))
            if not matches:
                self.write(f"ls: {pattern}: No such file or directory\n", 2)
                status = 1
            for match in matches:
                self.write(f"/{match.relative_to(root).as_posix()}\n")
        return status

    def cmd_getprop(self, argv: list[str]) -> int:
        d = self.device
        props = dict(d.props)
        props["sys.boot_completed"] = "1" if time.monotonic() - d.created >= d.boot_after else ""
        self.write(props.get(argv[1], "") + "\n" if len(argv) > 1 else
                   "".join(f"[{k}]: [{v}]\n" for k, v in props.items()))
        return 0

    def cmd_echo(self, argv: list[str]) -> int:
        self.write(" ".join(argv[1:]) + "\n")
        return 0

    def cmd_pidof(self, argv: list[str]) -> int:
        d = self.device
        app = d.apps.get(argv[-1])
        if app is not None and app.running and not d.app_too_quick:
            self.write(f"{app.pid}\n")
            return 0
        return 1

    def cmd_nproc(self, argv: list[str]) -> int:
        self.write(f"{self.device.cpus}\n")
        return 0

    def cmd_rm(self, argv: list[str]) -> int:
        for name in (a for a in argv[1:] if not a.startswith("-")):
            path = self.device.path(name)
            if path.is_dir() and "-r" in "".join(argv[1:]):
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        return 0

    def cmd_mkdir(self, argv: list[str]) -> int:
        for name in (a for a in argv[1:] if not a.startswith("-")):
            self.device.path(name).mkdir(parents=True, exist_ok=True)
        return 0

    def cmd_pm(self, argv: list[str]) -> int:
        d = self.device
        if argv[1] == "install":
            apk = argv[-1]
            if not d.path(apk).is_file():
                self.write(f"Failure [INSTALL_FAILED_INVALID_URI: file {apk} not found]\n")
                return 1
            if d.install_failure:
                self.write(f"Failure [{d.install_failure}]\n")
                return 1
            # A real pm reads the manifest; the double goes by Gradle's file names.
            d.packages.add(package_of_apk(apk.rsplit("/", 1)[-1]))
            self.write("Success\n")
            return 0
        if argv[1] == "uninstall":
            if argv[-1] in d.packages:
                d.packages.discard(argv[-1])
                self.write("Success\n")
                return 0
            self.write("Failure [DELETE_FAILED_INTERNAL_ERROR]\n")
            return 1
        if argv[1:3] == ["list", "packages"]:
            self.write("".join(f"package:{p}\n" for p in sorted(d.packages)))
            return 0
        return self.cmd_unknown(argv)

    def cmd_am(self, argv: list[str]) -> int:
        if argv[1] == "force-stop":
            self.device.stop_app(argv[2])
            return 0
        if argv[1] == "instrument":
            return Instrumentation(self.device, self).run(argv[2:])
        return self.cmd_unknown(argv)

    def cmd_logcat(self, argv: list[str]) -> int:
        d = self.device
        if "-c" in argv or "--clear" in argv:
            with d.changed:
                d.logcat.clear()
            return 0
        pid = int(argv[argv.index("--pid") + 1]) if "--pid" in argv else None
        dump = "-d" in argv
        binary = "--binary" in argv or "-B" in argv
        if binary and d.logcat_binary is None:
            self.write("logcat: unrecognized option '--binary'\nUsage: logcat [options] "
                       "[filterspecs]\n", 2)
            return 1
        sent = 0
        while True:
            with d.changed:
                while ((sent >= len(d.logcat) or d.hung) and d.state == "device"
                       and not dump):
                    d.changed.wait(0.5)
                entries, sent = d.logcat[sent:], len(d.logcat)
                if d.state != "device":
                    raise Disconnected
            for e in entries:
                if pid is None or e.pid == pid:
                    self.write(logger_entry(e, d.logcat_binary) if binary and d.logcat_binary
                               else tag_format(e))
            if dump:
                return 0


PRIORITIES = {"V": 2, "D": 3, "I": 4, "W": 5, "E": 6, "F": 7}


def logger_entry(e: LogEntry, version: int) -> bytes:
    """`struct logger_entry` as AOSP's log/log_read.h lays it out, little-endian:
    u16 len, u16 hdr_size (v1: padding, 0), i32 pid, u32 tid, u32 sec, u32 nsec,
    then v2 u32 euid / v3 u32 lid / v4 u32 lid + u32 uid; the payload is the
    priority byte, tag NUL, message NUL."""
    payload = bytes([PRIORITIES[e.level]]) + e.tag.encode() + b"\0" + e.message.encode() + b"\0"
    now = time.time()
    common = struct.pack("<iIII", e.pid, e.pid + 1, int(now), int(now % 1 * 1e9))
    extra = {1: b"", 2: struct.pack("<I", 10123), 3: struct.pack("<I", 0),
             4: struct.pack("<II", 0, 10123)}[version]
    hdr_size = 0 if version == 1 else 4 + len(common) + len(extra)
    return struct.pack("<HH", len(payload), hdr_size) + common + extra + payload


def tag_format(e: LogEntry) -> str:
    """`logcat -v tag`: each line of a message under its own prefix (so a
    multi-line message cannot be told from several messages)."""
    lines = e.message.rstrip("\n").split("\n")
    return "".join(f"{e.level}/{e.tag}: {line}\n" for line in lines)


class Instrumentation:
    """`am instrument -w -r -e KEY VALUE ... PKG.test/RUNNER`: runs the testbed's python."""

    def __init__(self, device: FakeDevice, shell: Shell) -> None:
        self.device = device
        self.shell = shell

    def status(self, code: int, **values: str) -> None:
        self.shell.write("".join(f"INSTRUMENTATION_STATUS: {k}={v}\n" for k, v in values.items())
                         + f"INSTRUMENTATION_STATUS_CODE: {code}\n")

    def run(self, argv: list[str]) -> int:
        d = self.device
        extras = {argv[i + 1]: argv[i + 2] for i, a in enumerate(argv) if a == "-e"}
        component = argv[-1]
        package = component.split("/")[0].removesuffix(".test")  # the app PKG.test drives
        if f"{package}.test" not in d.packages or package not in d.packages:
            self.shell.write(
                f"INSTRUMENTATION_STATUS: Error=Unable to find instrumentation info for: "
                f"ComponentInfo{{{component}}}\nINSTRUMENTATION_STATUS_CODE: -1\n"
                f"android.util.AndroidException: INSTRUMENTATION_FAILED: {component}\n")
            return 1
        d.instrument_args.append(extras)
        d.instrumented.append(package)
        d.system_crashed = False  # the system server is back (to die again, if told)
        time.sleep(d.start_delay)
        started = time.monotonic()
        self.status(1, test="testPython", **{"class": "org.python.testbed.PythonSuite"})
        app = self.start_app(package, extras)
        process, pid = app.process, app.pid
        d.log(pid, "I", "TestRunner", "started: testPython(org.python.testbed.PythonSuite)")
        lines = 0

        def pump(stream, level: str, tag: str) -> None:
            # As CPython's _android_support: one message per line of what was
            # written, ending in its newline; a write that ends mid-line is a
            # message of its own.
            nonlocal lines
            while chunk := os.read(stream.fileno(), 65536):
                for piece in chunk.decode(errors="replace").splitlines(keepends=True):
                    d.log(pid, level, tag, piece)
                    lines += piece.endswith("\n")
                    if d.line_logged(lines, piece):
                        return

        pumps = [threading.Thread(target=pump, args=(process.stdout, "I", "python.stdout")),
                 threading.Thread(target=pump, args=(process.stderr, "W", "python.stderr"))]
        for t in pumps:
            t.start()
        status = process.wait()
        for t in pumps:
            t.join()
        if d.state != "device" or d.hung:
            raise Disconnected  # nothing more is said
        if d.system_crashed:
            self.shell.write("INSTRUMENTATION_ABORTED: System has crashed.\n")
            return 0
        if status < 0:  # a native crash: Android's debuggerd reports it, the process dies
            sig = signal.Signals(-status)
            d.log(pid, "F", "libc", f"Fatal signal {-status} ({sig.name}), code 1 (SEGV_MAPERR)"
                  f" in tid {pid} ({package}), pid {pid} ({package})")
            app.running = False
            self.shell.write("INSTRUMENTATION_RESULT: shortMsg=Process crashed.\n"
                             "INSTRUMENTATION_CODE: 0\n")
            return 0
        d.log(pid, "I", "python.testbed", f"Python exited with status {status}")
        d.log(pid, "I", "TestRunner", "finished: testPython(org.python.testbed.PythonSuite)")
        self.status(2, pythonExitStatus=str(status))
        self.status(0 if status == 0 else -2, test="testPython")
        time.sleep(max(0.0, 2.0 - (time.monotonic() - started)))  # as PythonSuite.kt does
        app.running = False
        self.shell.write(f"INSTRUMENTATION_RESULT: stream=\n\nTime: 0.1\n\n"
                         f"{'OK (1 test)' if status == 0 else 'FAILURES!!!'}\n\n"
                         "INSTRUMENTATION_CODE: -1\n")
        return 0

    def start_app(self, package: str, extras: dict[str, str]) -> AppProcess:
        """PACKAGE's process, with PACKAGE's own data directories."""
        d = self.device
        files = d.path(f"/data/user/0/{package}/files")
        cwd = d.path(extras["pythonCwd"]) if "pythonCwd" in extras else files / "python/cwd"
        cwd.mkdir(parents=True, exist_ok=True)
        args = " ".join(self.on_device(a) for a in shlex.split(extras.get("pythonArgs", "")))
        env = dict(os.environ, PYTHON_MODE=extras["pythonMode"],
                   PYTHON_MODULE=extras["pythonModule"], PYTHON_ARGS=args,
                   PYTHON_CWD=str(cwd), PYTHON_ENV=extras.get("pythonEnv", ""),
                   PYTHON_FILES_DIR=str(files), PYTHONUNBUFFERED="1",
                   TMPDIR=str(files / "tmp"))
        if "pythonSitePackages" in extras:
            env["PYTHON_SITE_PACKAGES"] = str(d.path(extras["pythonSitePackages"]))
        (files / "tmp").mkdir(parents=True, exist_ok=True)
        # Context.getExternalFilesDir(), as MainActivity.kt calls it.
        d.path(f"/sdcard/Android/data/{package}/files").mkdir(parents=True, exist_ok=True)
        options = extras.get("pythonOptions", "").split()  # the app splits them on spaces
        process = subprocess.Popen([*d.python, "-u", *options, str(STORAGE_RULES),
                                    str(d.path(EXTERNAL_STORAGE)), str(TESTBED_MAIN)],
                                   env=env, cwd=cwd,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        app = d.apps[package] = AppProcess(process.pid, process)
        d.log(SYSTEM_SERVER_PID, "I", "ActivityManager", f"Start proc {process.pid}:{package}/"
              f"u0a{190 + len(d.apps)} for added application {package}")
        return app

    def on_device(self, arg: str) -> str:
        """Device paths in arguments name files under the double's root."""
        if arg.startswith(("/sdcard/", "/data/", "/storage/")):
            return shlex.quote(str(self.device.path(arg)))
        return shlex.quote(arg)


class Sync:
    """The sync: sub-protocol: 4-byte id, little-endian length, payload."""

    def __init__(self, device: FakeDevice, session: Session) -> None:
        self.device = device
        self.session = session

    def send(self, ident: bytes, payload: bytes = b"", *, length: int | None = None) -> None:
        size = len(payload) if length is None else length
        self.session.conn.sendall(ident + struct.pack("<I", size) + payload)

    def serve(self) -> None:
        while True:
            ident = self.session.recv_exact(4)
            size = struct.unpack("<I", self.session.recv_exact(4))[0]
            if ident == b"QUIT":
                return
            arg = self.session.recv_exact(size).decode()
            if ident == b"STAT":
                self.stat(arg)
            elif ident == b"LIST":
                self.list(arg)
            elif ident == b"SEND":
                self.receive_file(arg)
            elif ident == b"RECV":
                self.send_file(arg)
            else:
                self.send(b"FAIL", b"unknown sync command")
                return

    def stat(self, name: str) -> None:
        path = self.device.path(name)
        if not path.exists() or name.startswith(Shell.PRIVATE):  # adb's user reads no app's data
            self.session.conn.sendall(b"STAT" + struct.pack("<III", 0, 0, 0))
            return
        st = path.stat()
        self.session.conn.sendall(b"STAT" + struct.pack("<III", st.st_mode, st.st_size,
                                                        int(st.st_mtime)))

    def list(self, name: str) -> None:
        path = self.device.path(name)
        for child in sorted(path.iterdir()) if path.is_dir() else []:
            st = child.stat()
            encoded = child.name.encode()
            self.session.conn.sendall(b"DENT" + struct.pack(
                "<IIII", st.st_mode, st.st_size, int(st.st_mtime), len(encoded)) + encoded)
        self.send(b"DONE", length=0)

    def receive_file(self, arg: str) -> None:
        name, _, mode = arg.rpartition(",")
        path = self.device.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            while True:
                ident = self.session.recv_exact(4)
                size = struct.unpack("<I", self.session.recv_exact(4))[0]
                if ident == b"DONE":
                    break
                f.write(self.session.recv_exact(size))
        path.chmod(stat.S_IMODE(int(mode)) or 0o644)
        self.send(b"OKAY", length=0)

    def send_file(self, name: str) -> None:
        path = self.device.path(name)
        if name.startswith(Shell.PRIVATE):
            self.send(b"FAIL", b"Permission denied")
            return
        if not path.is_file():
            self.send(b"FAIL", b"No such file or directory")
            return
        with open(path, "rb") as f:
            while chunk := f.read(64 * 1024):
                self.send(b"DATA", chunk)
        self.send(b"DONE", length=0)
