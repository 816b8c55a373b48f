"""A device lost mid-run ends the runner's run with `DeviceGone`, and only a
lost device does (runners/device_loss.py): one case per way a device is lost,
against the ADB server double, whose "app" runs a real CPython.  Each run
prints a line every 0.1 s for 5 s; the device is lost after its third line.
The lines before the loss are streamed, and the loss is noticed within a
bounded time, not waited out."""

from __future__ import annotations

import asyncio
import time

import pytest

from cpython_android.devices import PROBE_SECONDS
from cpython_android.errors import DeviceGone, Loss
from cpython_android.runners import Invocation
from cpython_android.runners.android import AndroidOptions, create_android_runners
from support.devices import android_py, spec_for

pytestmark = pytest.mark.integration
SERIAL = "emulator-5554"
COUNTING = ("import time\nfor i in range(50):\n    print('line', i, flush=True)\n"
            "    time.sleep(0.1)\nprint('done')")
STALL = 2.0  # --stall-timeout for these tests


def run_until_lost(double, layout, tmp_path, code: str = COUNTING, **device):
    """Run `code` on a device told to be lost; (the DeviceGone, lines, seconds)."""
    fake = double.add_device(SERIAL, tmp_path / "dev", **device)
    [runner] = create_android_runners(spec_for(layout, SERIAL),
                                      AndroidOptions(stall_timeout=STALL))
    lines: list[tuple[str, str]] = []
    started = time.monotonic()
    with pytest.raises(DeviceGone) as error:
        asyncio.run(runner.run(Invocation(["-c", code]),
                               lambda line, stream: lines.append((stream, line))))
    assert error.value.serial == SERIAL
    assert fake.app_process is not None
    return error.value, lines, time.monotonic() - started


def assert_streamed(lines: list[tuple[str, str]], at_least: int) -> None:
    """Python's lines until the loss, as they came; the 3rd line's own logging
    races the loss (the double loses the device as it logs it)."""
    assert lines == [("stdout", f"line {i}") for i in range(len(lines))], lines
    assert at_least <= len(lines) <= 3, lines


@pytest.mark.parametrize("listed_as", ["gone", "offline"])
def test_a_device_that_vanishes(double, layout, build_python, tmp_path, listed_as) -> None:
    gone, lines, seconds = run_until_lost(double, layout, tmp_path, python=build_python,
                                          disconnect_after_lines=3, vanish_as=listed_as)
    assert gone.how is Loss.DISCONNECTED, gone
    assert f"device {SERIAL} disconnected" in str(gone)
    assert_streamed(lines, 2)
    assert seconds < 30


def test_a_device_whose_system_server_dies(double, layout, build_python, tmp_path) -> None:
    """adb still lists the device and it answers, but the app's process is gone
    without a result: `am instrument` says "System has crashed."."""
    gone, lines, seconds = run_until_lost(double, layout, tmp_path, python=build_python,
                                          system_crash_after_lines=3)
    assert gone.how is Loss.NO_RESULT, gone
    assert str(gone) == (f"device {SERIAL} ended the run without a result: the app's process "
                         "ended with no exit status and no crash, and `am instrument` aborted: "
                         "System has crashed.")
    assert_streamed(lines, 3)  # the device still streamed what was logged
    assert double.devices[SERIAL] in double.listed()
    assert seconds < 30


def test_a_device_that_hangs(double, layout, build_python, tmp_path) -> None:
    """Listed as "device", its sockets open, and silent: lost once the stall limit
    passed and `adb shell echo` got no answer either."""
    gone, lines, seconds = run_until_lost(double, layout, tmp_path, python=build_python,
                                          hang_after_lines=3)
    assert gone.how is Loss.STALLED, gone
    assert str(gone) == (f"device {SERIAL} stopped answering: no output for 2 s "
                         "(--stall-timeout), and `adb shell echo` got no answer within "
                         f"{PROBE_SECONDS:.0f} s")
    assert_streamed(lines, 2)
    assert STALL < seconds < STALL + PROBE_SECONDS + 20


def test_a_silent_python_on_an_answering_device_is_waited_for(double, layout, build_python,
                                                              tmp_path) -> None:
    """Silence longer than the stall limit is a python busy in a test
    (regrtest's --timeout's business) while the device answers."""
    double.add_device(SERIAL, tmp_path / "dev", python=build_python)
    [runner] = create_android_runners(spec_for(layout, SERIAL),
                                      AndroidOptions(stall_timeout=1.0))
    lines: list[tuple[str, str]] = []
    code = "import time; print('before', flush=True); time.sleep(4); print('after')"
    outcome = asyncio.run(runner.run(Invocation(["-c", code]),
                                     lambda line, stream: lines.append((stream, line))))
    assert outcome.returncode == 0, lines
    assert [("stdout", "before"), ("stdout", "after")] == [x for x in lines if x[0] == "stdout"]


def test_a_hung_device_is_one_line_and_exit_status_4(gnu_build, double, layout, build_python,
                                                     tmp_path) -> None:
    double.add_device(SERIAL, tmp_path / "dev", python=build_python, hang_after_lines=3)
    result = android_py(gnu_build, double, layout, "--connected", SERIAL, "--stall-timeout",
                        "2", "-c", COUNTING)
    assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]
    assert "line 1" in result.stdout.splitlines()
    assert result.stderr.strip().splitlines()[-1] == (
        f"android.py: error: device {SERIAL} stopped answering: no output for 2 s "
        f"(--stall-timeout), and `adb shell echo` got no answer within {PROBE_SECONDS:.0f} s")
