"""Offline demo of the registry outlets for the quick start and crawl tests (see server.py)."""

from crawler.demosite.server import Article, DemoSite, generate_site, load_articles

__all__ = ["Article", "DemoSite", "generate_site", "load_articles"]
