"""Gradle managed devices (`--managed NAME`): the `gradlew
NAMEDebugAndroidTest` command, and the Gradle half of a device session
(start Gradle, read its output, wait for the device it boots).  Moved
unchanged from runners/android.py."""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import testbed as tb
from ..devices import Device
from ..errors import InfrastructureError
from ..process import aio
from ..process.aio import AsyncProcess
from .base import Invocation
from .logcat import Item, OutputRouter

if TYPE_CHECKING:
    from .android import AndroidRunner
    from .device_session import Launch

GRADLE_GRACE_SECONDS = 10.0  # for Gradle to shut its managed emulator down before a kill


@dataclass(frozen=True)
class GradleLauncher:
    """`gradlew NAMEDebugAndroidTest` for a Gradle managed device."""

    testbed: Any  # testbed.Testbed
    device_name: str
    python_version: str
    ndk_version: str
    verbose: int
    env: dict[str, str]

    @property
    def project(self) -> Path:
        return self.testbed.project

    def command(self, launch: Launch, invocation: Invocation) -> list[str]:
        options = tb.GradleOptions(self.python_version, self.ndk_version,
                                   site_packages=invocation.site_packages, cwd=invocation.cwd)
        return tb.gradle_command(
            self.testbed, [f"{self.device_name}DebugAndroidTest"],
            tb.gradle_properties(self.testbed, options)
            + tb.instrumentation_properties(launch.extras), self.verbose)



class GradleSession:
    """What a `Session` does when its runner has a Gradle launcher."""

    runner: AndroidRunner
    launch: Launch
    output: OutputRouter
    device: Device | None
    process: AsyncProcess | None
    gradle_reader: asyncio.Task[None] | None
    queue: asyncio.Queue[tuple[str, Item]]

    async def drain_nowait(self) -> bool:
        raise NotImplementedError  # Session's

    async def start_gradle(self, invocation: Invocation) -> None:
        gradle = self.runner.gradle
        assert gradle is not None
        before = {d.serial for d in await asyncio.to_thread(self.runner.adb.devices)}
        command = gradle.command(self.launch, invocation)
        self.output.emit(f"> {shlex.join(command)}", "stdout", hidden=not self.output.verbose)
        self.process = await aio.start(command, cwd=gradle.project, env=gradle.env)
        self.gradle_reader = asyncio.create_task(self.read_gradle())
        self.output.emit("Waiting for the managed device: this may take several minutes", "stdout")
        self.device = await self.wait_for_new_device(before)

    async def read_gradle(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            await self.queue.put(("gradle", raw.decode("utf-8", "replace").rstrip("\r\n")))
        await self.process.wait()
        await self.queue.put(("gradle", None))

    async def wait_for_new_device(self, before: set[str]) -> Device:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.runner.options.startup_timeout
        while loop.time() < deadline:
            await self.drain_nowait()
            if self.process is not None and self.process.returncode is not None:
                raise InfrastructureError(
                    f"Gradle exited with status {self.process.returncode} before a managed "
                    "device appeared: run with -v to see its output")
            now = {d.serial for d in await asyncio.to_thread(self.runner.adb.devices)
                   if d.state == "device"}
            new = now - before
            if len(new) > 1:
                raise InfrastructureError(
                    f"more than one new device appeared: {', '.join(sorted(new))}")
            if new:
                serial = new.pop()
                self.output.emit(f"Serial: {serial}", "stdout")
                return Device(self.runner.adb, serial)
            await asyncio.sleep(1.0)
        raise InfrastructureError(f"no managed device appeared within "
                                  f"{self.runner.options.startup_timeout:.0f} s")
