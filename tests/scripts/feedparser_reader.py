#!/usr/bin/env python3
"""Subscribes to a feed the way a Python feed reader does (feedparser over
HTTP), then polls it again conditionally, and prints what it saw as JSON.

Usage: feedparser_reader.py URL
"""
import json
import sys

try:
    import feedparser
except ImportError:
    sys.exit("feedparser is not installed (pip install feedparser, or apt-get install python3-feedparser)")

url = sys.argv[1]
first = feedparser.parse(url)
if first.get("status") is None:
    sys.exit("no HTTP answer from %s: %r" % (url, first.get("bozo_exception")))
by_etag = feedparser.parse(url, etag=first.get("etag"))
by_date = feedparser.parse(url, modified=first.get("modified"))

print(json.dumps({
    "version": feedparser.__version__,
    "status": first.status,
    "bozo": bool(first.bozo),
    "bozo_exception": str(first.get("bozo_exception", "")),
    "content_type": first.headers.get("content-type"),
    "content_encoding": first.headers.get("content-encoding"),
    "etag": first.get("etag"),
    "modified": first.get("modified"),
    "format": first.version,
    "title": first.feed.get("title"),
    "entries": [
        {
            "id": e.get("id"),
            "title": e.get("title"),
            "link": e.get("link"),
            "updated": e.get("updated"),
            "terms": sorted(t.get("term") for t in e.get("tags", [])),
            "source": e.get("source", {}).get("title"),
        }
        for e in first.entries
    ],
    "status_with_etag": by_etag.get("status"),
    "entries_with_etag": len(by_etag.entries),
    "status_with_date": by_date.get("status"),
}, ensure_ascii=False))
