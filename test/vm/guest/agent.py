#!/usr/bin/python3
"""The VM lab's agent in the guest (test only, never part of multinic).

Reads one JSON request a line from the second serial port (/dev/ttyS1, a socket on the
host) and answers each with JSON lines: an "ack" as soon as the line is read, then the
command's exit code and output (base64). QEMU drops bytes nobody reads, so the host
resends a request it saw no ack for; requests run in threads, so a long wait does not
block a quick look.
"""
import base64
import json
import os
import subprocess
import termios
import threading
import tty

PORT = '/dev/ttyS1'
fd = os.open(PORT, os.O_RDWR | os.O_NOCTTY)
# Raw: no echo, no line editing, no CR/LF translation; flush what came before we listened.
tty.setraw(fd, termios.TCSAFLUSH)
attrs = termios.tcgetattr(fd)
attrs[4] = attrs[5] = termios.B115200
termios.tcsetattr(fd, termios.TCSANOW, attrs)
lock = threading.Lock()
ENV = {
    'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOME': '/root',
    'LANG': 'C.UTF-8',
    'SYSTEMD_PAGER': '',
    'SYSTEMD_COLORS': '0',
}


def send(message):
    data = (json.dumps(message) + '\n').encode()
    with lock:
        while data:
            written = os.write(fd, data)
            data = data[written:]


def b64(data):
    return base64.b64encode(data).decode()


def execute(request):
    try:
        done = subprocess.run(['/bin/sh', '-c', request['cmd']], stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=request.get('timeout', 300), env=ENV)
        send({'id': request['id'], 'code': done.returncode, 'stdout': b64(done.stdout), 'stderr': b64(done.stderr)})
    except subprocess.TimeoutExpired as expired:
        send({'id': request['id'], 'code': 124, 'stdout': b64(expired.stdout or b''), 'stderr': b64((expired.stderr or b'') + b'\n(agent: timed out)')})
    except Exception as error:  # the host must get an answer whatever happens
        send({'id': request['id'], 'code': 125, 'stdout': '', 'stderr': b64(str(error).encode())})


seen = set()
send({'ready': True})
buffer = b''
while True:
    chunk = os.read(fd, 4096)
    if not chunk:
        continue
    buffer += chunk
    while b'\n' in buffer:
        line, buffer = buffer.split(b'\n', 1)
        try:
            request = json.loads(line.strip().decode())
        except Exception:
            continue  # noise from before the port was raw, or a torn resend
        if not isinstance(request, dict) or 'id' not in request:
            continue
        send({'id': request['id'], 'ack': True})
        if 'cmd' not in request or request['id'] in seen:
            continue  # a ping, or a resend of a request that is already running
        seen.add(request['id'])
        threading.Thread(target=execute, args=(request,), daemon=True).start()
