/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sock_tuple.bpf.h - a connection's tuple read from the kernel's socket
 * (struct sock_common), shared by the connection tracepoints and the
 * socket iterators. Include after vmlinux.h, bpf_core_read.h, bpf_endian.h
 * and tcpinspect.h.
 */
#ifndef TI_SOCK_TUPLE_BPF_H
#define TI_SOCK_TUPLE_BPF_H

/*
 * A field of a kernel object. btf (a compile-time constant in every caller,
 * so each program keeps one branch): the program holds the object as a
 * BTF-typed pointer (tp_btf arguments, iterator contexts) and reads the
 * field with a plain load, which the verifier makes fault-safe; no helper
 * call, ~10 ns less per field. Otherwise (classic tracepoints: addresses are
 * plain numbers) bpf_probe_read_kernel().
 */
#define TI_KREAD(btf, ptr, field) \
	((btf) ? (ptr)->field : BPF_CORE_READ(ptr, field))

/* An IPv4 peer on a dual-stack IPv6 socket has a v4-mapped address
 * (::ffff:a.b.c.d). */
static __always_inline bool v4_mapped(const __u8 *a)
{
	for (int i = 0; i < 10; i++)
		if (a[i])
			return false;
	return a[10] == 0xff && a[11] == 0xff;
}

/* Family and addresses: dst = local end, src = remote peer. Reads 4 bytes
 * for IPv4 and 16 for IPv6. A dual-stack socket whose two ends are both
 * v4-mapped is reported as the IPv4 connection it is (as ss shows it).
 * btf: skc is a BTF-typed pointer (see TI_KREAD). Returns false if the
 * socket is neither IPv4 nor IPv6. */
static __always_inline bool skc_addrs(const struct sock_common *skc,
				      struct ti_tuple *t, bool btf)
{
	__u16 family = TI_KREAD(btf, skc, skc_family);

	if (family == TI_AF_INET && btf) {
		__u32 dst = skc->skc_rcv_saddr, src = skc->skc_daddr;

		__builtin_memcpy(t->daddr, &dst, 4);
		__builtin_memcpy(t->saddr, &src, 4);
	} else if (family == TI_AF_INET) {
		bpf_core_read(t->daddr, 4, &skc->skc_rcv_saddr);
		bpf_core_read(t->saddr, 4, &skc->skc_daddr);
	} else if (family == TI_AF_INET6) {
		/* Both families: one 16-byte probe read per address (a copy
		 * in one call, where typed loads would take 2 to 4). */
		bpf_core_read(t->daddr, 16, &skc->skc_v6_rcv_saddr);
		bpf_core_read(t->saddr, 16, &skc->skc_v6_daddr);
		if (v4_mapped(t->saddr) && v4_mapped(t->daddr)) {
			family = TI_AF_INET;
			__builtin_memcpy(t->saddr, t->saddr + 12, 4);
			__builtin_memcpy(t->daddr, t->daddr + 12, 4);
			__builtin_memset(t->saddr + 4, 0, 12);
			__builtin_memset(t->daddr + 4, 0, 12);
		}
	} else {
		return false;
	}
	t->family = family;
	return true;
}

/* The whole tuple of a hashed socket (a request, a listener, or any socket
 * an iterator walks): the local port is skc_num (host order). */
static __always_inline bool tuple_from_skc(const struct sock_common *skc,
					   struct ti_tuple *t, bool btf)
{
	if (!skc_addrs(skc, t, btf))
		return false;
	t->dport = TI_KREAD(btf, skc, skc_num);
	t->sport = bpf_ntohs(TI_KREAD(btf, skc, skc_dport));
	return true;
}

#endif /* TI_SOCK_TUPLE_BPF_H */
