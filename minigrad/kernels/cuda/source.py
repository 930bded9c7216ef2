"""CUDA C source of minigrad's GPU kernels, one ``Kernel`` per routine, written once for 1d, 2d and 3d.

Legend: ``minigrad.kernels.geometry``'s, spelled per dim for C: L leading dims flattened (N*C for
pooling), n batch chunk, C channels, S1..S3 the input's spatial sizes (S for pooling; for im2col and
col2im the input is already padded, so they are its Sp), O1..O3 output sizes, K1..K3 kernel sizes,
st stride, pd padding (before), dl dilation, k# = (k1*K2 + k2)*K3 + k3 the row-major number of a
kernel offset.

Every kernel works on three spatial dims: a 1d or 2d problem is given leading dims of size 1
(S = K = O = 1, stride = dilation = 1, padding 0), so one source serves all three.

Every kernel is a *gather*: one thread per element it writes, reading everything that element
depends on, so there are no atomics and the result does not depend on thread scheduling
(deterministic). ``col2im`` and the pooling backwards find, for an input position s along one dim,
the windows o that read it through kernel offset k: s + pd - k*dl = o*st with 0 <= o < O.

A ``Kernel`` holds its parameter list and its per-element body; ``source`` wraps the body in a
grid-stride loop over ``i`` in [0, total). The element types are names bound by ``typedef`` at the top
of the translation unit: ``T`` the value type (float or double), ``I`` the index type (int, or
long long for arrays past 2**31 elements), ``A`` the max-pool winner type (signed char or int).

The same text is compiled by NVRTC for the GPU (``minigrad.kernels.cuda.launch``) and, in the
tests, by the host C++ compiler with shims for ``__global__``/``blockIdx``/``threadIdx``, where it
runs on NumPy arrays against minigrad's NumPy kernels (tests/cuda/host_kernels.py).
"""
from __future__ import annotations

# Helpers shared by the kernels (after the typedefs, before the kernels).
COMMON = r"""
// Number of window entries that count towards an average (PyTorch's avg_pool divisor rule,
// aten/src/ATen/native/cuda/AveragePool2d.cu): the window clipped to the padded input [-pd, S+pd)
// with count_include_pad, else to the input [0, S).
__device__ __forceinline__ I window_count(I o, I K, I st, I pd, I S, I include_pad) {
    I start = o * st - pd;
    I end = start + K < S + pd ? start + K : S + pd;
    if (!include_pad) {
        start = start > 0 ? start : 0;
        end = end < S ? end : S;
    }
    return end - start;
}
"""


class Kernel:
    """One CUDA kernel: its name, its C parameter list and the body run for each element ``i``.

    Every kernel has an ``I total`` parameter: the number of elements (threads) it writes.
    """

    def __init__(self, name: str, params: str, body: str):
        self.name = name
        self.params = " ".join(params.split())
        self.body = body
        # [(C type, name)], e.g. [("const T*", "x"), ("I", "total")]
        self.param_list = [tuple(p.strip().rsplit(" ", 1)) for p in self.params.split(",")]

    def __repr__(self):
        return f"Kernel({self.name}({self.params}))"

    def source(self, types: dict) -> str:
        """The complete translation unit for ``types`` ({"T": "float", "I": "int", "A": "signed char"})."""
        typedefs = "".join(f"typedef {c_type} {alias};\n" for alias, c_type in types.items())
        return (typedefs + COMMON
                + f'\nextern "C" __global__ void {self.name}({self.params}) {{\n'
                + "    for (I i = (I)blockIdx.x * (I)blockDim.x + (I)threadIdx.x; i < total;\n"
                + "         i += (I)blockDim.x * (I)gridDim.x) {\n"
                + self.body
                + "    }\n}\n")


def _windows_reading(body: str, padded: bool) -> str:
    """C loops over every kernel offset k and window o that read input position s, i.e.
    s + pd - k*dl = o*st with 0 <= o < O per dim, running ``body`` with k1..k3 and o1..o3 set.

    Along a dim, s + pd - k*dl falls as k grows, so each loop stops once it is negative. Written once
    here for col2im (``padded=False``: no pd) and the pooling backwards, which all gather this way.
    """
    lines, indent = [], " " * 8
    for d in (1, 2, 3):
        pad = f" + pd{d}" if padded else ""
        lines += [f"{indent}for (I k{d} = 0; k{d} < K{d}; ++k{d}) {{",
                  f"{indent}    const I r{d} = s{d}{pad} - k{d} * dl{d};",
                  f"{indent}    if (r{d} < 0) break;",
                  f"{indent}    if (r{d} % st{d} != 0 || r{d} / st{d} >= O{d}) continue;",
                  f"{indent}    const I o{d} = r{d} / st{d};"]
        indent += "    "
    lines += [indent + line for line in body.strip("\n").splitlines()]
    lines += [" " * (8 + 4 * d) + "}" for d in (2, 1, 0)]
    return "\n".join(lines) + "\n"


