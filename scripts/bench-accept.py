#!/usr/bin/env python3
"""Accepts over HTTP, each a signed commit: p50 / p99 latency and throughput (issue 13).

Usage: bench-accept.py BASE_URL REPO FOLIO_BIN SELLER COUNT CONCURRENCY
Finds COUNT invoices pending approval whose customer has a buyer in parties.json, issues a
token per buyer (`folio serve token`), and posts /invoices/{id}/accept with CONCURRENCY
clients. Prints the figures; exits 1 if any accept did not answer 200.
"""
import http.client
import json
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

base, repo, folio, seller, count, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
parties = json.load(open(f"{repo}/.folio/parties.json"))["parties"]
buyer_of = {p["customerId"]: email for email, p in parties.items() if p.get("role") == "buyer" and "customerId" in p}
listed = []
for offset in range(0, 10000, 1000):
    listed += json.loads(subprocess.run([folio, "-C", repo, "--as", seller, "list", "--status", "pending_approval", "--offset", str(offset), "--limit", "1000", "--json"],
                                        check=True, capture_output=True, text=True).stdout)["data"]
work = [(row["id"], buyer_of[row["customer"]["id"]]) for row in listed if row["customer"]["id"] in buyer_of][:count]
if len(work) < count:
    sys.exit(f"only {len(work)} pending invoices have a buyer; asked for {count}")
tokens = {}
for email in sorted({b for _, b in work}):
    tokens[email] = subprocess.run([folio, "-C", repo, "--as", seller, "serve", "token", email], check=True, capture_output=True, text=True).stdout.strip()

url = urlparse(base)
latencies, failures, lock = [], [], threading.Lock()


def client(items):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    for invoice, buyer in items:
        start = time.perf_counter()
        conn.request("POST", f"/invoices/{invoice}/accept", body="{}", headers={"authToken": tokens[buyer], "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        with lock:
            latencies.append(elapsed)
            if response.status != 200:
                failures.append((invoice, response.status))


threads = [threading.Thread(target=client, args=(work[i::concurrency],)) for i in range(concurrency)]
began = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
wall = time.perf_counter() - began
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
print(f"{'accept (signed commit), %d clients, %d accepts' % (concurrency, len(latencies)):<52} {len(latencies) / wall:8.1f} /s")
print(f"{'  p50 / p99 (ms)':<52} {pick(0.5):8.1f} / {pick(0.99):.1f}")
print(f"{'  errors (non-200)':<52} {len(failures):8d}")
sys.exit(1 if failures else 0)
