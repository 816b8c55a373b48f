"""Devices behind several adb servers (issue 28): `tcp:HOST:PORT/SERIAL` in
--connected, `devices` over every server named, each device reached through
its own server.  Two ADB server doubles on their own loopback ports stand in
for two machines' adb servers; the real `adb` binary checks the `-L` spelling
our messages tell users to paste."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpython_android.adb_address import AdbServer, DeviceAddress, default_server, parse_address
from cpython_android.devices import Adb
from cpython_android.errors import InfrastructureError, UserError
from cpython_android.layout import Layout
from support.adb_double import AdbDouble
from support.cli import needs, run_cli
from support.devices import ANDROID_HOST, fake_apks


@pytest.mark.parametrize("text, server, serial", [
    ("emulator-5554", None, "emulator-5554"),
    ("192.168.1.20:5555", None, "192.168.1.20:5555"),  # a device adb reaches over TCP
    ("tcp:build-host:5037/emulator-5554", AdbServer("build-host", 5037), "emulator-5554"),
    ("tcp:10.0.0.7:5038/R58M123", AdbServer("10.0.0.7", 5038), "R58M123"),
    ("tcp:[::1]:5039/emulator-5556", AdbServer("::1", 5039), "emulator-5556"),
    ("tcp:5040/emulator-5554", AdbServer("127.0.0.1", 5040), "emulator-5554"),
    ("tcp:h:5037/192.168.1.20:5555", AdbServer("h", 5037), "192.168.1.20:5555"),
])
def test_addresses_parse_and_print_as_given(text: str, server: AdbServer | None,
                                            serial: str) -> None:
    address = parse_address(text)
    assert address == DeviceAddress(server, serial)
    assert parse_address(str(address)) == address  # what we print, --connected takes back


@pytest.mark.parametrize("text, words", [
    ("tcp:host/", "names no device"),
    ("tcp:host:notaport/X", "the port 'notaport' is not a whole number from 1 to 65535"),
    ("tcp:host:0/X", "out of range"),
    ("tcp:host:65536/X", "out of range"),
    ("tcp:host/X", "names no port"),
    ("tcp::5037/X", "names no host"),
    ("tcp:a b:5037/X", "is not a host name"),
    ("tcp:host:5037/two words", "is not a serial"),
    ("host:5037/X", "write a device of another adb server as tcp:HOST:PORT/SERIAL"),
    ("tcp:host:" + "9" * 5000 + "/X", "5,000 characters"),
])
def test_malformed_addresses_say_what_to_write(text: str, words: str) -> None:
    with pytest.raises(UserError) as error:
        parse_address(text)
    assert words in str(error.value) and "\n" not in str(error.value)
    assert len(str(error.value)) < 300


def test_the_default_server_is_adbs() -> None:
    assert default_server({}) == AdbServer("127.0.0.1", 5037)
    assert default_server({"ANDROID_ADB_SERVER_PORT": "5038"}) == AdbServer("127.0.0.1", 5038)
    # adb prefers ADB_SERVER_SOCKET to ANDROID_ADB_SERVER_PORT: so do we.
    assert default_server({"ANDROID_ADB_SERVER_PORT": "5038",
                           "ADB_SERVER_SOCKET": "tcp:lab:6000"}) == AdbServer("lab", 6000)
    with pytest.raises(UserError, match="ADB_SERVER_SOCKET: 'localabstract:adb' is not an adb"):
        default_server({"ADB_SERVER_SOCKET": "localabstract:adb"})


@pytest.fixture
def two_servers(double: AdbDouble, tmp_path: Path) -> Iterator[tuple[AdbDouble, AdbDouble]]:
    """The default server (`double`) with emulator-5554, another with emulator-5556;
    each device says which one it is in a property."""
    double.add_device("emulator-5554", tmp_path / "a", props={"ro.product.model": "first"})
    with AdbDouble() as other:
        other.add_device("emulator-5556", tmp_path / "b", props={"ro.product.model": "second"})
        yield double, other


def test_each_device_through_its_own_server(two_servers: tuple[AdbDouble, AdbDouble]) -> None:
    first, second = two_servers
    adb = Adb.from_environment()
    there = parse_address(f"tcp:127.0.0.1:{second.port}/emulator-5556")
    assert adb.device_at(parse_address("emulator-5554")).getprop("ro.product.model") == "first"
    assert adb.device_at(there).getprop("ro.product.model") == "second"
    assert not any("emulator-5556" in r for r in first.requests)
    assert not any("emulator-5554" in r for r in second.requests)


def test_devices_lists_every_server_named(two_servers: tuple[AdbDouble, AdbDouble]) -> None:
    first, second = two_servers
    a, b = f"tcp:127.0.0.1:{first.port}", f"tcp:127.0.0.1:{second.port}"
    result = run_cli("devices", "--connected", f"emulator-5554,{b}/emulator-5556",
                     env=first.env)
    assert result.returncode == 0, result.stderr
    # Each line as --connected takes it back: the server, then the serial.
    assert result.stdout.splitlines() == [f"{a}/emulator-5554\tdevice",
                                          f"{b}/emulator-5556\tdevice"]
    asked = len(first.requests)
    result = run_cli("devices", "--connected", f"{b}/X", env=first.env)  # b's only
    assert (result.returncode, result.stdout.splitlines()) == (0, [f"{b}/emulator-5556\tdevice"])
    assert len(first.requests) == asked  # the default server, not named, was not asked
    result = run_cli("devices", env={**first.env, "ADB_SERVER_SOCKET": f"tcp:{second.port}"})
    assert (result.returncode, result.stdout.splitlines()) == (0, [f"{b}/emulator-5556\tdevice"])
    result = run_cli("devices", env=first.env)  # no server named: as it always was
    assert (result.returncode, result.stdout.splitlines()) == (0, ["emulator-5554\tdevice"])


@needs("adb")
def test_a_serial_the_named_server_lacks(two_servers: tuple[AdbDouble, AdbDouble],
                                         cpython_source: Path, tmp_path: Path) -> None:
    """As for the default server: one line, exit 4, naming what that server has,
    with the real adb command that lists it (adb's own -L spelling)."""
    first, second = two_servers
    fake_apks(Layout(tmp_path / "xb"))
    server = f"tcp:127.0.0.1:{second.port}"
    result = run_cli("--checkout", cpython_source, "--cross-build-dir", tmp_path / "xb",
                     "test", ANDROID_HOST, "--connected",
                     f"emulator-5554,{server}/emulator-5554", env=first.env, timeout=120)
    assert result.returncode == 4, result.stdout + result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    command = f"adb -L {server} devices"
    assert f"device emulator-5554 not found: `{command}` lists emulator-5556" in line
    # Only the ABIs were asked: nothing pushed or installed anywhere.
    assert all("getprop" in r for r in first.requests + second.requests if "shell" in r)
    assert not any(r.startswith("sync:") for r in first.requests + second.requests)
    listed = subprocess.run(command.split(), env=dict(os.environ, **first.env), timeout=30,
                            capture_output=True, text=True)
    assert [line for line in listed.stdout.splitlines()[1:] if line] == ["emulator-5556\tdevice"]


def test_devices_lists_nothing_when_a_named_server_is_not_there(
        two_servers: tuple[AdbDouble, AdbDouble]) -> None:
    """One line naming the server and what to do, exit 4; no partial listing."""
    first, _ = two_servers
    with socket.socket() as refusing:  # bound, not listening: connections are refused
        refusing.bind(("127.0.0.1", 0))
        for server in (f"tcp:127.0.0.1:{refusing.getsockname()[1]}", "tcp:unknown.invalid:5037"):
            result = run_cli("devices", "--connected", f"emulator-5554,{server}/emulator-5556",
                             env=first.env)
            assert (result.returncode, result.stdout) == (4, ""), result.stderr
            [line] = result.stderr.splitlines()
            assert f"no adb server answers at {server}: start one on that machine" in line


def test_an_unusable_device_of_a_named_server_is_named_by_its_address(
        two_servers: tuple[AdbDouble, AdbDouble], tmp_path: Path) -> None:
    """Every machine's first emulator is emulator-5554: the line says which one."""
    _, second = two_servers
    second.add_device("emulator-5554", tmp_path / "c", state="offline")
    address = parse_address(f"tcp:127.0.0.1:{second.port}/emulator-5554")
    with pytest.raises(InfrastructureError) as error:
        Adb.from_environment().device_at(address)
    assert str(error.value).startswith(f"device {address} is offline")
