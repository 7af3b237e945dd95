// SPDX-License-Identifier: Apache-2.0
/*
 * DWARF CFI unwinding of user stacks with elfutils' libdwfl.
 *
 * Each sample brings the user registers and a copy of the top of the user
 * stack (PERF_SAMPLE_REGS_USER, PERF_SAMPLE_STACK_USER).  libdwfl walks it:
 * at each pc it finds the module, the module's .eh_frame (or .debug_frame
 * when the file itself has one), and the rule that gives the caller's
 * registers; where no module or no rule covers the pc it falls back to the
 * frame-pointer rule of its x86-64 backend (JIT code with frame pointers).
 *
 * Cost.  perf builds a Dwfl for every sample and so re-opens and re-parses
 * every file on every sample.  Here the state lives as long as it can:
 *   - one Dwfl per process, attached once (dwfl_attach_state()) with a
 *     get_thread callback that hands back whatever sample is being unwound;
 *     libdwfl caches each module's CFI (parsed CIEs and FDEs) inside it;
 *   - modules are reported lazily, the first time a pc falls in a mapping,
 *     from the frame callback, before libdwfl looks the pc up;
 *   - files are opened once per unwinder, not per process: one Elf handle per
 *     mapped file, mmapped, its descriptor closed at once, shared by reference
 *     (elf_begin() with a reference handle only counts) through the find_elf
 *     callback.  A system-wide profile of hundreds of processes mapping libc
 *     keeps one descriptor-less mapping of libc, not hundreds of descriptors.
 *
 * Load bias.  The process table keeps the executable mappings only; the
 * module's bias comes from the PT_LOAD holding the mapping's file offset:
 * bias = start - (pgoff - p_offset + p_vaddr).  "start - pgoff" alone is
 * right for GNU ld's layout (p_vaddr == p_offset) but not for lld's (text at
 * file offset + 0x1000) or prelinked objects (p_vaddr far from p_offset).
 *
 * When mappings change (process_table__maps_generation()), the modules
 * already reported are checked against the table: while each one's mapping
 * is still there the Dwfl stays (a dlopen() or a JIT mapping only adds
 * modules); when one is gone or replaced, the Dwfl is rebuilt, at the cost of
 * re-reading CFI headers, not re-opening files.
 *
 * Memory reads (the memory_read callback) are served from the stack copy,
 * else from the file contents of a read-only PT_LOAD of a reported module
 * (CFI expressions that dereference constants); never from the live process.
 *
 * Where the walk stops: at the frame limit, at a pc of 0, where the stack
 * pointer does not grow (callers are above their callees; only a signal
 * frame may jump, to or from a sigaltstack), and wherever libdwfl can go no
 * further: the copy ends, a read falls outside it, no rule and no frame
 * pointer give the return address, or the CFI says the return address is
 * undefined (_start, thread entry points).  The frames found so far are
 * kept; the last of them names its file, so a cut stack shows where it was
 * cut.  Nothing is guessed beyond.
 *
 * Files are cached by dso id, which is the process table's: an unwinder
 * serves one table; given another, it drops everything cached first.  A file
 * deleted or replaced since it was mapped (an upgrade, a redeploy) is opened
 * through /proc/PID/map_files/START-END of the mapping the pc fell in (as
 * root), so its CFI is still read.
 *
 * Debug files: none are looked for.  The find_debuginfo callback finds
 * nothing, so libdwfl never reaches dwfl_standard_find_debuginfo(), which in
 * elfutils 0.188 ends with a debuginfod (network) query.  .eh_frame is in
 * nearly every binary, stripped or not.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/perf_event.h>

#include "common/log.h"
#include "common/mapped_file.h"
#include "common/strbuf.h"
#include "common/u64_map.h"
#include "common/xalloc.h"
#include "sampler/unwind.h"

/* x86-64 DWARF register numbers libdwfl unwinds: rax..r15, then the return address (rip). */
#define DWARF_NREGS  17
#define DWARF_REG_SP 7

/* perf register of each DWARF register, in DWARF order. */
static const unsigned char dwarf_to_perf_reg[DWARF_NREGS] = {
	PERF_REG_X86_AX,  PERF_REG_X86_DX,  PERF_REG_X86_CX,  PERF_REG_X86_BX,	PERF_REG_X86_SI,
	PERF_REG_X86_DI,  PERF_REG_X86_BP,  PERF_REG_X86_SP,  PERF_REG_X86_R8,	PERF_REG_X86_R9,
	PERF_REG_X86_R10, PERF_REG_X86_R11, PERF_REG_X86_R12, PERF_REG_X86_R13, PERF_REG_X86_R14,
	PERF_REG_X86_R15, PERF_REG_X86_IP,
};

