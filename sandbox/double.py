"""OdooDouble: the public face of the sandbox, joining RPC semantics to the HTTP transport."""

from __future__ import annotations

import copy
import threading
from collections import Counter

from .json2 import named
from .models import MODELS
from .rpc import FAILURES, Dispatcher
from .server import Listener


class OdooDouble(Dispatcher):
    """A fake Odoo 18 reachable over real XML-RPC; see the package docstring for usage."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0) -> None:
        super().__init__()
        self._listener = Listener(self, host, port)
        self._latency = float(latency)
        self._failure: str | None = None
        self.released = threading.Event()  # set whenever hanging requests may go on
        self.released.set()
        self.stopping = False
        self.posts = 0  # RPC requests received, answered or not (failure modes included)
        self.paths: Counter[str] = Counter()  # the same, by path (/xmlrpc/2/object, /jsonrpc...)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> OdooDouble:
        """Bind the port and serve in a daemon thread."""
        self.stopping = False
        self._listener.listen()
        return self

    def stop(self) -> None:
        """Release hanging requests, stop serving and close the socket."""
        self.stopping = True
        self.released.set()
        self._listener.close()

    def __enter__(self) -> OdooDouble:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of the fake Odoo, e.g. http://127.0.0.1:8069."""
        return f"http://{self._listener.host}:{self._listener.port}"

    @property
    def port(self) -> int:
        """The TCP port; stays the same across go_down()/come_back()."""
        return self._listener.port

    def reset(self) -> None:
        """Re-seed data, clear calls and restore normal behaviour."""
        self.failure = None
        self.latency = 0.0
        self.commit_delay = 0.0
        self.version = "18.0"
        self.reseed()
        self.posts = 0
        self.paths = Counter()

    # -- failure modes -----------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds slept before answering every request."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._latency = float(seconds)

    @property
    def failure(self) -> str | None:
        """The current failure mode, one of FAILURES."""
        return self._failure

    @failure.setter
    def failure(self, mode: str | None) -> None:
        if mode not in FAILURES:
            raise ValueError(f"unknown failure mode {mode!r}; expected one of {FAILURES}")
        with self.lock:
            previous, self._failure = self._failure, mode
            if mode == "hang":
                self.released.clear()
            else:
                self.released.set()
        if mode == "refuse" and self._listener.listening:
            self._listener.close()
        elif previous == "refuse" and mode != "refuse" and not self.stopping:
            self._listener.listen()

    def received(self, path: str = "") -> None:
        """Count one RPC request, before latency and failure modes apply."""
        with self.lock:
            self.posts += 1
            self.paths[path] += 1

    def drop_idle_connections(self) -> None:
        """Close every open client connection, as Odoo does with idle keep-alive connections."""
        server = self._listener.server
        if server is not None:
            server.cut_connections()

    def go_down(self) -> None:
        """Close the listening socket: clients get ECONNREFUSED."""
        self.failure = "refuse"

    def come_back(self) -> None:
        """Listen again on the same port, like a restarted Odoo."""
        self.failure = None

    # -- inspection and fixtures -------------------------------------------------------------

    @property
    def calls(self) -> list:
        """A snapshot of the calls received so far."""
        with self.lock:
            return list(self._calls)

    def count(self, service: str | None = None, method: str | None = None,
              model: str | None = None, model_method: str | None = None,
              db: str | None = None) -> int:
        """Count the calls matching every given filter."""
        wanted = {"service": service, "method": method, "model": model,
                  "model_method": model_method, "db": db}
        return sum(all(v is None or getattr(c, k) == v for k, v in wanted.items())
                   for c in self.calls)

    def clear_calls(self) -> None:
        """Forget the calls received so far."""
        with self.lock:
            self._calls = []
            self.posts = 0
            self.paths = Counter()

    def set_password(self, db: str, login: str, new_password: str) -> None:
        """Change a user's password, as if done in Odoo's preferences."""
        with self.lock:
            self.databases[db].passwords[login] = new_password

    def add_api_key(self, db: str, login: str, api_key: str) -> None:
        """Give a user an API key, accepted wherever the password is."""
        with self.lock:
            self.databases[db].api_keys.setdefault(login, []).append(api_key)

    def set_access(self, db: str, login: str, model: str, letters: str) -> None:
        """Override a user's access to a model with a subset of 'rwcu'."""
        if set(letters) - set("rwcu") or model not in MODELS:
            raise ValueError(f"bad access {letters!r} on {model!r}")
        with self.lock:
            self.databases[db].access[(login, model)] = letters

    def sent(self, model_method: str | None = None) -> list[dict]:
        """The named arguments of each model call so far (XML-RPC or JSON-2), oldest first."""
        return [named(c) for c in self.calls if c.method == "execute_kw" and c.model is not None
                and (model_method is None or c.model_method == model_method)]

    def records(self, db: str, model: str) -> list[dict]:
        """Return copies of the raw stored records of a model, by id."""
        with self.lock:
            table = self.databases[db].tables[model]
            return [copy.deepcopy(table[rid]) for rid in sorted(table)]

