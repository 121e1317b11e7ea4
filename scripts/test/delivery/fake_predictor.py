"""A stand-in predictor for the smoke test's edge cases the real host never produces
(warm-up 503s, reformatted numbers, extra rows). Usage: fake_predictor.py PORT MODE"""

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RIGHT = b'{"prediction":[25.0021457871835]}'
MODES = {
    # mode: (ready answers before it is ready, ready status, ready body, predict status, body)
    "warmup": (2, 200, b'{"ready":true}', 200, RIGHT),
    "never-ready": (10**9, 200, b'{"ready":true}', 200, RIGHT),
    "ready-false": (0, 200, b'{"ready":false}', 200, RIGHT),
    "predict-500": (0, 200, b'{"ready":true}', 500, b'{"error":"boom"}'),
    "text-drift": (0, 200, b'{"ready":true}', 200, b'{"prediction":[25.00214578718350]}'),
    "two-rows": (0, 200, b'{"ready":true}', 200, b'{"prediction":[25.0021457871835,1.0]}'),
    "as-string": (0, 200, b'{"ready":true}', 200, b'{"prediction":["25.0021457871835"]}'),
}


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    not_ready_for, ready_status, ready_body, predict_status, predict_body = MODES[mode]
    calls = {"ready": 0}

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path != "/v2/health/ready":
                return self.answer(404, b'{"error":"not found"}')
            calls["ready"] += 1
            if calls["ready"] <= not_ready_for:
                return self.answer(503, b'{"ready":false}')
            self.answer(ready_status, ready_body)

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != "/predict":
                return self.answer(404, b'{"error":"not found"}')
            self.answer(predict_status, predict_body)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
