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
