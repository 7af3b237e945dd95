// SPDX-License-Identifier: Apache-2.0
/*
 * C++ names for the symbolization tests: the CPU time is spent in
 * app::Engine::spin<int>() called from app::Engine::run(), so a flame graph
 * shows demangled, namespaced template names (or, with --no-demangle, the
 * mangled ones).
 *
 *   cxx_names MS     spin for MS milliseconds of CPU time
 */
#include <cstdlib>
#include <ctime>

namespace app {
class Engine {
public:
	template <typename T> __attribute__((noinline)) T spin(T n);
	__attribute__((noinline)) void run(double ms);
	volatile long sink = 0;
};

template <typename T> T Engine::spin(T n)
{
	T acc = 0;

	for (T i = 0; i < n; i++)
		acc += i ^ (acc >> 3);
	sink = acc;
	return acc;
}

static double cpu_ms()
{
	timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void Engine::run(double ms)
{
	double start = cpu_ms();

	while (cpu_ms() - start < ms)
		sink += spin<int>(20000);
}
} // namespace app

int main(int argc, char **argv)
{
	app::Engine e;

	e.run(argc > 1 ? atof(argv[1]) : 1000);
	return 0;
}
