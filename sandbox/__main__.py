"""Run the Odoo double in the foreground: python -m sandbox [--host H] [--port P] [--latency S]."""

from __future__ import annotations

import argparse
import signal
import threading

from . import DEMO_USERS, OdooDouble


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8069, help="TCP port (default 8069, 0=any)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--odoo-version", default="18.0",
                        help="version to play (default 18.0; 19.0 or later also serves JSON-2)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM, then shut down cleanly."""
    args = parse_args(argv)
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    double = OdooDouble(host=args.host, port=args.port, latency=args.latency).start()
    double.version = args.odoo_version
    users = " ".join(f"{login}/{user['password']}" for login, user in DEMO_USERS.items())
    print(f"Odoo sandbox listening on {double.url} (databases: demo, other; users: {users})",
          flush=True)
    try:
        while not done.wait(0.5):  # a timed wait keeps the main thread responsive to signals
            pass
    finally:
        double.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
