# Sourced before `ablate lock` / `ablate check` on the CPU: pins the kernels' instruction set so
# another x86-64 host with AVX2 takes the same code paths as the machine that locked the
# baseline (ATen's vectorized kernels and oneDNN dispatch on the CPU at run time). The values
# are part of the determinism fingerprint.
export ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2
