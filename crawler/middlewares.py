"""Downloader middleware: retries with exponential backoff (and Retry-After) on 429/5xx.

Scrapy's stock RetryMiddleware retries at once; a struggling regional site deserves a pause.
The pause is an ``asyncio.sleep`` inside the middleware, so other sites keep being crawled.
"""

from __future__ import annotations

import asyncio
import logging

from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.http import Request, Response
from scrapy.utils.response import response_status_message

log = logging.getLogger(__name__)


class BackoffRetryMiddleware(RetryMiddleware):
    """Retry 429/5xx and network errors after ``base * 2**n`` seconds (or Retry-After)."""

    def __init__(self, settings):  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.base = settings.getfloat("SUAR_RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("SUAR_RETRY_BACKOFF_MAX", 120.0)

    def _delay(self, request: Request, response: Response | None) -> float:
        if response is not None:
            header = response.headers.get(b"Retry-After")
            if header:
                try:
                    return min(float(header.decode()), self.cap)
                except ValueError:
                    pass
        tries = request.meta.get("retry_times", 0)
        return min(self.base * (2**tries), self.cap)

    async def process_response(self, request: Request, response: Response, spider=None):  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = get_retry_request(
            request,
            reason=response_status_message(response.status),
            spider=self.crawler.spider,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
        )
        if retry is None:
            return response
        delay = self._delay(request, response)
        log.info("HTTP %d on %s: retrying in %.1f s", response.status, request.url, delay)
        await asyncio.sleep(delay)
        return retry

    async def process_exception(self, request: Request, exception: Exception, spider=None):  # type: ignore[override]
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry"):
            return None
        retry = get_retry_request(
            request,
            reason=exception,
            spider=self.crawler.spider,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
        )
        if retry is None:
            return None
        await asyncio.sleep(self._delay(request, None))
        return retry
