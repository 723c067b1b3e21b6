"""A stand-in for the Python ecosystem's clearance hub, written with python3-asyncvarlink like the original: the
original org.terok.Clearance1 only (Subscribe and Verdict, no Pending, no VerdictContainer), so our clients can be
tested against a hub that lacks our additions.

usage: python3 python_hub.py SOCKET_PATH
Reads events to broadcast from stdin, one JSON object per line (the eleven ClearanceEvent fields). Prints "ready"
once listening, and one JSON line per Verdict call it answers.
"""

import asyncio
import json
import sys
import typing

from asyncvarlink import (
    TypedVarlinkErrorReply,
    VarlinkInterface,
    VarlinkInterfaceRegistry,
    create_unix_server,
    varlinkmethod,
)
from asyncvarlink.serviceinterface import VarlinkServiceInterface

IFACE = "org.terok.Clearance1"


class ClearanceEvent(typing.TypedDict):
    type: str
    container: str
    request_id: str
    dest: str
    port: int
    proto: int
    domain: str
    action: str
    ok: bool
    reason: str
    dossier: dict[str, str]


class UnknownRequest(TypedVarlinkErrorReply, interface=IFACE):
    class Parameters:
        request_id: str


class VerdictTupleMismatch(TypedVarlinkErrorReply, interface=IFACE):
    class Parameters:
        expected_container: str
        expected_dest: str
        got_container: str
        got_dest: str


class InvalidAction(TypedVarlinkErrorReply, interface=IFACE):
    class Parameters:
        action: str


PURGING = {"shield_down", "shield_disengaged", "container_exited"}


class Clearance(VarlinkInterface, name=IFACE):
    errors = (UnknownRequest, VerdictTupleMismatch, InvalidAction)

    def __init__(self) -> None:
        self.subscribers: set[asyncio.Queue[ClearanceEvent]] = set()
        self.bindings: dict[str, tuple[str, str]] = {}

    def ingest(self, event: ClearanceEvent) -> None:
        if event["type"] == "connection_blocked" and event["request_id"]:
            self.bindings[event["request_id"]] = (event["container"], event["domain"] or event["dest"])
        elif event["type"] in PURGING:
            for rid in [r for r, (c, _) in self.bindings.items() if c == event["container"]]:
                del self.bindings[rid]
        for queue in self.subscribers:
            queue.put_nowait(event)

    # Without delay_generator each event would be held back until the next one (to mark the last reply).
    @varlinkmethod(return_parameter="event", delay_generator=False)
    async def Subscribe(self) -> typing.AsyncIterator[ClearanceEvent]:
        queue: asyncio.Queue[ClearanceEvent] = asyncio.Queue()
        self.subscribers.add(queue)
        # Tells the test a subscriber is registered, so it need not guess how long that takes.
        print(json.dumps({"subscribers": len(self.subscribers)}), flush=True)
        try:
            while True:
                yield await queue.get()
        finally:
            self.subscribers.discard(queue)

    @varlinkmethod(return_parameter="ok")
    def Verdict(self, *, container: str, request_id: str, dest: str, action: str) -> bool:
        if action not in ("allow", "deny"):
            raise InvalidAction(action=action)
        bound = self.bindings.pop(request_id, None)
        if bound is None:
            raise UnknownRequest(request_id=request_id)
        if bound != (container, dest):
            self.bindings[request_id] = bound
            raise VerdictTupleMismatch(expected_container=bound[0], expected_dest=bound[1],
                                       got_container=container, got_dest=dest)
        print(json.dumps({"verdict": [container, request_id, dest, action]}), flush=True)
        self.ingest(ClearanceEvent(type="verdict_applied", container=container, request_id=request_id, dest="",
                                   port=0, proto=0, domain="", action=action, ok=True, reason="", dossier={}))
        return True


async def main(path: str) -> None:
    registry = VarlinkInterfaceRegistry()
    clearance = Clearance()
    registry.register_interface(clearance)
    registry.register_interface(VarlinkServiceInterface("test", "python hub stand-in", "0", "", registry))
    server = await create_unix_server(registry.protocol_factory, path)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        clearance.ingest(json.loads(line))
    server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
