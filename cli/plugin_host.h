/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_PLUGIN_HOST_H
#define FLAMESAMP_CLI_PLUGIN_HOST_H

/*
 * Plugins (include/flamesamp/plugin.h): finding flamesamp-NAME.so, checking
 * it, running it as `flamesamp NAME`, and writing what it emitted the way
 * the recorder writes its profiles (-o, --output-format and every flame
 * graph option).
 *
 * Search order: each directory of FLAMESAMP_PLUGIN_PATH (colon-separated,
 * empty entries skipped), then FLAMESAMP_PLUGIN_DIR (compiled in:
 * $(LIBDIR)/flamesamp/plugins), then "plugins" in the directory of
 * /proc/self/exe, so build/flamesamp finds build/plugins/ uninstalled.
 * The first flamesamp-NAME.so found is the one used; a plugin it refuses
 * is an error, not a reason to look further.
 */

/* Returned by plugin_host__run() when no directory holds flamesamp-NAME.so. */
#define PLUGIN_HOST_NOT_FOUND (-1)

/*
 * `flamesamp NAME ARGS...` with argv[0] == NAME: load the plugin and run it.
 * Prints problems; returns an exit code, or PLUGIN_HOST_NOT_FOUND without
 * printing anything when there is no plugin of that name.
 */
int plugin_host__run(int argc, char **argv);

/* `flamesamp plugins`: each plugin found, its path and summary, or why it is refused. */
int cmd_plugins(int argc, char **argv);

#endif
