"""Runs a script as the ADB double's "app", under one rule of Android's storage.

Usage: python [options] android_storage_rules.py EXTERNAL_ROOT SCRIPT

On a device, external storage (/sdcard, /storage/emulated/0) is a FUSE
mount with noexec, and it is outside the app's linker namespace: dlopen()
refuses any shared library there, so a compiled extension module in a
site-packages or cwd that adb pushed there cannot be imported.  This applies
that rule to the host python the double runs (for files under EXTERNAL_ROOT,
the double's external storage), with the message Android's linker gives,
then runs SCRIPT as `python SCRIPT` would.  Pure-Python modules still load
from there, as they do on a device.
"""

import importlib.machinery
import os
import runpy
import sys

external = os.path.realpath(sys.argv[1]) + os.sep
script = sys.argv[2]
create_module = importlib.machinery.ExtensionFileLoader.create_module


def linker_namespace_create_module(self, spec):  # type: ignore[no-untyped-def]
    if os.path.realpath(self.path).startswith(external):
        raise ImportError(f'dlopen failed: library "{self.path}" needed or dlopened by '
                          '"/apex/com.android.runtime/lib64/libnativeloader.so" is not '
                          'accessible for the namespace "classloader-namespace"',
                          name=spec.name, path=self.path)
    return create_module(self, spec)


importlib.machinery.ExtensionFileLoader.create_module = (  # type: ignore[method-assign]
    linker_namespace_create_module)
sys.argv = [script]
if not sys.flags.safe_path:
    sys.path[0] = os.path.dirname(os.path.abspath(script))
runpy.run_path(script, run_name="__main__")
