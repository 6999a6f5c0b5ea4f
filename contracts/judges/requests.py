"""The judge of invalid requests: must a server refuse this schedule body?

`calbot.spec.evidence.documented_violations` is that judge (it reads the fragment's evidence
marks): registered here, so the active checks and the passive verdict are held to it.
"""

from __future__ import annotations

from calbot.contracts.judges.registry import judges
from calbot.spec.evidence import documented_violations

judges("schema.invalid-requests")(documented_violations)

__all__ = ["documented_violations"]
