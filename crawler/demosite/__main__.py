"""`python -m crawler.demosite [--big N] [--port P]`: serve the demo in the foreground."""

from __future__ import annotations

import argparse
import time

from crawler.demosite.server import DemoSite, generate_site


def main() -> None:
    """Start the demo, print one base URL per outlet, serve until Ctrl-C."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--big", type=int, default=0, help="serve N generated articles instead")
    ap.add_argument("--port", type=int, default=0, help="port on every loopback host (0 = free)")
    ap.add_argument("--slow", type=float, default=2.0, help="seconds the slow page sleeps")
    args = ap.parse_args()
    articles = generate_site(args.big) if args.big else None
    site = DemoSite(
        articles,
        breakage=not args.big,
        slow_seconds=args.slow,
        port=args.port,
        per_page=100 if args.big else None,
    )
    with site:
        for oid, url in site.base_urls.items():
            print(f"{oid:15s} {url}/")
        print(f"{'offsite':15s} {site.offsite_url}/  (must never be fetched)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
