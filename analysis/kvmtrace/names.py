"""Names for the numbers in the trace.

Exit reasons are hardware exit codes.  Their names come from Linux's uapi
headers <asm/svm.h> (SVM_EXIT_REASONS) and <asm/vmx.h> (VMX_EXIT_REASONS),
parsed at run time when the headers are on this machine, else from the
built-in tables below (generated from Debian 12's linux-libc-dev 6.1
headers by this module's parse_reasons()).  The KVM_RUN exit reasons of
userspace (KVM_EXIT_*) come from <linux/kvm.h> the same way.
"""

import ast
import os
import re

# ---- the MMU tracepoints' enumerations (trace/ defines them) -------------
ISA = {1: "VMX", 2: "SVM"}
FAULT_OUTCOME = {0: "FIXED", 1: "RETRY", 2: "GUEST", 3: "EMULATE"}
# An EMULATE's pt_write: MMIO (no memory, or read-only memory written) or
# a write to a write-protected guest page table.
EMULATE_KIND = {0: "MMIO", 1: "PT_WRITE"}
FLUSH_CAUSE = {0: "CR3", 1: "INVLPG", 2: "FULL", 3: "REMOTE"}
SP_OP = {0: "CREATE", 1: "ZAP", 2: "RECLAIM", 3: "FLOOD", 4: "UNPROTECT",
         5: "UNSYNC", 6: "SYNC"}
# mmu_sp ops that remove a live shadow page.
SP_REMOVE = frozenset(("ZAP", "RECLAIM", "FLOOD", "UNPROTECT"))


def enum_name(table, v, what):
    """The name of value V in TABLE ({int: name}), else "WHAT V"."""
    return table.get(v, "%s %s" % (what, v))


HEADER_DIRS = (
    "/usr/include/x86_64-linux-gnu/asm",
    "/usr/include/asm",
    "/usr/include/asm-generic",
)

# Exception vectors (<asm/kvm.h>), used by SVM_EXIT_EXCP_BASE + XX_VECTOR.
VECTORS = {
    "DE_VECTOR": 0, "DB_VECTOR": 1, "BP_VECTOR": 3, "OF_VECTOR": 4,
    "BR_VECTOR": 5, "UD_VECTOR": 6, "NM_VECTOR": 7, "DF_VECTOR": 8,
    "TS_VECTOR": 10, "NP_VECTOR": 11, "SS_VECTOR": 12, "GP_VECTOR": 13,
    "PF_VECTOR": 14, "MF_VECTOR": 16, "AC_VECTOR": 17, "MC_VECTOR": 18,
    "XM_VECTOR": 19,
}
VECTOR_MNEMONIC = {v: "#" + k.split("_")[0] for k, v in VECTORS.items()}
VECTOR_MNEMONIC[2] = "NMI"

# SVM exit codes and VMX basic exit reasons the analysis itself needs.
SVM_EXIT_PF = 0x40 + 14
SVM_EXIT_NPF = 0x400
VMX_EXIT_EXCEPTION_NMI = 0
VMX_EXIT_EPT_VIOLATION = 48

_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)\s+(.+?)\s*$")
_PAIR = re.compile(r'\{\s*([^,{}]+?)\s*,\s*"([^"]*)"\s*\}')


def _eval(expr, consts):
    """Value of a C integer constant expression over known names, or None."""
    expr = re.sub(r"/\*.*?\*/", "", expr).strip()
    expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", expr)
    if not expr:
        return None
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return None

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.Name):
            if n.id in consts:
                return consts[n.id]
            raise KeyError(n.id)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.Invert)):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else ~v
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            ops = {ast.Add: a + b, ast.Sub: a - b, ast.BitOr: a | b,
                   ast.BitAnd: a & b}
            if type(n.op) in ops:
                return ops[type(n.op)]
            if isinstance(n.op, ast.LShift):
                return a << b
            if isinstance(n.op, ast.Mult):
                return a * b
        raise ValueError(expr)

    try:
        return ev(tree)
    except (KeyError, ValueError):
        return None


def parse_reasons(text, macro, consts=None):
    """{code: name} from the '#define MACRO { CODE, "name" }, ...' table of
    a header's text; the codes' #defines are taken from the same text (and
    consts, e.g. VECTORS)."""
    known = dict(VECTORS)
    known.update(consts or {})
    # Join continuation lines so each #define is one line.
    joined = re.sub(r"\\\s*\n", " ", text)
    body = None
    for line in joined.splitlines():
        m = _DEFINE.match(line)
        if not m:
            continue
        name, value = m.group(1), m.group(2)
        if name == macro:
            body = value
            continue
        v = _eval(value, known)
        if v is not None:
            known[name] = v
    if body is None:
        return {}
    out = {}
    for code, name in _PAIR.findall(body):
        v = _eval(code, known)
        if v is not None:
            out.setdefault(v, name)
    return out


