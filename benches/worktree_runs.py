#!/usr/bin/env python3
"""Peak RSS of the workbench with three worktree runs streaming at once.

Starts the release binary in a PTY on a fresh git repository, types
`/run --worktree ...` three times (each run streams WORDS words from the
mock model at 200 words/s), waits until all three have finished, and
prints the process's peak RSS (VmHWM) and its RSS when idle before.

Usage: benches/worktree_runs.py [WORDS]   (default 3000)
"""
import os, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
# The helpers of tui.py (build, spawn, pump, mock server), not its run.
exec(open(os.path.join(here, "tui.py")).read().split("with tempfile.TemporaryDirectory() as work:")[0])
words = count


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as repo:
    reply = f"[[reply]]\nwords = {words}\ndelay_ms = 5\n\n"
    mock, url = start_mock(reply * 3, home)
    for args in (["init", "-q"], ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "--allow-empty", "-m", "start"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    env = dict(os.environ, TANDEM_HOME=home, TERM="xterm-256color",
               ANTHROPIC_BASE_URL=url, OPENAI_BASE_URL=url)
    for k in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "NO_COLOR"):
        env.pop(k, None)
    os.chdir(repo)
    seen = bytearray()
    pid, fd = spawn(env)
    pump(fd, seen, b"F1 help", 5.0)
    pump(fd, seen, None, 1.0)
    idle = vm(pid, "VmRSS:")
    os.write(fd, b"\t")
    for n in range(3):
        for c in f"/run --worktree stream {n}":
            os.write(fd, c.encode())
        time.sleep(0.05)
        os.write(fd, b"\r")
        time.sleep(0.2)
    started = time.monotonic()
    for n in (1, 2, 3):
        if not pump(fd, seen, f"run #{n} finished".encode(), words / 200 * 3 + 30):
            sys.exit(f"run #{n} did not finish")
    print(f"three runs of {words} words at 200 words/s finished in {time.monotonic() - started:.1f} s")
    print(f"idle RSS before the runs: {idle / 1024:.1f} MiB")
    print(f"peak RSS with three worktree runs streaming {words} words each at once: {vm(pid, 'VmHWM:') / 1024:.1f} MiB")
    os.kill(pid, 15)
    mock.terminate()
