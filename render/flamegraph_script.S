/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Embeds render/flamegraph.js (the SVG's interactive script) in the binary as
 * the NUL-terminated string fs_flamegraph_script, so the renderer needs no
 * file at run time.  Paths are relative to the top of the tree, where make runs.
 */
	.section .rodata
	.global fs_flamegraph_script
	.type fs_flamegraph_script, @object
fs_flamegraph_script:
	.incbin "render/flamegraph.js"
	.byte 0
	.size fs_flamegraph_script, . - fs_flamegraph_script
	.section .note.GNU-stack, "", @progbits
