"""kvmtrace: turn the hypervisor's traces into tables and gnuplot plots.

Modules: parse (trace-cmd text and CTF input, run directories), names
(exit reasons and the MMU tracepoints' enumerations), stats (pairing
exits with entries, latency summaries, per-strategy aggregates), tables
(Markdown and CSV), plots (gnuplot scripts, data files, rendering).
"""
