"""From parsed options to what the library takes: the build context, and
where `test` runs (one typed `Target`, made here and nowhere else)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .. import context, host_inference, testbed
from ..adb_address import DeviceAddress
from ..console import Console
from ..deps import DepsOptions
from ..hosts import Host
from ..hostsettings import Use
from ..runners import Connected, Registered, RunnerSpec, Target, TargetKind, target_of
from . import options as opt


def context_of(args: argparse.Namespace, console: Console, *, native_ok: bool = False,
               settings: Use = Use.REQUIRE, host: str | None = None) -> context.BuildContext:
    """The context; `host` overrides args.host (a `build` target's hosts)."""
    return context.make_context(
        console=console, checkout=args.checkout, cross_build_dir=args.cross_build_dir,
        script_dir=args.script_dir, host=host or args.host, api_level=args.api_level,
        configure_args=args.configure_args, clean=args.clean, jobs=args.jobs,
        ndk_version=args.ndk_version, ccache=args.ccache, deps=opt.pick(DepsOptions, args),
        native_ok=native_ok, settings=settings, disable_gil=args.disable_gil)


def target_from(args: argparse.Namespace, host: Host | None,
                serials: Sequence[DeviceAddress] | None = None) -> Target:
    """The one place the options become where to run (`serials`: the devices
    inferred for `host`, else --connected's)."""
    kinds: Sequence[TargetKind] = args.target_kinds
    registered = next((Registered(kind, getattr(args, kind.dest)) for kind in kinds
                       if getattr(args, kind.dest, None) is not None), None)
    return target_of(host, connected=args.connected if serials is None else serials,
                     managed=args.managed, avd=args.avd, registered=registered)


def test_contexts(args: argparse.Namespace, console: Console
                  ) -> list[tuple[context.BuildContext, Target]]:
    """HOST's context and target, or (no HOST, as upstream's `test`) each inferred
    host's context with the devices that run it."""
    if args.host is not None:
        ctx = context_of(args, console, native_ok=True)
        target = target_from(args, ctx.host)  # the options' own check first
        host = ctx.host
        if isinstance(target, Connected) and host is not None and host.is_android:
            given = host_inference.probe(ctx.layout.root, (), package_host=None,
                                         connected=target.addresses, emulator=None)
            host_inference.check_given(host.triplet, given)
        return [(ctx, target)]
    base = context_of(args, console)
    emulator = f"--managed {args.managed}" if args.managed else (
        f"--avd {args.avd}" if args.avd else None)
    facts = host_inference.probe(base.layout.root, base.layout.installed_hosts(),
                                 package_host=base.checkout.package_host,
                                 connected=args.connected, emulator=emulator)
    choice = host_inference.choose(facts)
    console.write("\n".join(host_inference.describe(choice, facts)))
    contexts = [context_of(args, console, host=host) for host in choice]
    return [(ctx, target_from(args, ctx.host, serials))
            for ctx, serials in zip(contexts, choice.values(), strict=True)]


def runner_spec(args: argparse.Namespace, ctx: context.BuildContext) -> RunnerSpec:
    return RunnerSpec(host=ctx.host, layout=ctx.layout, python_version=ctx.checkout.short_version,
                      verbose=args.verbose, target=target_from(args, ctx.host),
                      ndk_version=ctx.toolchain_options.ndk_version,
                      console=ctx.console, testbed_project=testbed.find_project(ctx.checkout))