def _from_headers(filename, macro):
    for d in HEADER_DIRS:
        path = os.path.join(d, filename)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        table = parse_reasons(text, macro)
        if table:
            return table, path
    return None, None


# Generated from /usr/include/x86_64-linux-gnu/asm/svm.h (linux-libc-dev 6.1).
SVM_FALLBACK = {
    -1: 'invalid_guest_state',
    0x0: 'read_cr0',
    0x2: 'read_cr2',
    0x3: 'read_cr3',
    0x4: 'read_cr4',
    0x8: 'read_cr8',
    0x10: 'write_cr0',
    0x12: 'write_cr2',
    0x13: 'write_cr3',
    0x14: 'write_cr4',
    0x18: 'write_cr8',
    0x20: 'read_dr0',
    0x21: 'read_dr1',
    0x22: 'read_dr2',
    0x23: 'read_dr3',
    0x24: 'read_dr4',
    0x25: 'read_dr5',
    0x26: 'read_dr6',
    0x27: 'read_dr7',
    0x30: 'write_dr0',
    0x31: 'write_dr1',
    0x32: 'write_dr2',
    0x33: 'write_dr3',
    0x34: 'write_dr4',
    0x35: 'write_dr5',
    0x36: 'write_dr6',
    0x37: 'write_dr7',
    0x40: 'DE excp',
    0x41: 'DB excp',
    0x43: 'BP excp',
    0x44: 'OF excp',
    0x45: 'BR excp',
    0x46: 'UD excp',
    0x47: 'NM excp',
    0x48: 'DF excp',
    0x4a: 'TS excp',
    0x4b: 'NP excp',
    0x4c: 'SS excp',
    0x4d: 'GP excp',
    0x4e: 'PF excp',
    0x50: 'MF excp',
    0x51: 'AC excp',
    0x52: 'MC excp',
    0x53: 'XF excp',
    0x60: 'interrupt',
    0x61: 'nmi',
    0x62: 'smi',
    0x63: 'init',
    0x64: 'vintr',
    0x65: 'cr0_sel_write',
    0x66: 'read_idtr',
    0x67: 'read_gdtr',
    0x68: 'read_ldtr',
    0x69: 'read_rt',
    0x6a: 'write_idtr',
    0x6b: 'write_gdtr',
    0x6c: 'write_ldtr',
    0x6d: 'write_rt',
    0x6e: 'rdtsc',
    0x6f: 'rdpmc',
    0x70: 'pushf',
    0x71: 'popf',
    0x72: 'cpuid',
    0x73: 'rsm',
    0x74: 'iret',
    0x75: 'swint',
    0x76: 'invd',
    0x77: 'pause',
    0x78: 'hlt',
    0x79: 'invlpg',
    0x7a: 'invlpga',
    0x7b: 'io',
    0x7c: 'msr',
    0x7d: 'task_switch',
    0x7e: 'ferr_freeze',
    0x7f: 'shutdown',
    0x80: 'vmrun',
    0x81: 'hypercall',
    0x82: 'vmload',
    0x83: 'vmsave',
    0x84: 'stgi',
    0x85: 'clgi',
    0x86: 'skinit',
    0x87: 'rdtscp',
    0x88: 'icebp',
    0x89: 'wbinvd',
    0x8a: 'monitor',
    0x8b: 'mwait',
    0x8d: 'xsetbv',
    0x8f: 'write_efer_trap',
    0x90: 'write_cr0_trap',
    0x94: 'write_cr4_trap',
    0x98: 'write_cr8_trap',
    0xa2: 'invpcid',
    0x400: 'npf',
    0x401: 'avic_incomplete_ipi',
    0x402: 'avic_unaccelerated_access',
    0x403: 'vmgexit',
    0x80000001: 'vmgexit_mmio_read',
    0x80000002: 'vmgexit_mmio_write',
    0x80000003: 'vmgexit_nmi_complete',
    0x80000004: 'vmgexit_ap_hlt_loop',
    0x80000005: 'vmgexit_ap_jump_table',
    0x80000010: 'vmgexit_page_state_change',
    0x80000011: 'vmgexit_guest_request',
    0x80000012: 'vmgexit_ext_guest_request',
    0x80000013: 'vmgexit_ap_creation',
    0x8000fffd: 'vmgexit_hypervisor_feature',
}

