"""`calbot proxy`: forward a real client's traffic to a real server and record it in a ledger.

    recorder = ProxyRecorder("ledger.jsonl")
    proxy = create_proxy(ProxyConfig("https://us-east-1.recall.ai", ledger=recorder))
    with running_proxy(proxy) as url:
        ...  # point the client's base URL at `url`

The ledger gives two verdicts: the client's (`calbot client-report`) and the upstream's,
passive one (`calbot proxy-report`, `calbot.contracts.traffic`). `ProxyLedger`, the
former name of `ProxyRecorder`, still imports.
"""

from calbot.proxy.app import Proxy, create_proxy
from calbot.proxy.config import ProxyConfig, UpstreamError
from calbot.proxy.failures import PROXY_HEADER
from calbot.proxy.process import running_proxy, serve_proxy
from calbot.proxy.recording import ProxyLedger as ProxyLedger  # the former name
from calbot.proxy.recording import ProxyRecorder

__all__ = [
    "PROXY_HEADER",
    "Proxy",
    "ProxyConfig",
    "ProxyRecorder",
    "UpstreamError",
    "create_proxy",
    "running_proxy",
    "serve_proxy",
]
