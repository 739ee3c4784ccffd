"""tbbench.py — what tools/bench/latency and tools/bench/capacity share:
free loopback ports, tb-fake-cloud and the daemon started on an agent whose
providers are the fakes, caller audio, waiting on the daemon's log, and the
statistics and machine line of the reports."""

import json
import math
import os
import platform
import re
import socket
import statistics
import struct
import subprocess
import sys
import time
import urllib.request
import wave

KEY = "sk-bench-0123456789abcdef"
KEY_ENV = "TB_BENCH_CLOUD_KEY"
RATE = 16000

# The niceness the server under test and the fakes that stand for the cloud
# providers run at (--nice). A deployment may give a telephony server
# priority over the rest of its machine (systemd's Nice=, as Asterisk's and
# FreeSWITCH's high-priority options do); by default the benchmarks do not:
# everything runs at 0, the load generator (sipp) and the probe call too.
SERVER_NICE = 0


def add_nice_option(parser):
    parser.add_argument("--nice", type=int, default=SERVER_NICE,
                        help="niceness of the server and the fakes (needs root or "
                             "CAP_SYS_NICE below 0; 0: as the load generator)")


def niced(argv, nice):
    """@argv run at @nice (coreutils nice runs it anyway, at 0, when not
    permitted: nice_of() tells what it got)."""
    return ["nice", "-n", str(nice)] + argv if nice else argv


def proc_stat(pid):
    """The fields of /proc/@pid/stat after the command's name: [0] is the
    state (field 3 of proc(5)), [11] and [12] utime and stime, [16] nice."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def nice_of(pid):
    """The niceness process @pid runs at."""
    return int(proc_stat(pid)[16])


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_udp_tcp_port():
    while True:
        port = free_port()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue


def bursts_pcm(bursts, total_ms, rate):
    """16-bit samples: 300 Hz bursts (speech to the fake recogniser) at
    @bursts [(start_ms, end_ms)], silence elsewhere."""
    samples = [0] * (total_ms * rate // 1000)
    for start, end in bursts:
        for i in range(start * rate // 1000, end * rate // 1000):
            samples[i] = int(8000 * math.sin(2 * math.pi * 300 * i / rate))
    return samples


def write_caller(path, bursts, total_ms):
    """A 16 kHz WAV of bursts_pcm (for tb-call)."""
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(struct.pack(f"<{total_ms * RATE // 1000}h",
                                  *bursts_pcm(bursts, total_ms, RATE)))


def _mulaw(sample):
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exponent = 7
    for e in range(7, -1, -1):
        if sample & (0x4000 >> (7 - e)):
            exponent = e
            break
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def write_caller_mulaw(path, bursts, total_ms):
    """An 8 kHz G.711 µ-law WAV of bursts_pcm: sipp's rtp_stream sends a
    WAV's data as the RTP payload as it is."""
    data = bytes(_mulaw(x) for x in bursts_pcm(bursts, total_ms, 8000))
    fmt = struct.pack("<HHIIHH", 7, 1, 8000, 8000, 1, 8)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
        f.write(b"data" + struct.pack("<I", len(data)) + data)


