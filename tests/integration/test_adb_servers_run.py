"""Devices behind several adb servers, as one pool (issue 28): `android.py test
HOST --connected tcp:HOST:PORT/SERIAL,...` end to end, two ADB server doubles
on their own loopback ports (two machines' adb servers), one device each,
whose "app" is the android-lab's real bionic python (x86_64, natively).

The default server (a third double, with no device) is never asked: each
device is reached through the server its address names, even when both
devices have the same serial."""

from __future__ import annotations

from pathlib import Path

import pytest
from junitparser import JUnitXml

from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from support.adb_double import AdbDouble
from support.cli import run_cli
from support.devices import fake_apks
from support.lab_fixtures import X86_64, LabBuild
from support.lab_runner import LabPython

pytestmark = [pytest.mark.lab, pytest.mark.integration]
FILES = ["test_bool", "test_zlib", "test_int", "test_bisect"]


def app_python(build: LabBuild) -> list[str]:
    return [str(LabPython(parse_host(build.host), build.prefix / "bin" / "python3.13",
                          build.lab.root).ensure_wrapper())]


def files_ran(device) -> list[str]:
    """The test files each `am instrument` of the suite was given."""
    return [arg for run in device.instrument_args if "--events" in run["pythonArgs"]
            for arg in run["pythonArgs"].split() if arg in FILES]


def test_two_servers_one_device_each(lab_x86_64: LabBuild, tmp_path: Path) -> None:
    layout = Layout(tmp_path / "xb")
    fake_apks(layout, X86_64)
    props = {"ro.product.cpu.abilist": "x86_64"}
    with AdbDouble() as default, AdbDouble() as first, AdbDouble() as second:
        a = first.add_device("emulator-5554", tmp_path / "a", python=app_python(lab_x86_64),
                             props=props)
        # Each machine's first emulator is emulator-5554: the address tells them apart.
        b = second.add_device("emulator-5554", tmp_path / "b", python=app_python(lab_x86_64),
                              props=props)
        where_a = f"tcp:127.0.0.1:{first.port}/emulator-5554"
        where_b = f"tcp:127.0.0.1:{second.port}/emulator-5554"
        junit = tmp_path / "out.xml"
        result = run_cli("--checkout", lab_x86_64.checkout, "--cross-build-dir", layout.root,
                         "test", X86_64, "--connected", f"{where_a},{where_b}", "--junit-xml",
                         junit, "--", *FILES, env=default.env, timeout=900)
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        assert default.requests == []
    ran_a, ran_b = files_ran(a), files_ran(b)
    assert ran_a and ran_b, (ran_a, ran_b)  # one pool: both devices took files
    assert sorted(ran_a + ran_b) == sorted(FILES)  # each file once
    suites = list(JUnitXml.fromfile(str(junit)))
    assert {case.classname.split(".")[1] for suite in suites for case in suite} == set(FILES)
    # The JUnit names the devices by their addresses, as they were given: the
    # run's, and each file's (the one that ran it).
    runners = {p.name: p.value for p in suites[0].properties()}["runners"]
    assert runners.split() == [where_a, where_b]
    ran_on = {suite.name: {p.name: p.value for p in suite.properties()}.get("device")
              for suite in suites}
    assert ran_on == {**dict.fromkeys(ran_a, where_a), **dict.fromkeys(ran_b, where_b)}
    # The output says which device (by its address) ran what.
    for where, files in ((where_a, ran_a), (where_b, ran_b)):
        shown = [line for line in result.stdout.splitlines() if line.startswith(f"[{where}]")]
        assert any(f in line for line in shown for f in files), result.stdout[-3000:]
