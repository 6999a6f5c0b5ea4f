"""The reference server: the API's behaviour (calbot.contracts.domain.model) as an ASGI app.

`create_app(config)` gives the app (uvicorn, or in-process through `httpx.ASGITransport`);
`running(config)` runs it on a free port in a background thread and yields its base URL;
`ServerCore.handle(request)` is the same server without HTTP. `Limits` holds the timeouts and
connection limits of a served app (`ServerConfig.limits`).
"""

from calbot.server.asgi import App, create_app
from calbot.server.config import ServerConfig
from calbot.server.core import ServerCore
from calbot.server.messages import Handler, Hook, Request, Response
from calbot.server.process import running, serve
from calbot.serving import bind
from calbot.serving.limits import Limits
from calbot.spec.states import HEALTH_PATH, RESET_PATH, STATES_PATH

__all__ = [
    "HEALTH_PATH",
    "RESET_PATH",
    "STATES_PATH",
    "App",
    "Handler",
    "Hook",
    "Limits",
    "Request",
    "Response",
    "ServerConfig",
    "ServerCore",
    "bind",
    "create_app",
    "running",
    "serve",
]
