"""The `deps` step: make the host prefix hold every library the host needs,
from prebuilt archives (Android) or built from source (`--deps-from-source`).

Each library is done or not done: files are prepared in a staging directory
(an extracted archive, or a build's DESTDIR), moved into the prefix, and only
then is its manifest written.  An interrupted run leaves no manifest, so the
next run does that library again from the start; nothing needs cleaning by hand.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import context
from ..context import BuildContext
from ..errors import InfrastructureError, UserError
from ..hosts import Host
from ..layout import TREE_MARKER
from ..process import run_logged
from ..safefiles import contained
from . import builders, confine, manifest
from .extract import Damaged, extract_to, single_top_dir
from .fetch import Verifier, default_cache_dir, download
from .lock import LockFile
from .manifest import Manifest
from .options import DepsOptions
from .pins import Library, Pins, load


@dataclass
class Deps:
    """One run of the deps step over a build context."""

    ctx: BuildContext
    options: DepsOptions
    pins: Pins
    verifier: Verifier

    @property
    def host(self) -> Host:
        return self.ctx.require_host()

    @property
    def prefix(self) -> Path:
        return self.ctx.layout.prefix(self.host).resolve()

    @property
    def cache_dir(self) -> Path:
        return self.options.cache_dir or default_cache_dir()

    def work_dir(self, library: str) -> Path:
        root = self.ctx.layout.host_dir(self.host).resolve() / "deps"
        return contained(root, self.ctx.layout.deps_work_dir(self.host, library),
                         "the work directory of library")

    # --- what we want ---------------------------------------------------------

    def why_source(self, library: Library) -> str | None:
        """Why the library is built from source here, or None (prebuilt)."""
        if self.options.from_source:
            return "--deps-from-source"
        if self.host.triplet in library.prebuilt_unusable:
            return f"not prebuilt for {self.host}: {library.prebuilt_unusable[self.host.triplet]}"
        return None

    def why(self, library: Library) -> str:
        """Where the library comes from, and why: for `deps`' summary."""
        return self.why_source(library) or "BeeWare's pinned prebuilt archive for Android"

    def wanted(self, library: Library) -> Manifest:
        if self.why_source(library) is not None:
            src = self.pins.source(library)
            return Manifest(library.name, src.version, "source", src.archive, src.sha256,
                            recipe=builders.recipe_id())
        pre = self.pins.prebuilt(library, self.host, self.options.mirror)
        sha = pre.sha256 or self.verifier.lock.get(pre.archive)
        return Manifest(library.name, pre.version, "prebuilt", pre.archive, sha, pre.url)

    # --- getting archives -----------------------------------------------------

    def prebuilt_archive(self, want: Manifest, pinned: str) -> tuple[Path, str]:
        """The verified prebuilt archive and its sha256."""
        self.verifier.check_allowed(want.archive, pinned)
        if self.options.deps_dir:
            path = contained(self.options.deps_dir, self.options.deps_dir / want.archive,
                             "the archive")
            if not path.is_file():
                raise UserError(f"{want.archive} is not in {self.options.deps_dir}: download "
                                f"it from {want.url}, or drop --deps-dir")
            return path, self.verifier.verify(path, want.archive, pinned, from_cache=False)
        path = contained(self.cache_dir, self.cache_dir / want.archive, "the download")
        if path.is_file():
            self.ctx.console.write(f"    using cached {path}")
        else:
            with self.ctx.console.step(f"download {want.archive}"):
                self.ctx.console.write(f"    from {want.url}")
                download(want.url, path, say=self.ctx.console.write)
        return path, self.verifier.verify(path, want.archive, pinned, from_cache=True)

    def source_places(self) -> list[Path]:
        return [*self.options.source_dirs,
                *([self.options.deps_dir] if self.options.deps_dir else []),
                self.cache_dir / "sources"]

    def require_source(self, want: Manifest) -> Path:
        """Where the library's source archive is; one line saying how to get it if not."""
        for place in self.source_places():
            if (place / want.archive).is_file():
                return place / want.archive
        library = self.pins.libraries[want.library]
        source = self.pins.source(library)
        why = self.why_source(library)
        because = (f"{want.library} is built from source ({why}), but its "
                   if why != "--deps-from-source" else "")
        raise UserError(
            f"{because}source archive {want.archive} for {want.library} is not in "
            f"{', '.join(map(str, self.source_places()))}: put it (upstream's release, also "
            f"the .orig tarball of Debian's {source.debian} source package) in a directory "
            "and pass --deps-source DIR")

    def source_archive(self, want: Manifest) -> tuple[Path, str]:
        path = self.require_source(want)
        in_cache = path.parent == self.cache_dir / "sources"
        return path, self.verifier.verify(path, want.archive, want.sha256, from_cache=in_cache)

    # --- installing -----------------------------------------------------------

    def commit(self, staged: Path, want: Manifest, sha: str) -> Manifest:
        """Check the staged tree against the prefix (confine.plan), then move
        it in and write the manifest; refused: nothing moves."""
        old = manifest.read(self.prefix, want.library)
        mine = manifest.read_journal(self.prefix, want.library) | set(old.files if old else ())
        try:
            dirs, files = confine.plan(staged, self.prefix, mine,
                                       manifest.owners(self.prefix, want.library))
        except confine.Refused as e:
            raise confine.refuse(want.archive, e) from None
        manifest.write_journal(self.prefix, want.library, mine | set(files))
        manifest.remove(self.prefix, want.library)
        confine.move(staged, self.prefix, dirs, files)
        confine.remove_files(self.prefix, mine - set(files))
        done = Manifest(want.library, want.version, want.origin, want.archive, sha, want.url,
                        want.recipe, tuple(files))
        manifest.write(self.prefix, done)
        manifest.remove_journal(self.prefix, want.library)
        return done

    def install_prebuilt(self, library: Library, want: Manifest) -> Manifest:
        pinned = self.pins.prebuilt(library, self.host, self.options.mirror).sha256
        archive, sha = self.prebuilt_archive(want, pinned)
        context.make_host_tree(self.ctx)
        work = self.work_dir(library.name)
        staging = work / "staging"
        with self.ctx.console.step(f"deps {library.name} {want.version} (prebuilt)"):
            try:
                extract_to(archive, staging)
                done = self.commit(staging, want, sha)
            except Damaged as e:
                self.discard(work)
                if archive.parent != self.cache_dir:
                    raise UserError(f"{e}: replace {archive}") from None
                archive.unlink(missing_ok=True)  # never reuse a damaged download
                raise InfrastructureError(f"{e}; the cached copy was removed: run again to "
                                          "download it again") from None
            except BaseException:
                self.discard(work)
                raise
        self.verifier.remember(want.archive, pinned, sha, want.url)
        self.discard(work)
        return done

    def discard(self, work: Path) -> None:
        """Remove a library's work directory, HOST/deps once it is empty, and
        HOST once only its marker is left."""
        shutil.rmtree(work, ignore_errors=True)
        host_dir = work.parent.parent
        try:
            work.parent.rmdir()
            if [p.name for p in host_dir.iterdir()] == [TREE_MARKER]:
                (host_dir / TREE_MARKER).unlink()
                host_dir.rmdir()
        except OSError:
            pass  # other libraries' work, or other content (or it is already gone)

    def build_from_source(self, library: Library, want: Manifest) -> Manifest:
        archive, sha = self.source_archive(want)
        source = self.pins.source(library)
        build = builders.builder(source.builder)  # unknown builder: fail before work
        toolchain = self.ctx.toolchain()
        env = builders.compile_env(context.host_environment(self.ctx, toolchain))
        context.make_host_tree(self.ctx)
        work = self.work_dir(library.name)
        if work.exists():  # what an interrupted or failed run left: start afresh
            shutil.rmtree(work)
        log = self.ctx.layout.log_path(f"deps-{library.name}", self.host)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        with self.ctx.console.step(f"deps {library.name} {want.version} (from source)",
                                   log) as step:
            extract_to(archive, work / "src")
            tree = single_top_dir(work / "src")

            def run(command: list[str], cwd: Path | None = None) -> None:
                run_logged(command, step=step, log_path=log, cwd=cwd or tree, env=env,
                                 append=True)

            job = builders.BuildJob(
                library=library.name, version=want.version, host=self.host, tree=tree,
                prefix=self.prefix, destdir=work / "destdir", env=env, jobs=self.ctx.jobs,
                build_triplet=context.build_triplet(self.ctx.checkout), run=run,
                ndk_dir=getattr(toolchain, "ndk_dir", None))
            build(job)
            if not job.staged_prefix.is_dir():
                raise UserError(f"building {library.name} installed nothing into "
                                f"{job.staged_prefix}: see {log}")
            done = self.commit(job.staged_prefix, want, sha)
        self.verifier.remember(want.archive, want.sha256, sha)
        # Keep the build tree out of the way of the next run, but not the
        # (possibly large) staging copy.
        shutil.rmtree(work / "destdir", ignore_errors=True)
        return done

    def ensure(self, library: Library) -> tuple[Manifest, bool]:
        """The library's manifest, and whether it was installed just now."""
        want = self.wanted(library)
        if self.why_source(library) is None:
            self.verifier.check_allowed(want.archive, self.pins.prebuilt(
                library, self.host, self.options.mirror).sha256)
        current = manifest.read(self.prefix, library.name)
        if current and current.matches(want):
            self.ctx.console.skipped(f"deps {library.name} {want.version}",
                                     f"installed from {current.archive}")
            return current, False
        if self.why_source(library) is not None:
            return self.build_from_source(library, want), True
        return self.install_prebuilt(library, want), True


