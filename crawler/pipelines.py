"""Scrapy item pipeline: hands each extracted article to the run's sink (the database)."""

from __future__ import annotations

from typing import Any


class SinkPipeline:
    """Write through ``spider.sink`` so the crawler package stays free of storage code."""

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        spider = spider or self.crawler.spider  # type: ignore[attr-defined]
        outcome = spider.sink.save(item)
        item["outcome"] = outcome
        return item

    @classmethod
    def from_crawler(cls, crawler: Any) -> SinkPipeline:
        obj = cls()
        obj.crawler = crawler
        return obj
