// Prints the best x86-64 micro-architecture level of the machine running it (KPISIM_SIMD=AUTO).
#include <cstdio>

int main() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) {
    std::puts("x86-64-v4");
  } else if (__builtin_cpu_supports("x86-64-v3")) {
    std::puts("x86-64-v3");
  } else if (__builtin_cpu_supports("x86-64-v2")) {
    std::puts("x86-64-v2");
  } else {
    std::puts("x86-64");
  }
  return 0;
}
