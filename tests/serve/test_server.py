#!/usr/bin/python3
"""The explorer's web server over real HTTP on the loopback: it serves its own files and nothing
else (../, percent-encoded dots, absolute paths, symbolic links out of its folder), refuses
malformed requests with a JSON error (bad JSON, wrong shapes and types, out-of-range values,
unknown models, huge bodies, too many sessions, foreign Host headers), keeps running through all
of it, keeps its port to itself, and stops cleanly on SIGTERM.

Usage: test_server.py --kindred PATH --web DIR

Only the standard library. The server runs on a free port of 127.0.0.1 with a copy of the web
folder in a temporary directory (to plant a symbolic link that leaves it).
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/
import harness  # noqa: E402

SECRET = "KINDRED-SECRET-OUTSIDE-THE-WEB-FOLDER"
KINDRED = None  # set by main()


class Server:
    def __init__(self, kindred, web, max_sessions):
        self.process = subprocess.Popen(
            [kindred, "serve", "--port", "0", "--web-dir", web, "--max-sessions", str(max_sessions)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"kindred serve did not start: {line!r} {self.process.stderr.read()}")
        self.port = int(match.group(1))

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body text) of one request through http.client."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        all_headers.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, dict(response.getheaders()), text

    def raw(self, data, timeout=2.0):
        """The raw answer to raw bytes (for request lines http.client would not send): read
        until one whole response (headers and Content-Length bytes), the end of the
        connection, or `timeout` seconds of silence."""
        answer = b""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            try:
                sock.sendall(data)
            except OSError:
                pass  # the server may close early on a request it refuses
            while True:
                head, separator, body = answer.partition(b"\r\n\r\n")
                if separator:
                    length = re.search(rb"(?i)content-length:\s*(\d+)", head)
                    if length and len(body) >= int(length.group(1)):
                        break
                try:
                    chunk = sock.recv(65536)
                except (socket.timeout, OSError):
                    break
                if not chunk:
                    break
                answer += chunk
        return answer.decode("utf-8", "replace")

    def alive(self):
        return self.process.poll() is None


def expect_error(server, status, method, path, body=None, headers=None):
    got, response_headers, text = server.request(method, path, body, headers)
    assert got == status, f"{method} {path} {body!r:.80}: expected {status}, got {got}: {text}"
    assert response_headers.get("Content-Type", "").startswith("application/json"), response_headers
    error = json.loads(text)["error"]
    assert isinstance(error, str) and error, text
    return error


def test_serves_its_own_files(server, web):
    status, headers, text = server.request("GET", "/")
    assert status == 200 and "<!doctype html>" in text.lower(), (status, text[:80])
    assert headers["Content-Type"].startswith("text/html")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    for path in ["/index.html", "/app.js"]:  # style.css: see test_refuses_paths_outside_its_files
        status, _, _ = server.request("GET", path)
        assert status == 200, path
    if os.path.exists(os.path.join(web, "node_modules", "cytoscape")):
        assert server.request("GET", "/vendor/cytoscape.min.js")[0] == 200
        assert server.request("GET", "/vendor/chart.umd.min.js")[0] == 200


def test_refuses_paths_outside_its_files(server, web):
    paths = [
        "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/..%2f..%2f..%2fetc%2fpasswd", "/.%2e/.%2e/etc/passwd", "//etc/passwd", "/etc/passwd",
        "/vendor/../../secret.txt", "/../secret.txt", "/%2e%2e/secret.txt", "/secret.txt",
        "/node_modules/cytoscape/package.json", "/package.json", "/web/app.js", "/app.js%00.css",
        "/..\\..\\etc\\passwd", "/%5c..%5c..%5cetc%5cpasswd", "/index.html/..", "/./app.js/",
    ]
    for path in paths:
        answer = server.raw(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        status = answer.split(" ", 2)[1] if " " in answer else "?"
        assert status in ("400", "404"), f"GET {path}: {answer[:120]!r}"
        assert "root:" not in answer and SECRET not in answer, f"GET {path} leaked: {answer[:200]!r}"
    # Absolute URLs in the request line (absolute-form) are not a way out either.
    for target in ["http://127.0.0.1/etc/passwd", "file:///etc/passwd", "/etc/passwd?x=/app.js"]:
        answer = server.raw(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        assert "root:" not in answer and SECRET not in answer, target
    # style.css in the served folder is a symbolic link to a file outside it: refused.
    status, _, text = server.request("GET", "/style.css")
    assert status == 404 and SECRET not in text, (status, text[:100])
    # Files may only be read.
    expect_error(server, 405, "POST", "/index.html", body={})
    expect_error(server, 405, "DELETE", "/app.js")


def test_refuses_malformed_requests(server, web):
    expect_error(server, 400, "POST", "/api/session", body="{not json")
    expect_error(server, 400, "POST", "/api/session", body="")
    expect_error(server, 400, "POST", "/api/session", body=b"{\"model\": \"befriending\xff\"}")
    expect_error(server, 400, "POST", "/api/session", body=[1, 2, 3])
    expect_error(server, 400, "POST", "/api/session", body="\"befriending\"")
    expect_error(server, 400, "POST", "/api/session", body={"seed": 1})
    error = expect_error(server, 400, "POST", "/api/session", body={"model": "psychoanalysis"})
    assert "model" in error, error
    expect_error(server, 400, "POST", "/api/session", body={"model": "befriending", "colour": 1})
    out_of_range = [("reciprocity", 1.5), ("reciprocity", -1), ("reciprocity", "reciprocal"),
                    ("strength", 7), ("group_strength", -0.5), ("duration", 0), ("duration", 105),
                    ("duration", 26.5), ("high_ee_share", 2), ("seed", -1), ("seed", 2 ** 53),
                    ("expertise", "guru"), ("expertise", None)]
    for key, value in out_of_range:
        error = expect_error(server, 400, "POST", "/api/session", body={"model": "befriending", key: value})
        assert key in error, error
    # A body of 1 MB is refused before it is parsed, and the server stays up.
    error = expect_error(server, 413, "POST", "/api/session", body="[" * 1_000_000)
    assert "large" in error, error
    # POST bodies must say they are JSON (a cross-site form cannot).
    expect_error(server, 415, "POST", "/api/session", body='{"model": "befriending"}',
                 headers={"Content-Type": "text/plain"})
    # Steps: bounded, and only for sessions that exist.
    status, _, text = server.request("POST", "/api/session", body={"model": "befriending", "seed": 3})
    assert status == 201, text
    session = json.loads(text)["id"]
    for weeks in [0, 53, -1, "2", 1.5, None]:
        expect_error(server, 400, "POST", f"/api/session/{session}/step", body={"weeks": weeks})
    status, _, text = server.request("POST", f"/api/session/{session}/step", body={"weeks": 10})
    assert status == 200 and json.loads(text)["state"]["week"] == 10, text
    expect_error(server, 404, "POST", "/api/session/0123456789abcdef0123456789abcdef/step", body={})
    expect_error(server, 404, "POST", "/api/session/../../etc/passwd/step", body={})
    expect_error(server, 404, "GET", "/api/session/" + "a" * 5000)
    expect_error(server, 404, "GET", "/api/nothing")
    expect_error(server, 404, "PUT", "/api/session", body={})
    # A request for another host name (DNS rebinding) is refused.
    expect_error(server, 403, "GET", "/api/models", headers={"Host": "attacker.example"})
    # Broken HTTP does not break the server.
    for junk in [b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                 b"POST /api/session HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
                 b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n100000\r\n" + b"[" * 70000 + b"\r\n",
                 b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=" + b"0-0," * 1500 + b"0-0\r\n"
                 b"Connection: close\r\n\r\n",
                 b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"]:
        server.raw(junk, timeout=1.0)
        assert server.alive(), f"the server died on {junk[:60]!r}"
    server.request("DELETE", f"/api/session/{session}")


def test_bounds_the_number_of_sessions(server, web):
    ids = []
    for _ in range(3):  # --max-sessions 3
        status, _, text = server.request("POST", "/api/session", body={"model": "self_help_groups"})
        assert status == 201, text
        ids.append(json.loads(text)["id"])
    error = expect_error(server, 429, "POST", "/api/session", body={"model": "self_help_groups"})
    assert "too many sessions" in error, error
    status, _, _ = server.request("DELETE", f"/api/session/{ids.pop()}")
    assert status == 200
    status, _, text = server.request("POST", "/api/session", body={"model": "self_help_groups"})
    assert status == 201, text
    ids.append(json.loads(text)["id"])
    for session in ids:
        assert server.request("DELETE", f"/api/session/{session}")[0] == 200


def test_a_second_server_cannot_take_the_port(server, web):
    second = subprocess.run([KINDRED, "serve", "--port", str(server.port), "--web-dir", web],
                            capture_output=True, text=True, timeout=10)
    assert second.returncode == 1 and "cannot listen" in second.stderr, (second.returncode, second.stderr)


def test_still_serves_after_all_that(server, web):
    assert server.alive()
    status, _, text = server.request("GET", "/api/models")
    assert status == 200 and len(json.loads(text)["models"]) == 11, text[:200]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kindred", required=True)
    parser.add_argument("--web", required=True)
    args = parser.parse_args()
    global KINDRED
    KINDRED = args.kindred
    with tempfile.TemporaryDirectory(prefix="kindred_serve_") as tmp:
        # The served folder: the real page, the libraries when installed, and style.css as a
        # symbolic link to a secret file outside the folder.
        web = os.path.join(tmp, "web")
        os.makedirs(web)
        for name in ["index.html", "app.js"]:
            shutil.copy(os.path.join(args.web, name), web)
        modules = os.path.join(args.web, "node_modules")
        for library in ["cytoscape/dist/cytoscape.min.js", "chart.js/dist/chart.umd.min.js"]:
            if os.path.exists(os.path.join(modules, library)):
                os.makedirs(os.path.dirname(os.path.join(web, "node_modules", library)), exist_ok=True)
                shutil.copy(os.path.join(modules, library), os.path.join(web, "node_modules", library))
        with open(os.path.join(tmp, "secret.txt"), "w") as f:
            f.write(SECRET)
        os.symlink(os.path.join(tmp, "secret.txt"), os.path.join(web, "style.css"))

        server = Server(args.kindred, web, max_sessions=3)
        tests = [test_serves_its_own_files, test_refuses_paths_outside_its_files,
                 test_refuses_malformed_requests, test_bounds_the_number_of_sessions,
                 test_a_second_server_cannot_take_the_port, test_still_serves_after_all_that]
        try:
            passed, failed, _ = harness.run_tests([(test.__name__, test) for test in tests],
                                                  call=lambda test: test(server, web))
        finally:
            server.process.send_signal(signal.SIGTERM)
            try:
                code = server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                code = "killed"
            stderr = server.process.stderr.read()
        if code != 0:
            failed += 1
            print(f"FAIL the server did not stop cleanly on SIGTERM (exit {code})")
        else:
            passed += 1
            print("ok   stops cleanly on SIGTERM")
        if "outside" not in stderr:
            failed += 1
            print(f"FAIL the refused symbolic link was not reported: {stderr!r}")
        else:
            passed += 1
        return harness.summary(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
