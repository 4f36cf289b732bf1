/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* commands.h - the subcommands (table in main.c). Each returns an exit
 * code from enum ti_exit. */
#ifndef TI_COMMANDS_H
#define TI_COMMANDS_H

int cmd_watch(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_conns(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_block(int argc, char **argv);
int cmd_allow(int argc, char **argv);
int cmd_detach(int argc, char **argv);

#endif
