# Test-only: drives `latchkey login` in a pseudo-terminal, types the URL and the token (from the environment,
# never argv), and prints what the terminal showed plus the exit code as JSON.
import json, os, pty, select, sys, time

node, bin_path, url = sys.argv[1], sys.argv[2], sys.argv[3]
token = os.environ.pop("LK_TYPED_TOKEN")
pid, fd = pty.fork()
if pid == 0:
    os.execve(node, [node, bin_path, "login"], os.environ)

seen = b""
def read_until(marker, timeout=60):
    global seen
    end = time.time() + timeout
    while marker not in seen and time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return marker in seen

read_until(b"Latchkey URL")
os.write(fd, url.encode() + b"\r")
read_until(b"Token (input hidden): ")
time.sleep(0.3)
os.write(fd, token.encode() + b"\r")
read_until(b"\x00never", timeout=30)  # read until the program closes the terminal
_, status = os.waitpid(pid, 0)
print(json.dumps({"output": seen.decode("utf8", "replace"), "code": os.waitstatus_to_exitcode(status)}))
