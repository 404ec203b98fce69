#!/usr/bin/env python3
"""Framing verdicts of Python's h11 (a strict HTTP/1.1 parser) for the differential
request-smuggling check in ../smuggling.rs.

Reads JSON lines {"id": N, "hex": "<request bytes as hex>"} on stdin and writes one JSON
line per case: {"id", "verdict": "accepted" | "rejected" | "incomplete", "framing":
"length" | "chunked" | null, "length": N | null, "body": hex, "consumed": N, "error": str}.
Exits 3 when h11 is not installed (the Rust test then skips).
"""
import json
import sys

try:
    import h11
except ImportError:
    sys.stderr.write("h11 is not installed (pip install h11)\n")
    sys.exit(3)


def verdict(data: bytes) -> dict:
    conn = h11.Connection(our_role=h11.SERVER)
    out = {"verdict": "incomplete", "framing": None, "length": None, "body": "", "consumed": 0, "error": ""}
    body = bytearray()
    try:
        conn.receive_data(data)
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA:
                return out
            if isinstance(ev, h11.Request):
                reader = conn._reader  # the body reader h11 chose from the head
                name = type(reader).__name__
                if name == "ChunkedReader":
                    out["framing"] = "chunked"
                elif name == "ContentLengthReader":
                    out["framing"] = "length"
                    out["length"] = reader._length
                else:
                    out["framing"] = name
            elif isinstance(ev, h11.Data):
                body += ev.data
            elif isinstance(ev, h11.EndOfMessage):
                out["verdict"] = "accepted"
                out["body"] = bytes(body).hex()
                trailing, _closed = conn.trailing_data
                out["consumed"] = len(data) - len(trailing)
                return out
            elif ev is h11.PAUSED:
                return out
    except h11.RemoteProtocolError as e:
        out["verdict"] = "rejected"
        out["error"] = str(e)
        return out


def main() -> None:
    for line in sys.stdin:
        case = json.loads(line)
        v = verdict(bytes.fromhex(case["hex"]))
        v["id"] = case["id"]
        sys.stdout.write(json.dumps(v) + "\n")


if __name__ == "__main__":
    main()