def control(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as reply:
        return json.load(reply)


def fake_log(url):
    with urllib.request.urlopen(url + "/_fake/log", timeout=10) as reply:
        return json.load(reply)


def wait_for(path, needle, count, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            text = f.read()
        if text.count(needle) >= count:
            return text
        time.sleep(0.05)
    raise RuntimeError(f"{path}: '{needle}' not seen {count} times in {timeout_s} s")


def summary(values):
    if not values:
        return {"mean": None, "p95": None, "max": None, "n": 0}
    ordered = sorted(values)
    # Nearest rank.
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"mean": round(statistics.fmean(values), 1), "p95": round(p95, 1),
            "max": round(ordered[-1], 1), "n": len(values)}


def machine():
    cpus = os.cpu_count()
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            model = m.group(1) if m else ""
    except OSError:
        pass
    return f"{platform.node()}: {cpus} CPUs {model}".strip()


def config(dir_, sip_port, http_port, fake_url, stt_url, build_dir, endpointing_ms, rtp_ports,
           max_calls=1000):
    """The daemon's config: agent "bench" on 5000 with Deepgram (the fake at
    @stt_url), OpenAI, ElevenLabs and a webhook tool (the fake at @fake_url)."""
    ws = "ws" + stt_url[len("http"):]
    text = f"""[talkingbits]
plugin-path={os.path.join(build_dir, 'plugins')}
[sip]
listen=127.0.0.1:{sip_port}
max-calls={max_calls}
[http]
listen=127.0.0.1:{http_port}
[media]
rtp-ports={rtp_ports}
[agent:bench]
numbers=5000
greeting=Hello, Greenfield Clinic.
stt=deepgram
tts=elevenlabs
llm=openai
tools=booking
endpointing-ms={endpointing_ms}
[stt:deepgram]
base-url={ws}
api-key-env={KEY_ENV}
[llm:openai]
base-url={fake_url}/v1
api-key-env={KEY_ENV}
[tts:elevenlabs]
base-url={fake_url}
api-key-env={KEY_ENV}
[tool:booking]
plugin=webhook
url={fake_url}/webhook/book
function=book_appointment
description=Book an appointment.
parameters={{"type":"object","properties":{{"day":{{"type":"string"}},"time":{{"type":"string"}}}},"required":["day","time"]}}
"""
    path = os.path.join(dir_, "bench.conf")
    with open(path, "w") as f:
        f.write(text)
    return path




class Stack:
    """tb-fake-cloud and the daemon on config(), in @work."""

    def __init__(self, build_dir, work, endpointing_ms=700, rtp_ports=None, max_calls=1000,
                 verbose=False, fake_batch_us=0, nice=0):
        self.build_dir = build_dir
        self.daemon_exe = os.path.join(build_dir, "core", "talkingbits")
        self.tb_call = os.path.join(build_dir, "tools", "tb-call")
        fake_exe = os.path.join(build_dir, "tests", "fakes", "tb-fake-cloud")
        for exe in (self.daemon_exe, self.tb_call, fake_exe):
            if not os.access(exe, os.X_OK):
                sys.exit(f"bench: {exe} is missing: build first (tools/setup)")
        self.work = work
        self.fakes = []
        self.daemon = None
        self.nice = nice
        # Two fakes, as the providers are separate services: Deepgram's
        # stream per call in one (waking up at most every @fake_batch_us),
        # the dialogue's requests in the other, whose few connections need
        # no batching, so that the LLM's and the voice's timers are not held
        # up by a pass over hundreds of sockets that are not theirs.
        self.fake_url = self._start_fake(fake_exe, 0)
        self.stt_url = self._start_fake(fake_exe, fake_batch_us)
        self.sip_port, self.http_port = free_udp_tcp_port(), free_port()
        if rtp_ports is None:
            first = 30000 + (self.sip_port % 1000) * 20
            rtp_ports = f"{first}-{first + 19}"
        conf = config(work, self.sip_port, self.http_port, self.fake_url, self.stt_url, build_dir,
                      endpointing_ms, rtp_ports, max_calls)
        self.log_path = os.path.join(work, "daemon.log")
        env = dict(os.environ, **{KEY_ENV: KEY, "TALKINGBITS_PLUGIN_PATH": ""})
        with open(self.log_path, "w") as log:
            # As in production: notices and above, unless debugging the
            # bench itself (every module's debug messages cost CPU).
            argv = [self.daemon_exe] + (["-v"] if verbose else []) + ["--config", conf]
            self.daemon = subprocess.Popen(niced(argv, nice), stdout=log,
                                           stderr=subprocess.STDOUT, env=env, cwd=work)
        wait_for(self.log_path, " ready (pid ", 1, 30)
        # What it got: nice says why when it could not.
        self.nice = nice_of(self.daemon.pid)

    def _start_fake(self, exe, batch_us):
        fake = subprocess.Popen(niced([exe, "--api-key", KEY, f"--batch-us={batch_us}"],
                                      self.nice), stdout=subprocess.PIPE, text=True)
        self.fakes.append(fake)
        line = fake.stdout.readline().strip()
        if not line.startswith("listening on "):
            sys.exit(f"bench: tb-fake-cloud said {line!r}")
        return line[len("listening on "):]

    def _url(self, route):
        return self.stt_url if route == "stt-deepgram" else self.fake_url

    def knobs(self, **ms):
        """Provider latencies: stt, llm, tts, webhook (ms)."""
        for route, knobs in (("llm", {"first_byte_ms": ms["llm"]}),
                             ("tts-elevenlabs", {"first_byte_ms": ms["tts"]}),
                             ("stt-deepgram", {"chunk_ms": ms["stt"]}),
                             ("webhook", {"first_byte_ms": ms["webhook"]})):
            control(self._url(route), "/_fake/knobs", dict(route=route, **knobs))

    def script(self, route, items):
        control(self._url(route), "/_fake/script", {"route": route, "items": items})

    def reset(self):
        for url in (self.fake_url, self.stt_url):
            control(url, "/_fake/reset", {})

    def violations(self):
        return fake_log(self.fake_url)["violations"] + fake_log(self.stt_url)["violations"]

    def call_records(self, count, timeout_s=60):
        """The JSON of the first @count end-of-call lines of the log."""
        text = wait_for(self.log_path, " ended: {", count, timeout_s)
        return [json.loads(part.split("\n")[0]) for part in text.split(" ended: ")[1:count + 1]]

    def stop(self):
        if self.daemon:
            self.daemon.terminate()
            try:
                self.daemon.wait(10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
        for fake in self.fakes:
            fake.kill()
            fake.wait()
