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
