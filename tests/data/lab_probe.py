"""Runs ON an Android python (the lab's runtime): exercises the optional modules
and prints one JSON object for the test to check against the build machine.

    python3.13 lab_probe.py CERT KEY PAYLOAD_HEX

Nothing here decides pass or fail: it reports what the modules did (digests,
compressed bytes, the TLS peer certificate, ...), and tests/integration/test_lab.py
compares that with what the build machine's own python computes.
"""

import base64
import importlib
import json
import os
import socket
import sys
import sysconfig
import threading


def dynload_imports():
    """Import every extension module the prefix has; name the ones that fail."""
    directory = os.path.join(sys.prefix, "lib", f"python{sys.version_info[0]}."
                             f"{sys.version_info[1]}", "lib-dynload")
    failed, names = {}, []
    for entry in sorted(os.listdir(directory)):
        name = entry.split(".", 1)[0]
        names.append(name)
        try:
            importlib.import_module(name)
        except Exception as e:  # a module that fails to load is the finding
            failed[name] = f"{type(e).__name__}: {e}"
    return {"modules": names, "failed": failed}


def tls_round_trip(cert, key):
    """A real TLS handshake over loopback, server and client in this process."""
    import ssl

    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=cert)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    received = {}

    def serve():
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            received["data"] = tls.recv(100)
            tls.sendall(received["data"].upper())

    thread = threading.Thread(target=serve)
    thread.start()
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"hello over tls")
            reply = tls.recv(100)
            info = {"version": tls.version(), "cipher": tls.cipher()[0],
                    "peer_der": base64.b64encode(tls.getpeercert(binary_form=True)).decode(),
                    "reply": reply.decode()}
    thread.join()
    listener.close()
    info["openssl"] = ssl.OPENSSL_VERSION
    info["server_got"] = received["data"].decode()
    return info


def ctypes_checks():
    import ctypes

    libc = ctypes.CDLL("libc.so")
    libm = ctypes.CDLL("libm.so")
    compare = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                               ctypes.POINTER(ctypes.c_int))
    values = (ctypes.c_int * 5)(5, 1, 4, 2, 3)
    libc.qsort(values, 5, ctypes.sizeof(ctypes.c_int),
               compare(lambda a, b: a[0] - b[0]))
    results = {"strlen": libc.strlen(b"android"), "qsort": list(values),
               "sizeof_long_double": ctypes.sizeof(ctypes.c_longdouble)}
    for name, ctype, arg in (("sqrt", ctypes.c_double, 196.0),
                             ("sqrtl", ctypes.c_longdouble, 196.0)):
        function = getattr(libm, name)
        function.restype, function.argtypes = ctype, [ctype]
        results[name] = function(arg)
    # Through a C callback too: libffi builds the closure's long double frame.
    callback = ctypes.CFUNCTYPE(ctypes.c_longdouble, ctypes.c_longdouble)(lambda x: x * 2)
    results["longdouble_callback"] = callback(7.0)
    return results


def main():
    cert, key, payload_hex = sys.argv[1:4]
    payload = bytes.fromhex(payload_hex)
    import bz2
    import hashlib
    import lzma
    import sqlite3
    import zlib

    db = sqlite3.connect(":memory:")
    db.execute("create table t (x integer, y text)")
    db.executemany("insert into t values (?, ?)", [(i, str(i) * i) for i in range(10)])
    report = {
        "platform": sys.platform,
        "api_level": sys.getandroidapilevel(),
        "machine": os.uname().machine,
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "dynload": dynload_imports(),
        "tls": tls_round_trip(cert, key),
        "hashlib": {name: hashlib.new(name, payload).hexdigest()
                    for name in ("md5", "sha1", "sha256", "sha512", "sha3_256", "blake2b")},
        "openssl_md": sorted(hashlib.algorithms_available),
        "ctypes": ctypes_checks(),
        "sqlite": {"version": sqlite3.sqlite_version,
                   "sum": db.execute("select sum(x), group_concat(y, '') from t").fetchone()},
        "zlib": {"crc32": zlib.crc32(payload),
                 "compressed": base64.b64encode(zlib.compress(payload)).decode()},
        "bz2": base64.b64encode(bz2.compress(payload)).decode(),
        "lzma": base64.b64encode(lzma.compress(payload)).decode(),
    }
    print(json.dumps(report))


main()