_SIZES = "I S1, I S2, I S3, I O1, I O2, I O3, I K1, I K2, I K3"
_WINDOWS = "I st1, I st2, I st3, I pd1, I pd2, I pd3, I dl1, I dl2, I dl3"

# cols (C, K1, K2, K3, O1, O2, O3, n) from a padded x (n, C, S1, S2, S3) read through its strides
# (xs0..xs4, in elements, so any view works): one thread per column entry.
#     cols[c, k, o, b] = x[b, c, o*st + k*dl]
IM2COL = Kernel("im2col", f"""
    const T* x, T* cols, I total, I n, {_SIZES}, I st1, I st2, I st3, I dl1, I dl2, I dl3,
    I xs0, I xs1, I xs2, I xs3, I xs4""", r"""
        I t = i;
        const I b = t % n; t /= n;
        const I o3 = t % O3; t /= O3;
        const I o2 = t % O2; t /= O2;
        const I o1 = t % O1; t /= O1;
        const I k3 = t % K3; t /= K3;
        const I k2 = t % K2; t /= K2;
        const I k1 = t % K1;
        const I c = t / K1;
        cols[i] = x[b * xs0 + c * xs1 + (o1 * st1 + k1 * dl1) * xs2 + (o2 * st2 + k2 * dl2) * xs3
                    + (o3 * st3 + k3 * dl3) * xs4];
""")

# out (n, C, S1, S2, S3) += the column entries read from each position, the adjoint of im2col, in
# gather form: one thread per entry of out, summing cols[c, k, o, b] over the offsets k and windows o
# with o*st + k*dl = s. Along a dim, s - k*dl falls as k grows, so the loop stops once it is negative.
COL2IM = Kernel("col2im", f"""
    const T* cols, T* out, I total, I n, I C, {_SIZES}, I st1, I st2, I st3, I dl1, I dl2, I dl3""", r"""
        I t = i;
        const I s3 = t % S3; t /= S3;
        const I s2 = t % S2; t /= S2;
        const I s1 = t % S1; t /= S1;
        const I c = t % C;
        const I b = t / C;
        const I P = O1 * O2 * O3;
        T sum = 0;
""" + _windows_reading(r"""
sum += cols[(((c * K1 + k1) * K2 + k2) * K3 + k3) * P * n + ((o1 * O2 + o2) * O3 + o3) * n + b];
""", padded=False) + r"""        out[i] += sum;
""")

# values, argmax (L, O1, O2, O3) from x (L, S1, S2, S3): one thread per window. PyTorch's scan
# (aten/src/ATen/native/cuda/DilatedMaxPool2d.cu): positions in the padding are skipped; an entry
# replaces the best when it is greater or NaN, so ties keep the first maximum and the last NaN wins;
# the first entry inside the input starts the scan. A window with no entry inside the input (not
# reachable with PyTorch's argument checks) gets ``lowest`` and the last offset, as the NumPy path.
MAX_POOL_FORWARD = Kernel("max_pool_forward", f"""
    const T* x, T* values, A* argmax, I total, {_SIZES}, {_WINDOWS}, T lowest""", r"""
        I t = i;
        const I o3 = t % O3; t /= O3;
        const I o2 = t % O2; t /= O2;
        const I o1 = t % O1;
        const I l = t / O1;
        const T* plane = x + l * (S1 * S2 * S3);
        T best = lowest;
        I winner = -1;
        for (I k1 = 0; k1 < K1; ++k1) {
            const I h1 = o1 * st1 - pd1 + k1 * dl1;
            if (h1 < 0 || h1 >= S1) continue;
            for (I k2 = 0; k2 < K2; ++k2) {
                const I h2 = o2 * st2 - pd2 + k2 * dl2;
                if (h2 < 0 || h2 >= S2) continue;
                for (I k3 = 0; k3 < K3; ++k3) {
                    const I h3 = o3 * st3 - pd3 + k3 * dl3;
                    if (h3 < 0 || h3 >= S3) continue;
                    const T v = plane[(h1 * S2 + h2) * S3 + h3];
                    if (winner < 0 || v > best || v != v) {
                        best = v;
                        winner = (k1 * K2 + k2) * K3 + k3;
                    }
                }
            }
        }
        values[i] = best;
        argmax[i] = (A)(winner < 0 ? K1 * K2 * K3 - 1 : winner);
""")

