"""What the tests of the drivers and of the scan expect of the simulators' faults."""

from __future__ import annotations

from drivers.errors import (
    DAMAGED_FRAME_ADVICE,
    DISCONNECTED_ADVICE,
    INCOMPLETE_ADVICE,
    INTERLOCK_ADVICE,
    NOT_ANSWERING_ADVICE,
    REFUSED_ADVICE,
)
from drivers.obp import MSG
from drivers.simulators.obp_sim import OBPSimulator

FAULT_ADVICE = {
    "slow": NOT_ANSWERING_ADVICE,
    "truncated": INCOMPLETE_ADVICE,
    "corrupt": DAMAGED_FRAME_ADVICE,
    "checksum": DAMAGED_FRAME_ADVICE,
    "nak": REFUSED_ADVICE,
    "disconnect": DISCONNECTED_ADVICE,
    "interlock": INTERLOCK_ADVICE,
}
"""The one thing to do after each fault of the simulators that ends an acquisition (``baud``
is overcome by the driver): the error's ``advice``, said once, last, by ``acquire`` and by a
scan alike."""

REFUSED_SCAN = {
    "ocean-rs232": "the instrument refused the scan (command S), answering NAK [frame: 15]",
    # the 64-byte reply's header: start, version, flags (response, NACK), error 7, the
    # message type it refuses, regarding; then its length
    "obp": "the instrument refused the scan (message get_raw_spectrum), answering OBP error 7: "
    "device not ready for this message type [frame: c1 c0 00 11 09 00 07 00 00 11 10 00 00 00 "
    "00 00 ... (64 bytes)]",
}
"""What follows the port in the one line that says each protocol's simulator refused the scan
(the ``nak`` fault): the scan in words, the instrument's answer, and the reply's bytes for
its support, as ``acquire`` and a scan say it."""

DEFERRED_SCAN = (
    "the instrument put off its answer to the scan (message get_raw_spectrum) (OBP error 255: "
    "operation deferred: the answer will take some time (no ACK or NACK yet)), and the driver "
    "cannot wait for it: how an answer put off comes is not documented [frame: c1 c0 00 11 09 "
    "00 ff 00 00 11 10 00 00 00 00 00 ... (64 bytes)]"
)
"""What follows the port in the line that says the OBP simulator put off its answer to the
sample's scan (:func:`obp_answers_with_error`, ``get_raw_spectrum``, 255)."""

UNKNOWN_SERIAL = (
    "the instrument does not know message get_serial, answering OBP error 2: unknown message "
    "type [frame: c1 c0 00 11 09 00 02 00 00 01 00 00 00 00 00 00 ... (64 bytes)]"
)
"""What follows the port in the line that says the OBP simulator does not know ``get_serial``,
which the driver cannot do without (:func:`obp_answers_with_error`, ``get_serial``, 2)."""


def obp_answers_with_error(monkeypatch, name: str, error: int) -> None:
    """Make the OBP simulator answer message ``name`` with OBP error ``error`` (the scan only
    while the laser is on: the sample's, not the dark or the one that counts the pixels)."""
    answer = OBPSimulator._answer

    def answer_with_error(self, mtype, payload, flags):
        if mtype == MSG[name] and (name != "get_raw_spectrum" or self.laser):
            return self._reply(mtype, error=error, flags_in=flags)
        return answer(self, mtype, payload, flags)

    monkeypatch.setattr(OBPSimulator, "_answer", answer_with_error)
