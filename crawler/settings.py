"""Scrapy settings derived from Suar's configuration (politeness first)."""

from __future__ import annotations

from typing import Any


def build_settings(crawl: dict[str, Any], *, polite: bool = True) -> dict[str, Any]:
    """Scrapy settings for a crawl section of the config.

    ``polite=False`` is for local benchmarks and tests only: it drops delays and AutoThrottle
    but keeps robots.txt, the size cap and the per-domain concurrency limit.
    """
    user_agent = crawl["user_agent"].format(contact=crawl["contact_url"])
    settings: dict[str, Any] = {
        "BOT_NAME": "suar",
        "USER_AGENT": user_agent,
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": "Suar",
        "CONCURRENT_REQUESTS": crawl["concurrent_requests"],
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl["concurrent_requests_per_domain"],
        "DOWNLOAD_DELAY": crawl["download_delay"] if polite else 0,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "AUTOTHROTTLE_ENABLED": bool(crawl["autothrottle"]) and polite,
        "AUTOTHROTTLE_START_DELAY": max(crawl["download_delay"], 0.5),
        "AUTOTHROTTLE_MAX_DELAY": crawl["autothrottle_max_delay"],
        "AUTOTHROTTLE_TARGET_CONCURRENCY": crawl["autothrottle_target_concurrency"],
        "DOWNLOAD_TIMEOUT": crawl["download_timeout"],
        "DOWNLOAD_MAXSIZE": crawl["max_response_bytes"],
        "DOWNLOAD_WARNSIZE": crawl["max_response_bytes"] // 2,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": crawl["retry_times"],
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        "SUAR_RETRY_BACKOFF_BASE": crawl["retry_backoff_base"],
        "SUAR_RETRY_BACKOFF_MAX": crawl["retry_backoff_max"],
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middlewares.BackoffRetryMiddleware": 550,
        },
        "ITEM_PIPELINES": {"crawler.pipelines.SinkPipeline": 300},
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # no listening sockets from a nightly job
        "REDIRECT_MAX_TIMES": 5,
        "DEPTH_LIMIT": 0,
        "LOG_LEVEL": "INFO",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
    if crawl.get("frontier", "local") == "redis":  # several crawlers, one frontier
        from crawler.frontier import with_frontier

        settings = with_frontier(settings, crawl)
    return settings
