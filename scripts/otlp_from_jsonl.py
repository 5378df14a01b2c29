#!/usr/bin/env python3
"""Convert tokcost canonical JSONL (as tokcost gen writes it) to OTLP/JSON,
one span per line in the OpenTelemetry file-exporter layout, for benchmarking
the otlp reader (scripts/bench.sh). Usage: otlp_from_jsonl.py < in.jsonl > out.jsonl

Mapping (docs/formats/otel.md): session_id -> gen_ai.conversation.id and the
trace id (md5); llm records -> chat spans with gen_ai.usage.*; tool records ->
execute_tool spans; status error/timeout -> status code 2 (+ error.type).
"""
import sys, json, hashlib, datetime
out = sys.stdout
def s(k, v): return {"key": k, "value": {"stringValue": v}}
def i(k, v): return {"key": k, "value": {"intValue": str(v)}}
for n, line in enumerate(sys.stdin, 1):
    r = json.loads(line)
    sid = r["session_id"]
    trace = hashlib.md5(sid.encode()).hexdigest()
    ts = datetime.datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))
    start = int(ts.timestamp()) * 10**9 + ts.microsecond * 1000
    end = start + int(r.get("duration_ms", 0) * 10**6)
    attrs = [s("gen_ai.conversation.id", sid)]
    span = {"traceId": trace, "spanId": "%016x" % n, "kind": 3,
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(end)}
    if r.get("kind") == "tool":
        span["name"] = "execute_tool " + r.get("tool", "")
        attrs += [s("gen_ai.operation.name", "execute_tool"), s("gen_ai.tool.name", r.get("tool", ""))]
    else:
        span["name"] = "chat " + r.get("model", "")
        attrs += [s("gen_ai.operation.name", "chat"), s("gen_ai.request.model", r.get("model", "")),
                  s("gen_ai.provider.name", r.get("provider", "")), s("gen_ai.response.id", r["id"]),
                  i("gen_ai.usage.input_tokens", r.get("input_tokens", 0)), i("gen_ai.usage.output_tokens", r.get("output_tokens", 0))]
        if r.get("cache_read_tokens"): attrs.append(i("gen_ai.usage.cache_read.input_tokens", r["cache_read_tokens"]))
        if r.get("cache_write_tokens"): attrs.append(i("gen_ai.usage.cache_creation.input_tokens", r["cache_write_tokens"]))
    if r.get("status") in ("error", "timeout"):
        span["status"] = {"code": 2, "message": r.get("error", "")}
        if r["status"] == "timeout": attrs.append(s("error.type", "timeout"))
    span["attributes"] = attrs
    doc = {"resourceSpans": [{"resource": {"attributes": [s("service.name", "bench")]},
                              "scopeSpans": [{"scope": {"name": "bench"}, "spans": [span]}]}]}
    out.write(json.dumps(doc, separators=(",", ":")) + "\n")