# The gradient of max pooling, out (L, S1, S2, S3) from grad and argmax (L, O1, O2, O3), in gather
# form: one thread per input position, summing the gradients of the windows whose winner it is.
MAX_POOL_SCATTER = Kernel("max_pool_scatter", f"""
    const T* grad, const A* argmax, T* out, I total, {_SIZES}, {_WINDOWS}""", r"""
        I t = i;
        const I s3 = t % S3; t /= S3;
        const I s2 = t % S2; t /= S2;
        const I s1 = t % S1;
        const I l = t / S1;
        const I P = O1 * O2 * O3;
        const T* g = grad + l * P;
        const A* a = argmax + l * P;
        T sum = 0;
""" + _windows_reading(r"""
const I window = (o1 * O2 + o2) * O3 + o3;
if ((I)a[window] == (k1 * K2 + k2) * K3 + k3) sum += g[window];
""", padded=True) + r"""        out[i] = sum;
""")

# out (L, O1, O2, O3) = x (L, S1, S2, S3) read at each window's winner (0 when it lies in the
# padding): the transpose of max_pool_scatter, one thread per window.
MAX_POOL_GATHER = Kernel("max_pool_gather", f"""
    const T* x, const A* argmax, T* out, I total, {_SIZES}, {_WINDOWS}""", r"""
        I t = i;
        const I o3 = t % O3; t /= O3;
        const I o2 = t % O2; t /= O2;
        const I o1 = t % O1;
        const I l = t / O1;
        I k = (I)argmax[i];
        const I k3 = k % K3; k /= K3;
        const I k2 = k % K2;
        const I k1 = k / K2;
        const I h1 = o1 * st1 - pd1 + k1 * dl1;
        const I h2 = o2 * st2 - pd2 + k2 * dl2;
        const I h3 = o3 * st3 - pd3 + k3 * dl3;
        const bool inside = h1 >= 0 && h1 < S1 && h2 >= 0 && h2 < S2 && h3 >= 0 && h3 < S3;
        out[i] = inside ? x[l * (S1 * S2 * S3) + (h1 * S2 + h2) * S3 + h3] : (T)0;
""")

# out (L, O1, O2, O3) = sum of the window's entries inside the input / divisor, one thread per window.
# divisor = divisor_override when nonzero, else the product over dims of window_count.
AVG_POOL_FORWARD = Kernel("avg_pool_forward", f"""
    const T* x, T* out, I total, {_SIZES}, {_WINDOWS}, I count_include_pad, I divisor_override""", r"""
        I t = i;
        const I o3 = t % O3; t /= O3;
        const I o2 = t % O2; t /= O2;
        const I o1 = t % O1;
        const I l = t / O1;
        const T* plane = x + l * (S1 * S2 * S3);
        T sum = 0;
        for (I k1 = 0; k1 < K1; ++k1) {
            const I h1 = o1 * st1 - pd1 + k1 * dl1;
            if (h1 < 0 || h1 >= S1) continue;
            for (I k2 = 0; k2 < K2; ++k2) {
                const I h2 = o2 * st2 - pd2 + k2 * dl2;
                if (h2 < 0 || h2 >= S2) continue;
                for (I k3 = 0; k3 < K3; ++k3) {
                    const I h3 = o3 * st3 - pd3 + k3 * dl3;
                    if (h3 < 0 || h3 >= S3) continue;
                    sum += plane[(h1 * S2 + h2) * S3 + h3];
                }
            }
        }
        const I divisor = divisor_override ? divisor_override
            : window_count(o1, K1, st1, pd1, S1, count_include_pad)
              * window_count(o2, K2, st2, pd2, S2, count_include_pad)
              * window_count(o3, K3, st3, pd3, S3, count_include_pad);
        out[i] = sum / (T)divisor;
""")

# The gradient (transpose) of average pooling, out (L, S1, S2, S3) from grad (L, O1, O2, O3), in
# gather form: one thread per input position, summing grad / divisor over the windows that read it.
AVG_POOL_TRANSPOSE = Kernel("avg_pool_transpose", f"""
    const T* grad, T* out, I total, {_SIZES}, {_WINDOWS}, I count_include_pad, I divisor_override""", r"""
        I t = i;
        const I s3 = t % S3; t /= S3;
        const I s2 = t % S2; t /= S2;
        const I s1 = t % S1;
        const I l = t / S1;
        const T* g = grad + l * (O1 * O2 * O3);
        T sum = 0;
""" + _windows_reading(r"""
const I divisor = divisor_override ? divisor_override
    : window_count(o1, K1, st1, pd1, S1, count_include_pad)
      * window_count(o2, K2, st2, pd2, S2, count_include_pad)
      * window_count(o3, K3, st3, pd3, S3, count_include_pad);
sum += g[(o1 * O2 + o2) * O3 + o3] / (T)divisor;
""", padded=True) + r"""        out[i] = sum;
""")

KERNELS = {k.name: k for k in (IM2COL, COL2IM, MAX_POOL_FORWARD, MAX_POOL_SCATTER, MAX_POOL_GATHER,
                               AVG_POOL_FORWARD, AVG_POOL_TRANSPOSE)}
