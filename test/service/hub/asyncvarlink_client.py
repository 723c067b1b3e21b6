"""A clearance client as the terok ecosystem writes one, with python3-asyncvarlink: it declares org.terok.Clearance1
as the original hub serves it (Subscribe and Verdict, four errors, the eleven-field ClearanceEvent) and decodes each
event into a dataclass, which asyncvarlink does strictly (an extra or a missing field raises ConversionError).

usage: python3 asyncvarlink_client.py HUB_SOCKET BLOCKS
Subscribes (after one Verdict for an unknown request: UnknownRequest), then on each connection_blocked sends a
Verdict with a bad action (InvalidAction), one with the wrong dest (VerdictTupleMismatch) and then Verdict(allow);
exits 0 once BLOCKS requests were answered and their verdict_applied seen.
Prints one JSON line per fact, each with one key: "idl" (the interface as asyncvarlink renders this declaration),
"served" (the hub's own description), "strict" (what the dataclass conversion does with bad events), "wire" (every
raw message received, by connection), "error" (a typed error caught), "subscribed", "event", "verdict", "done".
"""

import asyncio
import dataclasses
import json
import sys
import typing

from asyncvarlink import (
    TypedVarlinkErrorReply,
    VarlinkClientProtocol,
    VarlinkInterface,
    connect_unix_varlink,
    varlinkmethod,
)
from asyncvarlink.conversion import ConversionError, VarlinkType
from asyncvarlink.serviceinterface import VarlinkServiceInterface

IFACE = "org.terok.Clearance1"


def emit(**fact: object) -> None:
    print(json.dumps(fact), flush=True)


@dataclasses.dataclass
class ClearanceEvent:
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


class ShieldCliFailed(TypedVarlinkErrorReply, interface=IFACE):
    class Parameters:
        action: str
        stderr: str


class Clearance(VarlinkInterface, name=IFACE):
    """Client-side declaration only: a proxy reads the signatures, never runs the bodies."""

    errors = (UnknownRequest, VerdictTupleMismatch, InvalidAction, ShieldCliFailed)

    @varlinkmethod(return_parameter="event")
    async def Subscribe(self) -> typing.AsyncIterator[ClearanceEvent]:
        raise NotImplementedError
        yield  # an async generator: that is what marks Subscribe as a "more" method

    @varlinkmethod(return_parameter="ok")
    def Verdict(self, *, container: str, request_id: str, dest: str, action: str) -> bool:
        raise NotImplementedError


class WireRecorder(VarlinkClientProtocol):
    """Prints every message as received, before asyncvarlink decodes it, so the test sees the hub's bytes."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self._label = label
        self._partial = b""

    def message_received(self, data, fds):  # type: ignore[no-untyped-def]
        frames = (self._partial + data).split(b"\0")
        self._partial = frames.pop()
        for frame in frames:
            emit(wire={"connection": self._label, "raw": frame.decode("utf-8")})
        super().message_received(data, fds)


def strictness() -> dict[str, str]:
    """What asyncvarlink's dataclass conversion says about events that are not exactly the eleven fields."""
    event_type = VarlinkType.from_type_annotation(ClearanceEvent)
    good = {f.name: f.type() for f in dataclasses.fields(ClearanceEvent)}
    event_type.fromjson(good)  # must not raise
    verdicts = {}
    for case, bad in {
        "extra": {**good, "severity": "high"},
        "missing": {k: v for k, v in good.items() if k != "dossier"},
        "port_as_string": {**good, "port": "443"},
    }.items():
        try:
            event_type.fromjson(bad)
            verdicts[case] = "accepted"
        except ConversionError as err:
            verdicts[case] = f"rejected: {err.message}"
    return verdicts


def emit_error(err: TypedVarlinkErrorReply) -> None:
    emit(error={"class": type(err).__name__, "name": err.name, "parameters": err.parameters})


async def typed_error(call: typing.Awaitable[object]) -> None:
    """Awaits a call that must fail with one of the interface's typed errors, and prints it."""
    try:
        reply = await call
    except Clearance.errors as err:
        emit_error(err)
    else:
        raise AssertionError(f"expected a typed error, got {reply!r}")


async def main(path: str, blocks: int) -> None:
    emit(idl=Clearance.render_interface_description(comments=False))
    emit(strict=strictness())
    _, sub = await connect_unix_varlink(lambda: WireRecorder("subscribe"), path)
    _, rpc = await connect_unix_varlink(lambda: WireRecorder("rpc"), path)
    hub = rpc.make_proxy(Clearance)

    events: asyncio.Queue[ClearanceEvent | BaseException] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for reply in sub.make_proxy(Clearance).Subscribe():
                event = reply["event"]
                emit(event={"decoded_as": type(event).__name__, **dataclasses.asdict(event)})
                events.put_nowait(event)
        except BaseException as err:  # a decoding failure must end the run, not vanish in the task
            events.put_nowait(err)
            raise

    subscription = asyncio.create_task(pump())
    await asyncio.sleep(0)  # the Subscribe call goes out before the round trips below
    description = await rpc.make_proxy(VarlinkServiceInterface).GetInterfaceDescription(interface=IFACE)
    emit(served=description["description"])
    await typed_error(hub.Verdict(container="abc123def456", request_id="abc123def456:999",
                                  dest="registry.example.net", action="allow"))
    emit(subscribed=True)

    answered: set[str] = set()
    applied = 0
    while applied < blocks:
        event = await events.get()
        if isinstance(event, BaseException):
            raise event
        if event.type == "connection_blocked" and len(answered) < blocks:
            answered.add(event.request_id)
            target = event.domain or event.dest
            # Refusals first: neither may use up the request, so the right verdict after them still applies.
            await typed_error(hub.Verdict(container=event.container, request_id=event.request_id,
                                          dest=target, action="maybe"))
            await typed_error(hub.Verdict(container=event.container, request_id=event.request_id,
                                          dest="203.0.113.99", action="allow"))
            try:
                emit(verdict=await hub.Verdict(container=event.container, request_id=event.request_id,
                                               dest=target, action="allow"))
            except ShieldCliFailed as err:
                emit_error(err)
        elif event.type == "verdict_applied" and event.request_id in answered:
            applied += 1
    subscription.cancel()
    emit(done=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