struct load_segment {
	uint64_t vaddr, memsz, offset, filesz;
	bool executable, writable;
};

/* A mapped file, opened once for every process that maps it. */
struct unwind_file {
	Elf *elf;	   /* our reference; each module holds another.  NULL: unusable */
	const char *image; /* the whole file, as libelf maps it */
	size_t image_size;
	void *vdso_copy;    /* "[vdso]": the image elf reads, freed after it */
	bool is_exec;	    /* ET_EXEC: no bias */
	uint64_t vaddr;	    /* first PT_LOAD's p_vaddr & -p_align, as libdwfl computes it */
	uint64_t end_vaddr; /* end of the highest PT_LOAD */
	struct load_segment *loads;
	size_t nr_loads;
	struct open_attempts open; /* final: opened, or failed in a way another pid cannot fix */
};

/* One executable mapping seen in a pc, reported to the process's Dwfl or not. */
struct module_record {
	uint64_t start, pgoff; /* the mapping, to check it is still there */
	uint32_t dso;
	uint64_t low, high; /* the module's address range; 0, 0: no module (no usable file) */
};

struct dwarf_process {
	pid_t pid;
	uint64_t generation; /* of the process table's mappings when last checked */
	Dwfl *dwfl;
	struct module_record *records;
	size_t nr_records, cap_records;
	struct u64_map by_start; /* mapping start -> record index + 1 */
	bool stale;		 /* a module could not be added: rebuild before the next sample */
	uint64_t rebuilt_at;	 /* the generation this Dwfl was rebuilt at for being stale */

	/* the sample being unwound, for the callbacks */
	struct dwarf_unwinder *du;
	const struct unwind_input *in;
};

struct dwarf_unwinder {
	struct process_table *pt; /* dso ids below are this table's */
	struct u64_map processes; /* pid -> struct dwarf_process */
	struct u64_map files;	  /* dso id -> struct unwind_file */
	Elf64_Ehdr arch_ehdr;	  /* an ELF header alone: tells libdwfl the architecture */
	Elf *arch_elf;
};

/* One walk of one sample's stack. */
struct walk {
	struct dwarf_process *proc; /* NULL when libdwfl could not be set up */
	struct process_table *pt;
	pid_t pid;
	struct sampler_frame *out;
	size_t n, max;
	uint64_t prev_sp;
};

/* ---- files ---- */

static void unwind_file__free(struct unwind_file *f)
{
	/* modules still holding references keep the Elf alive (libelf counts them) */
	elf_end(f->elf);
	free(f->vdso_copy);
	free(f->loads);
	free(f);
}

/* Read the program headers of @f->elf; false when it is not a usable executable or library. */
static bool read_segments(struct unwind_file *f)
{
	GElf_Ehdr ehdr;
	size_t phnum, i;
	bool first = true;

	if (elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &ehdr) ||
	    ehdr.e_machine != EM_X86_64 || gelf_getclass(f->elf) != ELFCLASS64 ||
	    (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) || elf_getphdrnum(f->elf, &phnum))
		return false;
	f->is_exec = ehdr.e_type == ET_EXEC;
	f->loads = xreallocarray(NULL, phnum ? phnum : 1, sizeof(*f->loads));
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (first) {
			/* as libdwfl computes it: the module's low address is bias + this */
			f->vaddr = ph.p_vaddr & -ph.p_align;
			first = false;
		}
		if (ph.p_vaddr + ph.p_memsz > f->end_vaddr)
			f->end_vaddr = ph.p_vaddr + ph.p_memsz;
		f->loads[f->nr_loads++] = (struct load_segment){
			.vaddr = ph.p_vaddr,
			.memsz = ph.p_memsz,
			.offset = ph.p_offset,
			.filesz = ph.p_filesz,
			.executable = ph.p_flags & PF_X,
			.writable = ph.p_flags & PF_W,
		};
	}
	f->image = elf_rawfile(f->elf, &f->image_size);
	return f->nr_loads && f->image && f->end_vaddr > f->vaddr;
}

/* This process's vDSO stands for the profiled ones'; copied: libelf must not touch the kernel's
 * pages. */
