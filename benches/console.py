"""Times the web console (issue 11): from the start of an upload of a 2,000-row return to the board showing
it, and the board's server time over an inbox of 21 prefectures x 10 files (first read, then unchanged).

    python3 benches/console.py TAIZHANG_BINARY GEN_LEDGERS_BINARY [--rounds N]

Writes a Markdown table on stdout. Timings are wall-clock on this machine, medians of the rounds; nothing
here is a test threshold.
"""

import argparse
import pathlib
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
import uuid

ap = argparse.ArgumentParser()
ap.add_argument("taizhang")
ap.add_argument("gen")
ap.add_argument("--rounds", type=int, default=5)
args = ap.parse_args()


def start(ws):
    p = subprocess.Popen([args.taizhang, "serve", "--workspace", str(ws), "--period", "2018Q3", "--listen", "127.0.0.1:0", "--no-browser"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = p.stdout.readline().strip()
    port = int(re.search(r":(\d+)/", url).group(1))
    token = url.split("token=")[1]
    return p, port, token


def get(port, token, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"taizhang_session={token}"})
    with urllib.request.urlopen(req) as r:
        return r.read().decode()


def upload(port, token, csrf, name, data):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/p/2018Q3/upload", data=body, method="POST", headers={
        "Cookie": f"taizhang_session={token}", "X-CSRF-Token": csrf, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req) as r:
        return r.read().decode()


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    # One 2,000-row return, and 10 sets of 21 returns of 200 rows.
    subprocess.run([args.gen, "--out", str(tmp / "big"), "--files", "1", "--rows", "2000"], check=True, capture_output=True)
    big = next((tmp / "big").iterdir())
    for k in range(10):
        subprocess.run([args.gen, "--out", str(tmp / f"set{k}"), "--files", "21", "--rows", "200", "--seed", str(k + 1)], check=True, capture_output=True)

    upload_to_board = []
    for r in range(args.rounds):
        ws = tmp / f"ws-upload-{r}"
        p, port, token = start(ws)
        board = get(port, token, "/p/2018Q3")
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', board).group(1)
        t0 = time.perf_counter()
        upload(port, token, csrf, big.name, big.read_bytes())
        fragment = get(port, token, "/p/2018Q3/board")
        upload_to_board.append(time.perf_counter() - t0)
        assert "共收到 1 个文件" in fragment, fragment[:500]
        p.terminate()
        p.wait()

    ws = tmp / "ws-board"
    inbox = ws / "2018Q3" / "收件箱"
    inbox.mkdir(parents=True)
    for k in range(10):
        for f in (tmp / f"set{k}").iterdir():
            shutil.copy(f, inbox / f"{f.stem}-第{k + 1}次{f.suffix}")
    p, port, token = start(ws)
    t0 = time.perf_counter()
    fragment = get(port, token, "/p/2018Q3/board")
    first = time.perf_counter() - t0
    assert "共收到 210 个文件" in fragment, fragment[:500]
    again = []
    for _ in range(args.rounds * 4):
        t0 = time.perf_counter()
        get(port, token, "/p/2018Q3/board")
        again.append(time.perf_counter() - t0)
    p.terminate()
    p.wait()

print("| measure | time |")
print("| --- | --- |")
print(f"| upload of one 2,000-row return until the board shows it (median of {args.rounds}) | {statistics.median(upload_to_board) * 1000:.0f} ms |")
print(f"| board over 21 × 10 files (42,000 rows), first request: every file read and merged | {first * 1000:.0f} ms |")
print(f"| board over the same inbox, unchanged (median of {len(again)}) | {statistics.median(again) * 1000:.1f} ms |")