def summary(prefix: Path, fresh: set[str] | None = None,
            why: dict[str, str] | None = None) -> str:
    """What is in the prefix, where each library came from, and why."""
    found = manifest.read_all(prefix)
    if not found:
        return f"No prerequisite libraries in {prefix}"
    lines = [f"Prerequisite libraries in {prefix}:"]
    for m in found:
        when = "installed now" if fresh and m.library in fresh else f"since {m.installed}"
        origin = f"built from {m.archive}" if m.origin == "source" else (
            f"prebuilt {m.url or m.archive}")
        because = f": {why[m.library]}" if why and m.library in why else ""
        lines.append(f"  {m.library:<8} {m.version:<10} {origin} (sha256 {m.sha256}; "
                     f"{when}){because}")
    return "\n".join(lines)


def _planned(ctx: BuildContext, explicit: bool) -> tuple[Deps, list[Library]] | None:
    """The deps run and its libraries, or None when there is nothing to do."""
    options = ctx.deps
    host = ctx.require_host()
    if options.skip:
        ctx.console.skipped("deps", "--no-deps given")
        return None
    pins = load(options.pins_file)
    libraries = pins.needed(host, ctx.checkout.version_tuple, options.only)
    if not options.from_source and not host.is_android:
        if explicit:
            raise UserError(f"there are no prebuilt libraries for GNU hosts such as {host}: "
                            "pass --deps-from-source --deps-source DIR")
        ctx.console.write("==> deps: skipped: there are no prebuilt libraries for GNU hosts; "
                          "pass --deps-from-source to build " + ", ".join(
                              lib.name for lib in libraries))
        return None
    if options.from_source:
        context.check_build_paths(ctx)
    lock = LockFile.load(ctx.layout.lock_file)
    deps = Deps(ctx, options, pins, Verifier(lock, options.require_hashes, ctx.console.write))
    return deps, libraries


