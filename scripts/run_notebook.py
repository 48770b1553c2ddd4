"""Execute a notebook headless with nbclient, on a kernel that runs *this* Python (the venv's).

    .venv/bin/python scripts/run_notebook.py notebooks/quickstart.ipynb [--output OUT.ipynb] [--timeout 60]

The kernel spec is written to a temporary folder and handed to nbclient through its own
KernelSpecManager, so no kernel is installed anywhere and a ``python3`` kernel spec elsewhere on the
machine (user or system wide) cannot pick a different interpreter. The kernel inherits this process's
environment (``JUPYTER_TRACK_DIR`` included), runs in the notebook's folder and is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

KERNEL_NAME = "jupyter-track-venv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--output", type=Path, help="write the executed notebook here (default: not saved)")
    parser.add_argument("--timeout", type=int, default=60, help="seconds per cell (default 60)")
    args = parser.parse_args()

    nb = nbformat.read(args.notebook, as_version=4)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="jt-kernels-") as kernels:
        write_kernel_spec(str(Path(kernels) / KERNEL_NAME))  # argv: [sys.executable, -m, ipykernel_launcher]
        specs = KernelSpecManager(kernel_dirs=[kernels])
        km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)
        if os.name == "posix":  # Unix sockets in the temporary folder rather than open TCP ports
            km.transport, km.ip = "ipc", str(Path(kernels) / "ipc")
        client = NotebookClient(nb, km=km, timeout=args.timeout, kernel_name=KERNEL_NAME,
                                resources={"metadata": {"path": str(args.notebook.resolve().parent)}})
        # no Jupyter server to ask which notebook this is: tell the kernel (jupyter_track records it)
        env = {**os.environ, "JUPYTER_TRACK_NOTEBOOK": str(args.notebook.resolve())}
        try:
            client.execute(env=env)
        finally:  # nbclient leaves a kernel manager it was given running: stop the kernel here
            if km.has_kernel:
                km.shutdown_kernel()
    print(f"executed {args.notebook} ({len(nb.cells)} cells) in {time.monotonic() - started:.1f} s "
          f"with {sys.executable}")
    if args.output:
        nbformat.write(nb, args.output)
        print(f"executed copy: {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
