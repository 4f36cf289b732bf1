/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * drop_reasons.h - names of the kernel's skb drop reasons, read at run time
 * from the kfree_skb tracepoint's format in tracefs (or, without tracefs,
 * from the running kernel's BTF: enum skb_drop_reason), so reasons added
 * by newer kernels need no rebuild.
 */
#ifndef TI_DROP_REASONS_H
#define TI_DROP_REASONS_H

#include <stddef.h>

struct btf;

/* Load the table from the kfree_skb format in tracefs, else from
 * /sys/kernel/btf/vmlinux (done lazily by drop_reason_name; idempotent).
 * 0 or negative errno. */
int drop_reasons_load(void);
/* Replace the table with the __print_symbolic(REC->reason, ...) pairs of a
 * tracepoint format text (tests). 0, -ENOENT without that list, -EINVAL
 * for a list it cannot read to its end, -ENOMEM. */
int drop_reasons_from_format(const char *text);
/* Replace the table with the enum found in btf (tests). 0, -ENOENT if btf
 * has no enum skb_drop_reason, -ENOMEM. */
int drop_reasons_from_btf(const struct btf *btf);
/* "NO_SOCKET" for SKB_DROP_REASON_NO_SOCKET; "UNKNOWN(n)" (in buf) for a
 * value the kernel's enum does not have or when BTF is unavailable. */
const char *drop_reason_name(unsigned int reason, char *buf, size_t len);
void drop_reasons_free(void);

#endif