static Elf *open_vdso(struct unwind_file *f)
{
	size_t size;
	const Elf64_Ehdr *eh = vdso_image(&size);

	if (!eh || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return NULL;
	f->vdso_copy = xmalloc(size);
	memcpy(f->vdso_copy, eh, size);
	return elf_memory(f->vdso_copy, size);
}

/*
 * Open the file of @dso for process @pid, which maps it at @m.  A file deleted
 * or replaced since it was mapped is reached through /proc/PID/map_files,
 * which names the mappings of that one process: the range must be @pid's own
 * (@m, where the pc fell), not the dso's (dso->pid's, another process's when
 * @pid is not the first one seen mapping the file).
 */
static void load_file(struct unwind_file *f, const struct dso *dso, pid_t pid,
		      const struct mapping_info *m)
{
	int fd;

	if (!strcmp(dso->path, "[vdso]")) {
		f->open.final = true;
		f->elf = open_vdso(f);
	} else {
		open_attempts__add(&f->open, pid);
		fd = mapped_file__open_mapping(dso->path, dso->ino, pid, m->start, m->end);
		if (fd < 0) {
			/* another process mapping the same file may see it (another root) */
			fs_debug("unwind: cannot open %s (pid %d): %s", dso->path, (int)pid,
				 strerror(-fd));
			return;
		}
		f->open.final = true;
		f->elf = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
		/*
		 * Mapped, the descriptor is no longer needed (ELF_C_FDREAD reads
		 * the file in first if libelf could not map it).
		 */
		if (f->elf && elf_cntl(f->elf, ELF_C_FDREAD)) {
			elf_end(f->elf);
			f->elf = NULL;
		}
		close(fd);
	}
	if (f->elf && !read_segments(f)) {
		fs_debug("unwind: %s: not an x86-64 executable or library", dso->path);
		elf_end(f->elf);
		f->elf = NULL;
	}
}

/* The file of mapping @m of @pid, opened on first use; NULL when it cannot be used. */
static struct unwind_file *get_file(struct dwarf_unwinder *du, const struct mapping_info *m,
				    pid_t pid)
{
	struct unwind_file *f = u64_map__get(&du->files, m->dso);
	const struct dso *dso;

	if (!f) {
		f = xcalloc(1, sizeof(*f));
		u64_map__set(&du->files, m->dso, f);
	}
	if (!f->elf && open_attempts__may_try(&f->open, pid)) {
		dso = process_table__dso(du->pt, m->dso);
		if (dso)
			load_file(f, dso, pid, m);
		else
			f->open.final = true;
	}
	return f->elf ? f : NULL;
}

/* The bias of @f mapped at @start from file offset @pgoff; false if no PT_LOAD holds it. */
static bool mapping_bias(const struct unwind_file *f, uint64_t start, uint64_t pgoff,
			 uint64_t *bias)
{
	const struct load_segment *best = NULL;
	size_t i;

	if (f->is_exec) {
		*bias = 0;
		return true;
	}
	for (i = 0; i < f->nr_loads; i++) {
		const struct load_segment *l = &f->loads[i];
		uint64_t page_offset = l->offset & ~(uint64_t)4095;

		/*
		 * The mapping is executable: when segments share its first page
		 * (lld puts the read-only one before text, both from offset 0),
		 * the text segment is the one mapped there.
		 */
		if (pgoff >= page_offset && pgoff < l->offset + l->filesz &&
		    (!best || (l->executable && !best->executable)))
			best = l;
	}
	if (!best)
		return false;
	*bias = start - (pgoff - best->offset + best->vaddr);
	return true;
}

/* ---- libdwfl callbacks ---- */

/* Hand libdwfl a new reference to the shared handle of the module's file. */
static int find_shared_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
			   char **file_name, Elf **elfp)
{
	struct unwind_file *f = *userdata;

	if (f && f->elf)
		*elfp = elf_begin(-1, ELF_C_READ_MMAP, f->elf);
	return -1;
}

static int find_no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			     Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			     GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	return -1;
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = find_shared_elf,
	.find_debuginfo = find_no_debuginfo,
};

static pid_t next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
	if (*thread_argp)
		return 0;
	*thread_argp = dwfl_arg;
	return dwfl_pid(dwfl);
}

/* Whatever thread is asked for, it is the one of the sample being unwound. */
static bool get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **thread_argp)
{
	*thread_argp = dwfl_arg;
	return true;
}

