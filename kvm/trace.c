// SPDX-License-Identifier: GPL-2.0
/*
 * The one file that creates the tracepoints: kvm (trace/kvm_trace.h) and
 * kvmmmu (trace/mmu_trace.h).
 */
#include "kvm_host.h"

#define CREATE_TRACE_POINTS
#include "kvm_trace.h"
#include "mmu_trace.h"
