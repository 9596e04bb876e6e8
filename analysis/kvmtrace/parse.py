"""Reading traces and run directories.

The contract is `trace-cmd report -R` ("raw": every field as name=value)
text, one event per line:

      vmm-1234  [001]   123.456789: kvm_exit:  exit_reason=124 isa=2 vcpu_id=0

Tolerated: any spacing; a COMM with spaces or dashes ("CPU 0/KVM-1234");
the latency-format flags column of newer trace-cmd ("[001] d..2. 123.4:");
a "CPU:N" / "CPU N:" prefix; a "system:" prefix on the event name
("kvm:kvm_exit"); fields not listed here (kept); header lines ("cpus=8",
"version = 6", "CPU 3 is empty") and anything else that is not an event
(skipped, counted in Trace.skipped).  Loosely, the default (non-raw)
trace-cmd format of the upstream kvm_exit/kvm_entry events ("vcpu 0
reason npf rip 0x..." / "vcpu 0, rip 0x...") is read too.

LTTng CTF (a run's ctf/): parse_ctf(), through babeltrace2's bt2.

A run directory: see load_run() and analysis/README.md.
"""

import functools
import glob
import json
import os
import re
import sys
from dataclasses import dataclass, field

_EVENT = re.compile(
    r"^\s*(?:CPU:\s*\d+\s+|CPU\s*\d+:\s+)?"      # optional CPU prefix
    r"(?P<comm>.*?)-(?P<pid>\d+)\s+"              # comm-pid
    r"(?:\(\s*[-\d]+\)\s+)?"                       # optional (tgid)
    r"\[(?P<cpu>\d+)\]\s+"                         # [cpu]
    r"(?:[^\s:]{3,8}\s+)?"                         # optional latency flags
    r"(?P<ts>\d+(?:\.\d+)?):\s+"                   # timestamp (s)
    r"(?:\w+:)?(?P<name>[A-Za-z_]\w*):(?=\s|$)"  # [system:]event:
    r"(?P<rest>.*)$")
_FIELD = re.compile(r"([A-Za-z_]\w*)=(\"[^\"]*\"|\S*)")


@dataclass
class Event:
    ts: float          # seconds
    name: str          # e.g. "kvm_exit"
    cpu: int
    pid: int
    comm: str
    fields: dict       # name -> str (as printed)
    lineno: int = 0

    def int(self, key, default=None):
        """Field KEY as an integer (decimal, 0x hex, negative), or default."""
        return to_int(self.fields.get(key), default)


def to_int(v, default=None):
    if v is None:
        return default
    if isinstance(v, int):
        return v
    try:
        return int(v, 0)
    except ValueError:
        try:
            return int(v, 16) if re.fullmatch(r"[0-9a-fA-F]+", v) else default
        except ValueError:
            return default


# Non-raw (pretty) formats, read loosely: token pairs "key value".
_PRETTY_KEYS = {"vcpu": "vcpu_id", "reason": "exit_reason_name",
                "rip": "guest_rip", "info1": "info1", "info2": "info2",
                "intr_info": "intr_info", "error_code": "error_code"}


def _pretty_fields(rest):
    toks = rest.replace(",", " ").split()
    out = {}
    i = 0
    while i + 1 < len(toks):
        k = toks[i]
        if k == "reason":
            # a symbolic name may have spaces ("PF excp"): up to "rip"
            j = i + 1
            while j < len(toks) and toks[j] not in _PRETTY_KEYS:
                j += 1
            out[_PRETTY_KEYS[k]] = " ".join(toks[i + 1:j])
            i = j
        elif k in _PRETTY_KEYS:
            out[_PRETTY_KEYS[k]] = toks[i + 1]
            i += 2
        else:
            i += 1
    return out


def parse_line(line, lineno=0):
    """The Event of one line of trace-cmd report output, or None."""
    m = _EVENT.match(line)
    if not m:
        return None
    rest = m.group("rest")
    fields = {}
    for k, v in _FIELD.findall(rest):
        if len(v) >= 2 and v[0] == v[-1] == '"':
            v = v[1:-1]
        fields[k] = v
    if not fields:
        fields = _pretty_fields(rest)
    return Event(ts=float(m.group("ts")), name=m.group("name"),
                 cpu=int(m.group("cpu")), pid=int(m.group("pid")),
                 comm=m.group("comm").strip(), fields=fields, lineno=lineno)


