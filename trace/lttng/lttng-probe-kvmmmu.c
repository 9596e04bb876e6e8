// SPDX-License-Identifier: GPL-2.0
/*
 * LTTng-modules probe for kvm.ko's kvmmmu tracepoints (trace/mmu_trace.h),
 * with the events of events/kvmmmu.h.  LTTng finds the tracepoints by
 * name when kvm.ko loads, before or after this module.
 */
#include <linux/module.h>
#include <lttng/tracer.h>

/* Our tracepoints, declared: LTTng's prototypes below must equal them. */
#include "mmu_trace.h"

#include <wrapper/tracepoint.h>

#define LTTNG_PACKAGE_BUILD
#define CREATE_TRACE_POINTS
#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH events
#define TRACE_INCLUDE_FILE kvmmmu

#include "events/kvmmmu.h"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LTTng probe for kvm.ko's kvmmmu tracepoints");