def check_inputs(ctx: BuildContext) -> None:
    """Before --clean deletes anything: every archive the libraries need is
    there (downloaded if need be) and verified, and every builder is known."""
    planned = _planned(ctx, explicit=False)
    if planned is None:
        return
    deps, libraries = planned
    for library in libraries:
        want = deps.wanted(library)
        if deps.options.from_source:
            builders.builder(deps.pins.source(library).builder)
            deps.source_archive(want)
        else:
            deps.prebuilt_archive(want, deps.pins.prebuilt(
                library, deps.host, deps.options.mirror).sha256)


def prepare(ctx: BuildContext, *, explicit: bool = False) -> list[Manifest]:
    """Install what the host needs into its prefix; return the manifests.

    Within `build`, a GNU host without --deps-from-source gets no libraries
    (there are no prebuilt archives for it); `deps HOST` says so as an error.
    """
    planned = _planned(ctx, explicit)
    if planned is None:
        return []
    deps, libraries = planned
    for library in libraries:  # a missing source archive stops us before any work
        want = deps.wanted(library)
        current = manifest.read(deps.prefix, library.name)
        if want.origin == "source" and not (current and current.matches(want)):
            deps.require_source(want)
    context.clean_host_dir(ctx)  # --clean: before installing, not after
    results: list[Manifest] = []
    fresh: set[str] = set()
    for library in libraries:
        done, changed = deps.ensure(library)
        results.append(done)
        if changed:
            fresh.add(library.name)
    if fresh:
        # The host's configure must look at the prefix again.
        context.invalidate_configure(ctx)
    ctx.console.write(summary(deps.prefix, fresh, {lib.name: deps.why(lib)
                                                   for lib in libraries}))
    return results