@dataclass
class Trace:
    events: list = field(default_factory=list)
    lines: int = 0
    skipped: int = 0     # non-empty lines that were not events
    source: str = ""


def parse_lines(lines, source=""):
    """Trace of an iterable of lines, its events in time order (stable:
    equal timestamps keep their order in the file)."""
    t = Trace(source=source)
    for n, line in enumerate(lines, 1):
        t.lines = n
        if not line.strip():
            continue
        ev = parse_line(line, n)
        if ev is None:
            t.skipped += 1
        else:
            t.events.append(ev)
    t.events.sort(key=lambda e: e.ts)
    return t


def parse_file(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse_lines(f, source=path)


# ---- LTTng CTF through babeltrace2's Python bindings (optional) ----------
# Debian's python3-bt2 installs bt2 for /usr/bin/python3 only; another
# Python of the same major.minor (a pyenv one) can load it from there.
BT2_FALLBACK_DIR = "/usr/lib/python3/dist-packages"


@functools.lru_cache(maxsize=None)
def _load_bt2():
    """(the bt2 module or None, why not).  When `import bt2` fails, retries
    once with BT2_FALLBACK_DIR on sys.path, if the bt2 there was built for
    this Python's major.minor."""
    try:
        import bt2
        return bt2, ""
    except ImportError as e:
        why = "import bt2: %s" % e
    major, minor = sys.version_info[:2]
    if not glob.glob(os.path.join(BT2_FALLBACK_DIR, "bt2",
                                  "_native_bt.cpython-%d%d-*" % (major,
                                                                 minor))):
        return None, "%s; no bt2 for Python %d.%d in %s" % (
            why, major, minor, BT2_FALLBACK_DIR)
    if BT2_FALLBACK_DIR not in sys.path:
        sys.path.append(BT2_FALLBACK_DIR)
    try:
        import bt2
        return bt2, ""
    except ImportError as e:
        return None, "%s; from %s: %s" % (why, BT2_FALLBACK_DIR, e)


def import_bt2():
    """The bt2 module, or None (bt2_error() says why)."""
    return _load_bt2()[0]


def have_bt2():
    return import_bt2() is not None


def bt2_error():
    """Why bt2 cannot be imported ("" if it can)."""
    return _load_bt2()[1]


def _ctf_fields(bt2, struct):
    """{name: value} of a CTF structure field: integers (enumerations and
    booleans too) as int, reals as float, the rest as str."""
    out = {}
    if struct is None:
        return out
    for k in struct.keys():
        v = struct[k]
        if isinstance(v, (bt2._IntegerFieldConst, bt2._BoolFieldConst)):
            out[str(k)] = int(v)
        elif isinstance(v, bt2._RealFieldConst):
            out[str(k)] = float(v)
        else:
            out[str(k)] = str(v)
    return out


# Event context fields that name the thread (trace-cmd's pid column).
_CTF_TID = ("tid", "vtid", "pid", "vpid")


def parse_ctf(path):
    """Trace of every CTF trace under PATH (LTTng writes kernel/ and
    ust/...), read with bt2.  Fields are the payload's, integers as int
    (LTTng has no symbolic values: exit_reason, outcome, cause, op arrive
    as numbers, as in `trace-cmd report -R`).  Kernel event names lose a
    "system:" prefix; userspace (LTTng-UST) ones keep their provider
    ("kvmbench:exit").  pid is the event context's tid (else vtid, pid,
    vpid), comm its procname, cpu the packet's cpu_id.  Timestamps are
    seconds from the whole second before the first event."""
    bt2 = import_bt2()
    if bt2 is None:
        raise ImportError(bt2_error())
    t = Trace(source=path)
    base = None
    for msg in bt2.TraceCollectionMessageIterator(path):
        if type(msg) is not bt2._EventMessageConst:
            continue
        ev = msg.event
        ns = msg.default_clock_snapshot.ns_from_origin
        if base is None:
            base = ns - ns % 1000000000
        ctx = _ctf_fields(bt2, ev.common_context_field)
        fields = _ctf_fields(bt2, ev.payload_field)
        cpu = 0
        if ev.packet is not None and ev.packet.context_field is not None:
            cpu = int(ev.packet.context_field.get("cpu_id", 0))
        env = ev.stream.trace.environment
        ust = "domain" in env and str(env["domain"]) == "ust"
        pid = next((ctx[k] for k in _CTF_TID if k in ctx),
                   to_int(fields.get("pid"), 0))
        t.events.append(Event(ts=(ns - base) / 1e9,
                              name=ev.name if ust else ev.name.split(":")[-1],
                              cpu=cpu, pid=pid,
                              comm=str(ctx.get("procname", "")),
                              fields=fields))
        t.lines += 1
    t.events.sort(key=lambda e: e.ts)
    return t


# ---- run directories -----------------------------------------------------
@dataclass
class Run:
    path: str
    name: str
    meta: dict
    trace: Trace
    report: dict         # vmm.out key=value lines (last value wins)
    mmu_stats: dict      # mmu_stats.txt "name value" lines
    warnings: list = field(default_factory=list)

    @property
    def strategy(self):
        return str(self.meta.get("strategy", "unknown"))

    @property
    def workload(self):
        return str(self.meta.get("workload", "unknown"))

    @property
    def rep(self):
        return self.meta.get("rep", 0)


_REPORT = re.compile(r"^([A-Za-z0-9_.:/-]+)=(.*)$")


def parse_report(lines):
    """{key: value} of the guest's report lines (key=value, the VMM's
    report port syntax); other lines (console output) are ignored; values
    that are integers become ints."""
    out = {}
    for line in lines:
        m = _REPORT.match(line.strip())
        if m:
            k, v = m.group(1), m.group(2)
            iv = to_int(v)
            out[k] = iv if iv is not None and re.fullmatch(
                r"-?(0[xX][0-9a-fA-F]+|\d+)", v.strip()) else v
    return out


def parse_mmu_stats(lines):
    out = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#"):
            v = to_int(parts[1])
            if v is None:
                try:
                    v = float(parts[1])
                except ValueError:
                    v = parts[1]
            out[parts[0]] = v
    return out


def _read_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return None


def load_run(path):
    """The Run in directory PATH: meta.json (required), trace.txt (or, if
    absent and bt2 imports, ctf/), vmm.out and mmu_stats.txt (optional)."""
    name = os.path.basename(os.path.normpath(path))
    warnings = []
    with open(os.path.join(path, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    tpath = os.path.join(path, "trace.txt")
    cpath = os.path.join(path, "ctf")
    if os.path.exists(tpath):
        trace = parse_file(tpath)
    elif os.path.isdir(cpath) and have_bt2():
        trace = parse_ctf(cpath)
    else:
        trace = Trace(source="")
        warnings.append("no trace.txt%s" % (
            "" if not os.path.isdir(cpath) else
            " and ctf/ cannot be read: %s" % bt2_error()))
    rep = _read_lines(os.path.join(path, "vmm.out"))
    stats = _read_lines(os.path.join(path, "mmu_stats.txt"))
    return Run(path=path, name=name, meta=meta, trace=trace,
               report=parse_report(rep) if rep is not None else {},
               mmu_stats=parse_mmu_stats(stats) if stats is not None else {},
               warnings=warnings)


def load_results(results):
    """The runs of RESULTS/runs/*/ that have a meta.json, sorted by name
    (a RESULTS directory that is itself a runs/ directory also works)."""
    base = os.path.join(results, "runs")
    if not os.path.isdir(base):
        base = results
    runs = []
    for d in sorted(os.listdir(base)):
        p = os.path.join(base, d)
        if os.path.isfile(os.path.join(p, "meta.json")):
            runs.append(load_run(p))
    return runs
