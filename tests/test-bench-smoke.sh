#!/usr/bin/env bash
# test-bench-smoke.sh — the benchmark harnesses run, with tiny settings, so
# that they cannot rot: tools/bench/latency places one call and writes its
# JSON with every figure present. Timings are not judged here.
set -euo pipefail
build=$1
source=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$source/tools/bench/latency" --calls 1 --build-dir "$build" --json "$out/latency.json" \
  --markdown "$out/latency.md" > /dev/null
python3 - "$out/latency.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for key in ("first_response_ms", "response_ms", "overhead_ms", "tool_response_ms",
            "barge_in_stop_ms"):
    s = r[key]
    assert s["n"] >= 1 and s["mean"] is not None and s["p95"] is not None, (key, s)
    assert 0 <= s["mean"] <= 10000, (key, s)
assert r["providers_ms"] == {"stt": 50, "llm": 94, "tts": 51, "webhook": 100}, r["providers_ms"]
# A regular response cannot beat the endpointing and the providers' time.
assert r["response_ms"]["mean"] >= 700 + 50 + 94 + 51, r["response_ms"]
PY
grep -q "| First response" "$out/latency.md"
echo "tools/bench/latency ran one call and reported every figure"

# tools/bench/capacity: one step of 3 short calls, against the daemon and
# the floor.
"$source/tools/bench/capacity" --steps 3 --call-seconds 12 --build-dir "$build" \
  --json "$out/capacity.json" --markdown "$out/capacity.md" > /dev/null
python3 - "$out/capacity.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for steps in (r["steps"], r["floor"]["steps"]):
    assert len(steps) == 1, steps
    s = steps[0]
    assert s["calls"] == 3 and s["completed"] == 3 and s["failed"] == 0, s
    assert s["cpu_ms_per_call_s"] > 0 and s["threads"] > 0 and s["fds"] > 0, s
assert r["steps"][0]["probe_response_ms"] is not None, r["steps"][0]
assert 0 < r["steps"][0]["rtp_jitter_p99_ms"] < 1000, r["steps"][0]
assert r["steps"][0]["cpu_vs_floor"] is not None, r["steps"][0]
PY
grep -q "| calls | completed" "$out/capacity.md"
echo "tools/bench/capacity ran a step against the daemon and the floor"
