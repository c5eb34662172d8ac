#!/usr/bin/env python3
"""Writes the bwrap-doctor wheel from an already built binary (scripts/package.sh).

The layout is maturin's `bindings = "bin"` (PEP 427): the binary as
`bwrap_doctor-VERSION.data/scripts/bwrap-doctor`, which pip installs into the
environment's bin/ (so `bwrap-doctor` is on the PATH of an activated venv,
and `shutil.which("bwrap-doctor")` finds it), with METADATA, WHEEL
(`Root-Is-Purelib: false`) and RECORD (sha256 of every file). No Python code.

The platform tag: the binary is static (no interpreter, no shared library,
no glibc symbol versions), so the C library does not matter, only the
kernel (glibc's static start-up needs Linux 3.2). manylinux_2_17 (CentOS 7,
Linux 3.10) is the oldest manylinux platform whose kernel runs it, with its
legacy alias manylinux2014 for pip < 20.3; musllinux_1_1 lets pip on Alpine
take the same file. Standard library only; SOURCE_DATE_EPOCH dates the
entries.
"""

import argparse
import base64
import hashlib
import os
import pathlib
import sys
import time
import zipfile

NAME = "bwrap-doctor"
DIST = "bwrap_doctor"
PLATFORMS = ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "musllinux_1_1_x86_64"]
SUMMARY = "Makes bubblewrap (bwrap) failures explain themselves: a transparent bwrap shim and a host doctor"


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--readme", required=True)
    ap.add_argument("--license", action="append", default=[])
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    version = a.version
    info = f"{DIST}-{version}.dist-info"
    data = f"{DIST}-{version}.data"
    tag = "py3-none-" + ".".join(PLATFORMS)
    wheel_name = f"{DIST}-{version}-{tag}.whl"

    readme = pathlib.Path(a.readme).read_text(encoding="utf-8")
    meta = [
        "Metadata-Version: 2.1",
        f"Name: {NAME}",
        f"Version: {version}",
        f"Summary: {SUMMARY}",
        "License: MIT OR Apache-2.0",
        "Keywords: bubblewrap,bwrap,sandbox,apparmor,diagnostics",
        "Classifier: Environment :: Console",
        "Classifier: License :: OSI Approved :: MIT License",
        "Classifier: License :: OSI Approved :: Apache Software License",
        "Classifier: Operating System :: POSIX :: Linux",
        "Classifier: Programming Language :: Rust",
        "Classifier: Topic :: Security",
        "Classifier: Topic :: Software Development :: Debuggers",
        "Requires-Python: >=3.7",
        "Description-Content-Type: text/markdown; charset=UTF-8",
    ]
    metadata = ("\n".join(meta) + "\n\n" + readme).encode("utf-8")
    wheel = "\n".join(
        ["Wheel-Version: 1.0", "Generator: bwrap-doctor scripts/wheel.py", "Root-Is-Purelib: false"]
        + [f"Tag: py3-none-{p}" for p in PLATFORMS]
    ).encode() + b"\n"

    files = [(f"{data}/scripts/{NAME}", pathlib.Path(a.binary).read_bytes(), 0o755)]
    for lic in a.license:
        p = pathlib.Path(lic)
        files.append((f"{info}/licenses/{p.name}", p.read_bytes(), 0o644))
    files.append((f"{info}/METADATA", metadata, 0o644))
    files.append((f"{info}/WHEEL", wheel, 0o644))

    record = "".join(f"{n},{record_hash(b)},{len(b)}\n" for n, b, _ in files)
    record += f"{info}/RECORD,,\n"
    files.append((f"{info}/RECORD", record.encode(), 0o644))

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    # Zip times cannot be before 1980.
    stamp = time.gmtime(max(epoch, 315532800))[:6]
    out = pathlib.Path(a.out) / wheel_name
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, body, mode in files:
            zi = zipfile.ZipInfo(name, date_time=stamp)
            zi.external_attr = (0o100000 | mode) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, body, compresslevel=9)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
