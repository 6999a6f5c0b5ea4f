"""The judges of the rules that both the active checks and the passive verdict judge.

One function per rule (`registry.JUDGES`), pure, on answers as JSON: what the checks and the
traffic verdict ask of an answer, asked in one place. The checks add what they sent; the
verdict adds what the traffic shows; neither judges the answer on its own.
"""

from calbot.contracts.judges import answers, behaviour, meeting_urls, requests
from calbot.contracts.judges.registry import JUDGES, judges

__all__ = ["JUDGES", "answers", "behaviour", "judges", "meeting_urls", "requests"]