# Generated from /usr/include/x86_64-linux-gnu/asm/vmx.h (linux-libc-dev 6.1).
VMX_FALLBACK = {
    0: 'EXCEPTION_NMI',
    1: 'EXTERNAL_INTERRUPT',
    2: 'TRIPLE_FAULT',
    3: 'INIT_SIGNAL',
    4: 'SIPI_SIGNAL',
    7: 'INTERRUPT_WINDOW',
    8: 'NMI_WINDOW',
    9: 'TASK_SWITCH',
    10: 'CPUID',
    12: 'HLT',
    13: 'INVD',
    14: 'INVLPG',
    15: 'RDPMC',
    16: 'RDTSC',
    18: 'VMCALL',
    19: 'VMCLEAR',
    20: 'VMLAUNCH',
    21: 'VMPTRLD',
    22: 'VMPTRST',
    23: 'VMREAD',
    24: 'VMRESUME',
    25: 'VMWRITE',
    26: 'VMOFF',
    27: 'VMON',
    28: 'CR_ACCESS',
    29: 'DR_ACCESS',
    30: 'IO_INSTRUCTION',
    31: 'MSR_READ',
    32: 'MSR_WRITE',
    33: 'INVALID_STATE',
    34: 'MSR_LOAD_FAIL',
    36: 'MWAIT_INSTRUCTION',
    37: 'MONITOR_TRAP_FLAG',
    39: 'MONITOR_INSTRUCTION',
    40: 'PAUSE_INSTRUCTION',
    41: 'MCE_DURING_VMENTRY',
    43: 'TPR_BELOW_THRESHOLD',
    44: 'APIC_ACCESS',
    45: 'EOI_INDUCED',
    46: 'GDTR_IDTR',
    47: 'LDTR_TR',
    48: 'EPT_VIOLATION',
    49: 'EPT_MISCONFIG',
    50: 'INVEPT',
    51: 'RDTSCP',
    52: 'PREEMPTION_TIMER',
    53: 'INVVPID',
    54: 'WBINVD',
    55: 'XSETBV',
    56: 'APIC_WRITE',
    57: 'RDRAND',
    58: 'INVPCID',
    59: 'VMFUNC',
    60: 'ENCLS',
    61: 'RDSEED',
    62: 'PML_FULL',
    63: 'XSAVES',
    64: 'XRSTORS',
    67: 'UMWAIT',
    68: 'TPAUSE',
    74: 'BUS_LOCK',
    75: 'NOTIFY',
}

# Generated from /usr/include/linux/kvm.h (linux-libc-dev 6.1) by
# parse_kvm_exits().
KVM_EXIT_FALLBACK = {
    0: 'KVM_EXIT_UNKNOWN', 1: 'KVM_EXIT_EXCEPTION', 2: 'KVM_EXIT_IO',
    3: 'KVM_EXIT_HYPERCALL', 4: 'KVM_EXIT_DEBUG', 5: 'KVM_EXIT_HLT',
    6: 'KVM_EXIT_MMIO', 7: 'KVM_EXIT_IRQ_WINDOW_OPEN', 8: 'KVM_EXIT_SHUTDOWN',
    9: 'KVM_EXIT_FAIL_ENTRY', 10: 'KVM_EXIT_INTR', 11: 'KVM_EXIT_SET_TPR',
    12: 'KVM_EXIT_TPR_ACCESS', 13: 'KVM_EXIT_S390_SIEIC',
    14: 'KVM_EXIT_S390_RESET', 15: 'KVM_EXIT_DCR', 16: 'KVM_EXIT_NMI',
    17: 'KVM_EXIT_INTERNAL_ERROR', 18: 'KVM_EXIT_OSI',
    19: 'KVM_EXIT_PAPR_HCALL', 20: 'KVM_EXIT_S390_UCONTROL',
    21: 'KVM_EXIT_WATCHDOG', 22: 'KVM_EXIT_S390_TSCH', 23: 'KVM_EXIT_EPR',
    24: 'KVM_EXIT_SYSTEM_EVENT', 25: 'KVM_EXIT_S390_STSI',
    26: 'KVM_EXIT_IOAPIC_EOI', 27: 'KVM_EXIT_HYPERV', 28: 'KVM_EXIT_ARM_NISV',
    29: 'KVM_EXIT_X86_RDMSR', 30: 'KVM_EXIT_X86_WRMSR',
    31: 'KVM_EXIT_DIRTY_RING_FULL', 32: 'KVM_EXIT_AP_RESET_HOLD',
    33: 'KVM_EXIT_X86_BUS_LOCK', 34: 'KVM_EXIT_XEN', 35: 'KVM_EXIT_RISCV_SBI',
    36: 'KVM_EXIT_RISCV_CSR', 37: 'KVM_EXIT_NOTIFY',
}
KVM_HEADER = "/usr/include/linux/kvm.h"


