/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pinmap.h - pinned maps that outlive the tool (and its upgrades): open a
 * pin and check it has the layout this build expects (map type, key size,
 * value size, max_entries, map flags). A difference is either migrated,
 * when no entry can be lost or misread, or refused with a message that
 * names the pin, each differing property (pinned vs expected) and what to
 * do. Never silently misread.
 *
 * Migratable: another max_entries (the entries still fit), a smaller value
 * (an older version: values only grow by appending fields, and a zeroed
 * new field means "not set"), other map flags. Refused: another map type,
 * another key size, a larger value (a newer version's fields would be
 * cut), more entries than this build's maximum.
 */
#ifndef TI_PINMAP_H
#define TI_PINMAP_H

#include <stddef.h>
#include <linux/types.h>

/* Returned (negated) when a pinned map has a layout this build cannot use:
 * callers map it to TI_EXIT_ENV. */
#define TI_ELAYOUT EUCLEAN

struct pin_layout {
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
};

enum pin_verdict {
	PIN_SAME = 0,
	PIN_MIGRATE,
	PIN_REFUSE,
};

/* Pure. Compares a pinned layout with the expected one; lists each
 * differing property in why as "key size: pinned 8, expected 20; ...". */
enum pin_verdict pin_layout_compare(const struct pin_layout *pinned,
				    const struct pin_layout *want, char *why,
				    size_t len);

/* Opens the map pinned at path and checks its layout against want,
 * migrating it in place when that is safe (a new map with the expected
 * layout, the entries copied, the pin replaced by rename(2), then entries
 * added to the old map meanwhile copied again). Returns the descriptor,
 * -ENOENT when nothing is pinned there (nothing is reported), -TI_ELAYOUT
 * when refused, or another negative errno; every error but -ENOENT is
 * reported. name: the map name for a migrated map. */
int pinmap_open(const char *path, const char *name,
		const struct pin_layout *want);

#endif
