"""A unix-socket proxy to the Docker engine, for the silent-engine tests.

    python3 sock_proxy.py LISTEN UPSTREAM [FREEZE_ON]

Forwards every connection on LISTEN to UPSTREAM, both ways, passing
half-closes on. Prints "ready" once it listens. The test freezes it with
SIGSTOP (connections stay open, nothing answers). With FREEZE_ON, the proxy
freezes itself the same way once a request containing that text goes by:
it stops forwarding in both directions and keeps every connection open.
"""

import socket
import sys
import threading

listen, upstream = sys.argv[1], sys.argv[2]
freeze_on = sys.argv[3].encode() if len(sys.argv) > 3 else None
frozen = threading.Event()
never = threading.Event()
held = []  # connections kept open (and referenced) while frozen


def pump(src, dst, watch):
    tail = b""
    try:
        while True:
            data = src.recv(65536)
            if frozen.is_set():
                never.wait()
            if not data:
                break
            if watch and freeze_on is not None:
                tail = (tail + data)[-8192:]
                if freeze_on in tail:
                    frozen.set()
                    never.wait()
            dst.sendall(data)
    except OSError:
        pass
    if not frozen.is_set():
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(listen)
srv.listen(128)
print("ready", flush=True)
while True:
    client, _ = srv.accept()
    if frozen.is_set():
        held.append(client)
        continue
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        up.connect(upstream)
    except OSError:
        client.close()
        continue
    held.append((client, up))
    threading.Thread(target=pump, args=(client, up, True), daemon=True).start()
    threading.Thread(target=pump, args=(up, client, False), daemon=True).start()
