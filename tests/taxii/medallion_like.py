#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A small TAXII 2.1 responder that pages the way medallion (the OASIS
reference server, oasis-open/cti-taxii-server, memory backend) does, for
storm pull / storm publish tests without medallion (not a Debian package).
Written from what medallion was seen doing against storm (no code copied):

- GET .../objects/ runs the query once (filters: match[type], added_after),
  answers the first page and keeps the rest under a random `next` token;
  every later page of that query answers the SAME token, until the last
  page (more: false, no next). A `next` with other filters than the query
  that made it is refused with 400, an unknown one too.
- limit above the server's max page size is cut to it.
- X-TAXII-Date-Added-First / -Last headers on every page.
- Every object of one POSTed envelope gets the same date_added (the time
  of the request), microseconds, "YYYY-MM-DDTHH:MM:SS.ffffffZ".
- POST answers 202 with a complete status whose successes list id and version.

Test modes beyond medallion: --no-next (never hands out `next`, only the
headers), --expire-next-after K (a token is refused after K uses),
--die-after-pages K (the process exits right after answering K object pages,
as a server killed mid-pull), --max-envelope-objects N (413 above N objects,
as storm serve does), --seed FILE (objects, JSON Lines "date_added<TAB>object").

Prints the port on standard output once it listens (127.0.0.1 only); every
request is appended to --log as one line "METHOD PATH?QUERY objects=N".
"""
import argparse
import base64
import datetime
import json
import os
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

TAXII = "application/taxii+json;version=2.1"
COLLECTION = "fab9986f-8c11-4079-8e6c-e37ab08cdf22"
MAX_BODY = 64 << 20


def now_text():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text):
    """RFC 3339 UTC with 0-9 fractional digits, to microseconds (datetime)."""
    head, _, frac = text.rstrip("Zz").partition(".")
    t = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return t + datetime.timedelta(microseconds=int((frac + "000000")[:6]) if frac else 0)


def version_of(obj, date_added):
    return obj.get("modified", obj.get("created", date_added))


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.objects = []  # (date_added, object), in the order added
        self.sessions = {}  # token -> {"filters", "rest", "uses"}
        self.pages = 0
        if args.seed:
            with open(args.seed, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        added, text = line.rstrip("\n").split("\t", 1)
                        self.objects.append((added, json.loads(text)))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "medallion-like/1"

    def log_message(self, fmt, *args):  # quiet; the request log is --log
        pass

    def note(self, n):
        if self.server.state.args.log:
            with open(self.server.state.args.log, "a", encoding="utf-8") as f:
                f.write("%s %s objects=%d\n" % (self.command, self.path, n))

    def send(self, code, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", TAXII)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, code, title):
        self.send(code, {"title": title, "http_status": str(code)})

    def authorised(self):
        args = self.server.state.args
        want = "Basic " + base64.b64encode(("%s:%s" % (args.user, args.password)).encode()).decode()
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="medallion-like"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        return True

    def do_GET(self):
        if not self.authorised():
            return
        url = urlsplit(self.path)
        path = url.path
        if path == "/taxii2/":
            return self.send(200, {"title": "medallion-like", "default": "/api1/", "api_roots": ["/api1/"]})
        if path == "/api1/":
            return self.send(200, {"title": "api1", "versions": [TAXII],
                                   "max_content_length": self.server.state.args.max_content_length})
        if path == "/api1/collections/":
            return self.send(200, {"collections": [{
                "id": COLLECTION, "title": "read-write", "can_read": True, "can_write": True,
                "media_types": ["application/stix+json;version=2.1"]}]})
        if path.startswith("/api1/status/"):
            return self.error(404, "status not kept")
        if path == "/api1/collections/%s/objects/" % COLLECTION:
            return self.objects(dict(parse_qsl(url.query, keep_blank_values=True)))
        return self.error(404, "unknown resource")

    def objects(self, q):
        st = self.server.state
        args = st.args
        try:
            limit = min(int(q.pop("limit", args.max_page_size)), args.max_page_size)
        except ValueError:
            return self.error(400, "bad limit")
        if limit <= 0:
            return self.error(400, "bad limit")
        token = q.pop("next", None)
        with st.lock:
            if token is not None:
                s = st.sessions.get(token)
                if s is None or s["filters"] != q:
                    self.note(0)
                    return self.error(400, "The server did not understand the request or filter parameters: "
                                           "'next' not valid")
                s["uses"] += 1
                if args.expire_next_after and s["uses"] > args.expire_next_after:
                    del st.sessions[token]
                    self.note(0)
                    return self.error(400, "'next' not valid (expired)")
                rest = s["rest"]
            else:
                try:
                    after = parse_time(q["added_after"]) if q.get("added_after") else None
                except ValueError:
                    return self.error(400, "bad added_after")
                rest = [(a, o) for a, o in st.objects
                        if (not q.get("match[type]") or o.get("type") in q["match[type]"].split(","))
                        and (after is None or parse_time(a) > after)]
                rest.sort(key=lambda x: x[0])
                s = None
            page, rest = rest[:limit], rest[limit:]
            more = bool(rest)
            body = {"more": more, "objects": [o for _, o in page]}
            if more and not args.no_next:
                if s is None:
                    token = str(uuid.uuid4())
                    s = {"filters": q, "uses": 0}
                    st.sessions[token] = s
                s["rest"] = rest
                body["next"] = token
            elif s is not None:
                st.sessions.pop(token, None)
            headers = {}
            if page:
                headers = {"X-TAXII-Date-Added-First": page[0][0], "X-TAXII-Date-Added-Last": page[-1][0]}
            if not body["objects"]:
                del body["objects"]
            self.note(len(page))
            self.send(200, body, headers)
            st.pages += 1
            if args.die_after_pages and st.pages >= args.die_after_pages:
                self.wfile.flush()
                os._exit(0)

    def do_POST(self):
        if not self.authorised():
            return
        st = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        if length > MAX_BODY:
            return self.error(413, "too large")
        raw = self.rfile.read(length)
        if length > st.args.max_content_length:
            self.note(0)
            return self.error(413, "larger than max_content_length")
        if urlsplit(self.path).path != "/api1/collections/%s/objects/" % COLLECTION:
            return self.error(404, "unknown collection")
        try:
            objs = json.loads(raw)["objects"]
        except (ValueError, KeyError, TypeError):
            return self.error(400, "not an envelope")
        self.note(len(objs))
        if st.args.max_envelope_objects and len(objs) > st.args.max_envelope_objects:
            return self.error(413, "the envelope holds %d objects; at most %d are accepted"
                              % (len(objs), st.args.max_envelope_objects))
        added = now_text()
        with st.lock:
            have = {(o["id"], version_of(o, a)) for a, o in st.objects}
            for o in objs:
                if (o["id"], version_of(o, added)) not in have:
                    st.objects.append((added, o))
        successes = [{"id": o["id"], "version": version_of(o, added)} for o in objs]
        self.send(202, {"id": str(uuid.uuid4()), "status": "complete", "request_timestamp": added,
                        "total_count": len(objs), "success_count": len(objs), "successes": successes,
                        "failure_count": 0, "pending_count": 0})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--user", default="storm")
    p.add_argument("--password", default="storm-test")
    p.add_argument("--max-page-size", type=int, default=100)
    p.add_argument("--max-content-length", type=int, default=10485760)
    p.add_argument("--max-envelope-objects", type=int, default=0)
    p.add_argument("--no-next", action="store_true")
    p.add_argument("--expire-next-after", type=int, default=0)
    p.add_argument("--die-after-pages", type=int, default=0)
    p.add_argument("--seed")
    p.add_argument("--log")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.state = State(args)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
