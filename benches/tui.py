#!/usr/bin/env python3
"""Whole-binary figures of the TUI, in a real PTY (answering the terminal
queries a real terminal answers):

- time from start to the first full frame (the status bar's key hint drawn);
- idle RSS two seconds after start;
- CPU while a pane streams N words at R words/s: the process's CPU time
  (utime + stime from /proc) over the stream's wall time.

Usage: benches/tui.py [WORDS] [WORDS_PER_SECOND]   (default 4000 at 200/s)
Builds the release binary first. Needs only Python's standard library.
"""
import os, pty, select, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
words = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
rate = int(sys.argv[2]) if len(sys.argv) > 2 else 200
subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
binary = os.path.join(root, "target", "release", "tandem")
tick = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start_mock(script_text, work):
    path = os.path.join(work, "script.toml")
    with open(path, "w") as f:
        f.write(script_text)
    proc = subprocess.Popen([binary, "mock-server", "--script", path], stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def spawn(env):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(binary, [binary], env)
    os.set_blocking(fd, False)
    import fcntl, struct, termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    return pid, fd


def pump(fd, seen, until=None, timeout=10.0):
    """Reads output, answers cursor-position and device-attribute queries,
    returns when `until` appears in the output (or the time runs out)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.01)
        if not r:
            if until is None:
                continue
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        seen.extend(data)
        if b"\x1b[6n" in data:
            os.write(fd, b"\x1b[1;1R")
        if b"\x1b[c" in data:
            os.write(fd, b"\x1b[?62;22c")
        if until is not None and until in seen:
            return True
    return until is None


with tempfile.TemporaryDirectory() as work:
    delay = max(1, round(1000 / rate))
    mock, url = start_mock(f"[[reply]]\nwords = {words}\ndelay_ms = {delay}\n", work)
    env = dict(os.environ, TANDEM_HOME=work, TERM="xterm-256color",
               ANTHROPIC_BASE_URL=url, OPENAI_BASE_URL=url)
    for k in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "NO_COLOR"):
        env.pop(k, None)
    seen = bytearray()
    t0 = time.monotonic()
    pid, fd = spawn(env)
    ok = pump(fd, seen, b"F1 help", 5.0)
    first_frame = (time.monotonic() - t0) * 1000
    print(f"first full frame: {first_frame:.1f} ms" if ok else "first frame: not seen")
    pump(fd, seen, None, 2.0)
    print(f"idle RSS: {rss_kib(pid) / 1024:.1f} MiB")
    cpu0 = cpu_seconds(pid)
    w0 = time.monotonic()
    os.write(fd, b"stream please\r")
    pump(fd, seen, b"\xe2\x94\x80 done", words / rate * 3 + 30)
    wall = time.monotonic() - w0
    cpu = cpu_seconds(pid) - cpu0
    print(f"streamed {words} words at {rate}/s: {wall:.1f} s wall, {cpu:.2f} s CPU = {100 * cpu / wall:.1f}% of one core")
    print(f"RSS after streaming: {rss_kib(pid) / 1024:.1f} MiB")
    os.kill(pid, 15)
    mock.terminate()
