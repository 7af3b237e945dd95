/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_PICKER_H
#define FLAMESAMP_CLI_PICKER_H

/*
 * The process picker: `flamesamp` (or `flamesamp top`) with no target, on a
 * terminal.  Processes sorted by CPU use (from /proc/PID/stat, sampled
 * every 2 s), the user moves to one and presses Enter.
 */

#include <sys/types.h>

/*
 * Show the list (opening the screen through cli/tui.h and leaving it with
 * tui_close(), for `top` to resume).  EXIT_OK with *@pid the process chosen,
 * or 0 when the user quit; another exit code after printing the problem.
 */
int picker_run(pid_t *pid);

#endif
