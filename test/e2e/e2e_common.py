"""Helpers shared by the end-to-end test scripts in this directory."""
import subprocess


def run(cmd, **kw):
    """Runs `cmd` (a list), returns its stdout; raises RuntimeError with the
    command, its exit status and everything it printed when it fails."""
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(" ".join(cmd) + f"\n(exit {r.returncode})\n" + r.stdout + r.stderr)
    return r.stdout
