"""Native crash reports: when a test kills the interpreter, where in C.

    report     debuggerd's logcat lines and tombstones, bionic's and
               faulthandler's output, parsed into a `CrashReport`
    elf        the build's unstripped files by ELF BuildId (pyelftools)
    symbolize  llvm-symbolizer (the NDK's or the system's) or addr2line over
               the frames whose BuildId is the build's
    render     the report's text and the summary's "SIGSEGV in f (file:line)"
    collect    for the harness: symbolize a crash, save crash-HOST-TEST.txt
    android    the device's crash log and tombstones, read without root

`android.py symbolize HOST [FILE|-]` runs the same on a pasted report.
"""

from .collect import CrashSummary, CrashSymbols, analyse, for_layout, report_crash
from .render import format_report, top_frame
from .report import CrashReport, Location, NativeFrame, PythonFrame, parse

__all__ = ["CrashReport", "CrashSummary", "CrashSymbols", "Location", "NativeFrame",
           "PythonFrame", "analyse", "for_layout", "format_report", "parse", "report_crash",
           "top_frame"]
