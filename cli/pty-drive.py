# Test-only: runs a command in a pseudo-terminal and answers its prompts. The steps come from the environment
# (LK_PTY_STEPS: [[prompt to wait for, text to type], ...]), never argv, so typed secrets stay out of `ps`.
# Prints what the terminal showed and the exit code as JSON.
import json, os, pty, select, sys, time

steps = json.loads(os.environ.pop("LK_PTY_STEPS"))
pid, fd = pty.fork()
if pid == 0:
    os.execve(sys.argv[1], sys.argv[1:], os.environ)

seen = b""
def read_until(marker, timeout):
    global seen
    end = time.time() + timeout
    while (marker is None or marker not in seen) and time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen += chunk

for prompt, answer in steps:
    read_until(prompt.encode(), 60)
    time.sleep(0.2)
    os.write(fd, answer.encode() + b"\r")
read_until(None, 30)  # until the program closes the terminal
_, status = os.waitpid(pid, 0)
print(json.dumps({"output": seen.decode("utf8", "replace"), "code": os.waitstatus_to_exitcode(status)}))