def parse_kvm_exits(text):
    """{code: 'KVM_EXIT_NAME'} of <linux/kvm.h>: the run of KVM_EXIT_*
    #defines that starts at KVM_EXIT_UNKNOWN (the header also has
    KVM_EXIT_IO_IN, KVM_EXIT_HYPERV_*, ...: other enumerations)."""
    out = {}
    for line in text.splitlines():
        m = _DEFINE.match(line)
        if not m:
            continue
        if m.group(1) == "KVM_EXIT_UNKNOWN" or (
                out and m.group(1).startswith("KVM_EXIT_")):
            v = _eval(m.group(2), {})
            if v is not None:
                out.setdefault(v, m.group(1))
        elif out:
            break
    return out


_tables = {}


def kvm_exit_name(code):
    """The name of a KVM_RUN exit reason (kvm_run.exit_reason, the
    kvmbench:exit field): 'KVM_EXIT_IO', or 'KVM_EXIT 99' if unknown."""
    if "KVM" not in _tables:
        try:
            with open(KVM_HEADER, encoding="utf-8", errors="replace") as f:
                t = parse_kvm_exits(f.read())
        except OSError:
            t = {}
        _tables["KVM"] = (t, KVM_HEADER) if t else (KVM_EXIT_FALLBACK,
                                                    "built-in")
    return enum_name(_tables["KVM"][0], code, "KVM_EXIT")


def table(isa):
    """(the {code: name} table for ISA 'SVM' or 'VMX', where it came from)."""
    isa = isa.upper()
    if isa not in _tables:
        if isa == "SVM":
            t, src = _from_headers("svm.h", "SVM_EXIT_REASONS")
            _tables[isa] = (t, src) if t else (SVM_FALLBACK, "built-in")
        else:
            t, src = _from_headers("vmx.h", "VMX_EXIT_REASONS")
            _tables[isa] = (t, src) if t else (VMX_FALLBACK, "built-in")
    return _tables[isa]


def isa_name(isa):
    """'SVM' or 'VMX' for the kvm_exit isa field (1 VMX, 2 SVM), or a
    string already naming one; None if unknown."""
    if isa is None:
        return None
    if isinstance(isa, str):
        u = isa.upper()
        if u in ("SVM", "VMX"):
            return u
        try:
            isa = int(isa, 0)
        except ValueError:
            return None
    return ISA.get(isa)


def exit_name(isa, code, intr_info=None):
    """The name of exit code CODE on ISA (1/2/'VMX'/'SVM').  VMX exception
    exits name the vector too ('EXCEPTION_NMI #PF') when intr_info is
    valid.  Unknown codes read 'SVM 0x123' / 'VMX 77' / 'exit 5'."""
    isa = isa_name(isa)
    if isa is None:
        return "exit %d" % code
    if isa == "VMX":
        basic = code & 0xffff
        if code & 0x80000000:
            return "FAILED_VMENTRY %d" % basic
        name = table("VMX")[0].get(basic, "VMX %d" % basic)
        if basic == VMX_EXIT_EXCEPTION_NMI and intr_info is not None \
                and intr_info & 0x80000000:
            name += " " + VECTOR_MNEMONIC.get(intr_info & 0xff,
                                              "vec%d" % (intr_info & 0xff))
        return name
    # SVM_EXIT_ERR is -1, traced as a u32 or u64.
    if code in (0xffffffff, 0xffffffffffffffff):
        code = -1
    return table("SVM")[0].get(code, "SVM 0x%x" % code)


def is_fault_exit(isa, code, intr_info=None):
    """Is this the exit of a guest page fault (shadow paging: #PF
    intercept) or of a nested-paging fault (NPF / EPT violation)?"""
    isa = isa_name(isa)
    if isa == "SVM":
        return code in (SVM_EXIT_PF, SVM_EXIT_NPF)
    if isa == "VMX":
        basic = code & 0xffff
        if basic == VMX_EXIT_EPT_VIOLATION:
            return True
        return (basic == VMX_EXIT_EXCEPTION_NMI and intr_info is not None
                and (intr_info & 0x800000ff) == 0x8000000e)
    return False


FAULT_NAMES = frozenset(("PF excp", "npf", "EXCEPTION_NMI #PF",
                         "EPT_VIOLATION", "EXIT_NPF", "EXIT_EXCP_PF",
                         "page_fault"))


def is_fault_name(name):
    """The same test for exits known only by name (non-raw input)."""
    return name in FAULT_NAMES or name.lower() in ("pf excp", "npf",
                                                  "ept_violation")