/* A word of a read-only segment of a reported module's file. */
static bool word_from_file(Dwfl *dwfl, uint64_t addr, Dwarf_Word *result)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	const struct unwind_file *f;
	Dwarf_Addr low;
	void **userdata;
	uint64_t vaddr;
	size_t i;

	if (!mod || !dwfl_module_info(mod, &userdata, &low, NULL, NULL, NULL, NULL, NULL))
		return false;
	f = *userdata;
	if (!f)
		return false;
	vaddr = addr - (low - f->vaddr);
	for (i = 0; i < f->nr_loads; i++) {
		const struct load_segment *l = &f->loads[i];
		uint64_t offset;

		/* writable data in the file is not what the process has there now */
		if (l->writable || vaddr < l->vaddr || vaddr - l->vaddr >= l->filesz ||
		    l->filesz - (vaddr - l->vaddr) < sizeof(*result))
			continue;
		offset = vaddr - l->vaddr + l->offset;
		if (offset > f->image_size || f->image_size - offset < sizeof(*result))
			return false;
		memcpy(result, f->image + offset, sizeof(*result));
		return true;
	}
	return false;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	const struct dwarf_process *p = arg;
	const struct unwind_input *in = p->in;
	uint64_t sp = in->user_regs[PERF_REG_X86_SP];

	if (in->stack && addr >= sp && addr - sp < in->stack_size &&
	    in->stack_size - (addr - sp) >= sizeof(*result)) {
		memcpy(result, in->stack + (addr - sp), sizeof(*result));
		return true;
	}
	return word_from_file(dwfl, addr, result);
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct dwarf_process *p = thread_arg;
	Dwarf_Word regs[DWARF_NREGS];
	size_t i;

	for (i = 0; i < DWARF_NREGS; i++)
		regs[i] = p->in->user_regs[dwarf_to_perf_reg[i]];
	if (!dwfl_thread_state_registers(thread, 0, DWARF_NREGS, regs))
		return false;
	dwfl_thread_state_register_pc(thread, p->in->user_regs[PERF_REG_X86_IP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* ---- processes ---- */

static void dwarf_process__free(struct dwarf_process *p)
{
	if (!p)
		return;
	dwfl_end(p->dwfl);
	u64_map__release(&p->by_start);
	free(p->records);
	free(p);
}

static struct dwarf_process *dwarf_process__new(struct dwarf_unwinder *du, pid_t pid)
{
	struct dwarf_process *p = xcalloc(1, sizeof(*p));

	p->pid = pid;
	p->du = du;
	p->dwfl = dwfl_begin(&dwfl_callbacks);
	if (!p->dwfl || !dwfl_attach_state(p->dwfl, du->arch_elf, pid, &thread_callbacks, p)) {
		fs_debug("unwind: pid %d: cannot set up libdwfl: %s", (int)pid, dwfl_errmsg(-1));
		dwarf_process__free(p);
		return NULL;
	}
	return p;
}

/* Whether every module reported to @p still has its mapping in the table. */
static bool records_still_mapped(const struct dwarf_process *p, struct process_table *pt)
{
	size_t i;

	for (i = 0; i < p->nr_records; i++) {
		const struct module_record *r = &p->records[i];
		struct mapping_info m;

		if (process_table__mapping(pt, p->pid, r->start, &m) || m.start != r->start ||
		    m.pgoff != r->pgoff || m.dso != r->dso)
			return false;
	}
	return true;
}

/* The state of process @pid, valid for the table's current mappings; NULL if libdwfl fails. */
static struct dwarf_process *get_process(struct dwarf_unwinder *du, pid_t pid)
{
	struct dwarf_process *p = u64_map__get(&du->processes, (uint32_t)pid);
	uint64_t generation = process_table__maps_generation(du->pt, pid);
	bool stale = p && p->stale;

	if (p && (stale || (p->generation != generation && !records_still_mapped(p, du->pt)))) {
		u64_map__remove(&du->processes, (uint32_t)pid);
		dwarf_process__free(p);
		p = NULL;
	}
	if (!p) {
		p = dwarf_process__new(du, pid);
		if (!p)
			return NULL;
		u64_map__set(&du->processes, (uint32_t)pid, p);
		if (stale)
			p->rebuilt_at = generation;
	}
	p->generation = generation;
	return p;
}

static struct module_record *add_record(struct dwarf_process *p, const struct mapping_info *m)
{
	struct module_record *r;

	if (p->nr_records == p->cap_records) {
		p->cap_records = p->cap_records ? p->cap_records * 2 : 16;
		p->records = xreallocarray(p->records, p->cap_records, sizeof(*p->records));
	}
	r = &p->records[p->nr_records++];
	*r = (struct module_record){.start = m->start, .pgoff = m->pgoff, .dso = m->dso};
	u64_map__set(&p->by_start, m->start, (void *)(uintptr_t)p->nr_records);
	return r;
}

/* Report the module of mapping @m to @p's Dwfl, the first time the mapping is seen. */
static void report_module(struct dwarf_process *p, const struct mapping_info *m)
{
	struct dwarf_unwinder *du = p->du;
	const char *path = process_table__dso(du->pt, m->dso)->path;
	struct module_record *r;
	struct unwind_file *f;
	Dwfl_Module *mod;
	void **userdata;
	uint64_t bias, low, high;
	size_t i;

	if (u64_map__get(&p->by_start, m->start))
		return;
	r = add_record(p, m);
	f = get_file(du, m, p->pid);
	if (!f || !mapping_bias(f, m->start, m->pgoff, &bias))
		return;
	low = bias + f->vaddr;
	high = bias + f->end_vaddr;
	for (i = 0; i + 1 < p->nr_records; i++) {
		const struct module_record *o = &p->records[i];

		if (o->low == o->high || o->high <= low || high <= o->low)
			continue;
		/* another mapping of the same file (a split mapping): the same module */
		if (o->dso == m->dso && o->low == low && o->high == high)
			goto done;
		/*
		 * Two files over one range: the table kept a mapping the process
		 * has replaced (munmap is not reported).  Start afresh next time,
		 * with the modules in use then; once per generation, should the
		 * process really run code of both.
		 */
		if (p->rebuilt_at != p->generation)
			p->stale = true;
		return;
	}
	dwfl_report_begin_add(p->dwfl);
	mod = dwfl_report_module(p->dwfl, path, low, high);
	dwfl_report_end(p->dwfl, NULL, NULL);
	if (!mod) {
		fs_debug("unwind: pid %d: cannot add %s: %s", (int)p->pid, path, dwfl_errmsg(-1));
		return;
	}
	/* find_shared_elf() reads it when libdwfl first needs the file */
	dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = f;
done:
	r->low = low;
	r->high = high;
}

/*
 * Make sure the modules libdwfl will look up to unwind the frame at @pc are
 * reported.  It looks for the rule of a return address at pc - 1 (inside the
 * call, which may end its function), at the pc itself for the first frame and
 * after a signal; it looks only once the frame callback has returned (or when
 * the callback asks whether the frame is an activation).
 */
static void report_modules(struct dwarf_process *p, uint64_t pc, bool first)
{
	struct process_table *pt = p->du->pt;
	struct mapping_info m;

	if (!process_table__mapping(pt, p->pid, first ? pc : pc - 1, &m)) {
		report_module(p, &m);
		if (first || pc < m.end)
			return;
	}
	if (!first && !process_table__mapping(pt, p->pid, pc, &m))
		report_module(p, &m);
}

/* ---- unwinding ---- */

static void add_user_frame(struct walk *w, uint64_t addr)
{
	struct sampler_frame *fr = &w->out[w->n++];

	fr->dso = process_table__resolve(w->pt, w->pid, addr, &fr->addr);
	if (fr->dso == DSO_UNKNOWN)
		fr->addr = 0;
}

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	bool first = w->n == 0, activation = true;
	Dwarf_Addr pc;
	Dwarf_Word sp;

	if (!dwfl_frame_pc(state, &pc, NULL) || !pc)
		return DWARF_CB_ABORT;
	report_modules(w->proc, pc, first);
	if (!first) {
		if (!dwfl_frame_pc(state, &pc, &activation))
			return DWARF_CB_ABORT;
		/*
		 * Each caller's frame is above its callee's: garbage that would
		 * walk in circles stops here.  Only a signal frame may move the
		 * stack pointer anywhere (sigaltstack).
		 */
		if (!dwfl_frame_reg(state, DWARF_REG_SP, &sp)) {
			if (!activation && sp <= w->prev_sp)
				return DWARF_CB_ABORT;
			w->prev_sp = sp;
		}
	}
	add_user_frame(w, activation ? pc : pc - 1);
	return w->n < w->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* The kernel part of the call chain, when kernel frames are wanted. */
static size_t kernel_frames(const struct unwinder *u, const struct unwind_input *in,
			    struct sampler_frame *out, size_t max)
{
	bool kernel = false, first = true;
	size_t n = 0;
	uint64_t i;

	for (i = 0; i < in->nr_callchain && n < max; i++) {
		uint64_t ip = in->callchain[i];

		/* entries at or above PERF_CONTEXT_MAX mark where a context begins */
		if (ip >= (uint64_t)PERF_CONTEXT_MAX) {
			if (ip != (uint64_t)PERF_CONTEXT_KERNEL)
				break; /* user (unwound here instead), guest or hypervisor */
			kernel = true;
			continue;
		}
		if (!kernel)
			break;
		/* a return address points after its call: step back into it */
		if (!first && ip)
			ip--;
		first = false;
		if (u->include_kernel)
			out[n++] = (struct sampler_frame){.dso = DSO_KERNEL, .addr = ip};
	}
	return n;
}

static void forget_all(struct dwarf_unwinder *du)
{
	size_t i;

	/* the Dwfls first: their modules hold references to the files' Elf handles */
	for (i = 0; du->processes.slots && i <= du->processes.mask; i++)
		if (du->processes.slots[i].value)
			dwarf_process__free(du->processes.slots[i].value);
	u64_map__release(&du->processes);
	for (i = 0; du->files.slots && i <= du->files.mask; i++)
		if (du->files.slots[i].value)
			unwind_file__free(du->files.slots[i].value);
	u64_map__release(&du->files);
}

static size_t unwind_dwarf(struct unwinder *u, const struct unwind_input *in,
			   struct process_table *pt, struct sampler_frame *out, size_t max)
{
	struct dwarf_unwinder *du = u->priv;
	uint64_t pc = in->user_regs[PERF_REG_X86_IP];
	size_t n = kernel_frames(u, in, out, max);
	struct walk w;

	if (!in->has_user_regs || !pc || n >= max)
		return n;
	if (du->pt != pt) {
		/* dso ids are the table's: what is cached for another one does not hold */
		forget_all(du);
		du->pt = pt;
	}
	w = (struct walk){
		.pt = pt,
		.pid = in->pid,
		.out = out + n,
		.max = max - n,
		.prev_sp = in->user_regs[PERF_REG_X86_SP],
	};
	w.proc = get_process(du, in->pid);
	if (w.proc) {
		w.proc->in = in;
		/* stops where libdwfl can go no further; the frames so far are kept */
		dwfl_getthread_frames(w.proc->dwfl, in->tid, on_frame, &w);
		w.proc->in = NULL;
	}
	if (!w.n)
		add_user_frame(&w, pc); /* libdwfl unusable: the sampled pc alone */
	return n + w.n;
}

static void forget_process(struct unwinder *u, pid_t pid)
{
	struct dwarf_unwinder *du = u->priv;

	dwarf_process__free(u64_map__remove(&du->processes, (uint32_t)pid));
}

static void destroy_dwarf(struct unwinder *u)
{
	struct dwarf_unwinder *du = u->priv;

	if (!du)
		return;
	forget_all(du);
	elf_end(du->arch_elf);
	free(du);
	u->priv = NULL;
}

int unwinder_init_dwarf(struct unwinder *u, bool include_kernel)
{
	struct dwarf_unwinder *du;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	du = xcalloc(1, sizeof(*du));
	/*
	 * libdwfl learns the architecture from an ELF handle; the header alone
	 * says x86-64 (the modules' files are not known yet, and the first pc
	 * may be in none: JIT code).
	 */
	memcpy(du->arch_ehdr.e_ident, ELFMAG, SELFMAG);
	du->arch_ehdr.e_ident[EI_CLASS] = ELFCLASS64;
	du->arch_ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
	du->arch_ehdr.e_ident[EI_VERSION] = EV_CURRENT;
	du->arch_ehdr.e_type = ET_EXEC;
	du->arch_ehdr.e_machine = EM_X86_64;
	du->arch_ehdr.e_version = EV_CURRENT;
	du->arch_ehdr.e_ehsize = sizeof(du->arch_ehdr);
	du->arch_elf = elf_memory((char *)&du->arch_ehdr, sizeof(du->arch_ehdr));
	if (!du->arch_elf) {
		free(du);
		return -ENOMEM;
	}
	u->unwind = unwind_dwarf;
	u->destroy = destroy_dwarf;
	u->forget_process = forget_process;
	u->include_kernel = include_kernel;
	u->priv = du;
	return 0;
}
