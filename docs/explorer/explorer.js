/* minigrad explorer: convolution, pooling and transposed convolution, forward and backward.
 *
 * No build step, no network: open index.html from disk. Two halves:
 *   1. the model (pure functions, no DOM): compute(params) returns the output size, the error text
 *      minigrad raises, every window (input cells, kernel weights) and the forward and backward
 *      numbers. tests/test_explorer.py calls it in headless Chromium and checks every number
 *      against minigrad.
 *   2. the view: controls, grids, hovering, all drawn from one compute() result.
 *
 * Legend (per spatial dim): S input size, K kernel size, s stride, p padding (pb before, pa after),
 * d dilation, O output size, C channels, G groups. Flat indices are row-major over (C, *S) for the
 * input, (C_out, *O) for the output and the weight's own shape for the weight, as minigrad stores them.
 * Sources of the rules: PyTorch's Convolution.cpp (conv checks), Pool.h (pooling_output_shape,
 * pool2d_shape_check), AvgPoolKernel.cpp (the divisor); Dumoulin & Visin, arXiv:1603.07285.
 */
(function (global) {
  "use strict";

  // ---------------------------------------------------------------------------------------------
  // small helpers
  const prod = (a) => a.reduce((x, y) => x * y, 1);
  const pyList = (a) => "[" + a.join(", ") + "]";
  const range = (n) => Array.from({ length: n }, (_, i) => i);

  /** Every multi-index of `shape`, row-major (the last dim fastest). */
  function positions(shape) {
    const out = [];
    const total = prod(shape);
    for (let f = 0; f < total; f++) {
      const idx = new Array(shape.length);
      let r = f;
      for (let j = shape.length - 1; j >= 0; j--) { idx[j] = r % shape[j]; r = Math.floor(r / shape[j]); }
      out.push(idx);
    }
    return out;
  }
  function flat(idx, shape) { let f = 0; for (let j = 0; j < shape.length; j++) f = f * shape[j] + idx[j]; return f; }

  /** mulberry32: a tiny seeded PRNG, so "random" values are the same on every machine and in the test. */
  function rng(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6D2B79F5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const randInt = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

  /** C++ integer division (towards zero), as ATen's checks compute it. */
  const cDiv = (a, b) => { const q = Math.floor(Math.abs(a) / Math.abs(b)); return (a >= 0) === (b >= 0) ? q : -q; };

  // ---------------------------------------------------------------------------------------------
  // parameters
  const OPS = ["conv", "conv_transpose", "max_pool", "avg_pool"];
  const MAX_CELLS = 5000;
  const DEFAULTS = {
    op: "conv", dims: 2, input: [5, 5], kernel: [3, 3], stride: 2, padding: 1, dilation: 1, groups: 1,
    in_channels: 1, out_channels: 1, output_padding: 0, ceil_mode: false, count_include_pad: true,
    divisor_override: null, grad: "ones", grad_cell: 0, seed: 1,
  };

  /** Fill in defaults and cut per-dim lists to `dims` values (the last `dims` of them). */
  function normalize(params) {
    const p = Object.assign({}, DEFAULTS, params || {});
    p.dims = p.dims === 1 ? 1 : 2;
    const perDim = (v) => { const a = Array.isArray(v) ? v.slice() : [v]; while (a.length < p.dims) a.unshift(a[0]); return a.slice(a.length - p.dims).map(Number); };
    p.input = perDim(p.input).map((x) => Math.max(0, x || 0));   // a size typed below 0 counts as 0
    p.kernel = perDim(p.kernel);
    for (const k of ["stride", "dilation", "groups", "in_channels", "out_channels", "output_padding", "grad_cell", "seed"]) p[k] = Number(p[k]);
    if (OPS.indexOf(p.op) < 0) p.op = "conv";
    // 'same' and 'valid' are convolution-only (the controls offer them only there)
    if (p.op !== "conv" || (p.padding !== "same" && p.padding !== "valid")) p.padding = Number(p.padding) || 0;
    if (p.divisor_override === "" || p.divisor_override === undefined) p.divisor_override = null;
    if (p.divisor_override !== null) p.divisor_override = Number(p.divisor_override);
    p.ceil_mode = !!p.ceil_mode;
    p.count_include_pad = !!p.count_include_pad;
    if (OPS.indexOf(p.op) < 0) p.op = "conv";
    return p;
  }

  const isPool = (p) => p.op === "max_pool" || p.op === "avg_pool";

  /** Channels, weight shape and padding pairs the page hands to minigrad. Weights are laid out as
   * torch's modules build them: conv (C_out, C_in/G, *K), transposed (C_in, C_out/G, *K). */
  function layout(p) {
    const cin = isPool(p) ? 1 : p.in_channels;
    const L = { cin, inShape: [1, cin].concat(p.input), weightShape: null };
    if (p.op === "conv") L.weightShape = [p.out_channels, p.groups > 0 ? Math.floor(cin / p.groups) : cin].concat(p.kernel);
    if (p.op === "conv_transpose") L.weightShape = [cin, p.groups > 0 ? Math.floor(p.out_channels / p.groups) : p.out_channels].concat(p.kernel);
    let pairs;
    if (p.op === "conv" && p.padding === "valid") pairs = p.kernel.map(() => [0, 0]);
    else if (p.op === "conv" && p.padding === "same") {
      pairs = p.kernel.map((k) => { const t = p.dilation * (k - 1); return [Math.floor(t / 2), t - Math.floor(t / 2)]; });
    } else pairs = p.kernel.map(() => [p.padding, p.padding]);
    if (p.op === "max_pool" || p.op === "avg_pool") {
      // torch runs 1-d pooling as 2-d pooling of a (1 x L) image; the checks below speak in 2-d
      L.pool2d = p.dims === 1
        ? { size: [1, p.input[0]], kernel: [1, p.kernel[0]], stride: [1, p.stride], padding: [0, p.padding], dilation: [1, p.op === "max_pool" ? p.dilation : 1] }
        : { size: p.input.slice(), kernel: p.kernel.slice(), stride: [p.stride, p.stride], padding: [p.padding, p.padding], dilation: p.op === "max_pool" ? [p.dilation, p.dilation] : [1, 1] };
    }
    L.pairs = pairs;
    return L;
  }

  // ---------------------------------------------------------------------------------------------
  // output sizes, with the formula written out

  /** Pool.h's pooling_output_shape. */
  function poolingOutputSize(S, k, s, p, d, ceil) {
    const numerator = S + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
    let out = Math.floor(numerator / s) + 1;
    if (ceil && (out - 1) * s >= S + p) out -= 1;
    return out;
  }

  function fmtFraction(n, s) {
    const v = n / s;
    return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/0+$/, "");
  }

  /** One line per spatial dim: the seeds' formula, then the numbers, floor and ceil visible. */
  function formula(p) {
    const names = p.dims === 1 ? ["L"] : ["H", "W"];
    const lines = [], sizes = [];
    const d = p.op === "avg_pool" ? 1 : p.dilation;
    const L = layout(p);
    for (let j = 0; j < p.dims; j++) {
      const S = p.input[j], k = p.kernel[j], s = p.stride, [pb, pa] = L.pairs[j];
      let general, filled, o;
      if (p.op === "conv_transpose") {
        o = (S - 1) * s - 2 * p.padding + d * (k - 1) + p.output_padding + 1;
        general = "o = (i − 1)·s − 2p + d·(k − 1) + output_padding + 1";
        filled = `= (${S} − 1)·${s} − 2·${p.padding} + ${d}·(${k} − 1) + ${p.output_padding} + 1 = ${o}`;
      } else {
        const pad = pb === pa ? `2·${pb}` : `${pb} + ${pa}`;
        const padSym = pb === pa ? "2p" : "p_before + p_after";
        const n = S + pb + pa - d * (k - 1) - 1;
        general = `o = ⌊(i + ${padSym} − d·(k − 1) − 1) / s⌋ + 1`;
        if (s <= 0) {
          filled = `= (${S} + ${pad} − ${d}·(${k} − 1) − 1) / ${s}: undefined for stride ${s}`;
          o = null;
        } else if (isPool(p)) {
          const fl = Math.floor(n / s) + 1, ce = Math.ceil(n / s) + 1;
          o = poolingOutputSize(S, k, s, pb, d, p.ceil_mode);
          general = p.ceil_mode ? `o = ⌈(i + 2p − d·(k − 1) − 1) / s⌉ + 1, minus 1 if (o − 1)·s ≥ i + p   (ceil_mode=True)`
            : general + "   (ceil_mode=False)";
          const frac = `(${S} + ${pad} − ${d}·(${k} − 1) − 1) / ${s} = ${n}/${s} = ${fmtFraction(n, s)}`;
          filled = `${frac};  floor: ⌊${fmtFraction(n, s)}⌋ + 1 = ${fl},  ceil: ⌈${fmtFraction(n, s)}⌉ + 1 = ${ce}`;
          if (p.ceil_mode && o !== ce) filled += `;  (${ce} − 1)·${s} = ${(ce - 1) * s} ≥ ${S} + ${pb}: the last window would start in the right padding, so it is dropped`;
          filled += `  →  o = ${o}`;
        } else {
          o = Math.floor(n / s) + 1;
          filled = `= ⌊(${S} + ${pad} − ${d}·(${k} − 1) − 1) / ${s}⌋ + 1 = ⌊${n}/${s}⌋ + 1 = ⌊${fmtFraction(n, s)}⌋ + 1 = ${o}` +
            (n % s !== 0 ? `  (the floor drops ${((n % s) + s) % s} of ${s}: ceil would give ${Math.ceil(n / s) + 1})` : "");
        }
      }
      lines.push({ dim: names[j], general, filled, size: o });
      sizes.push(o);
    }
    return { lines, sizes };
  }

  // ---------------------------------------------------------------------------------------------
  // errors: the checks minigrad (and PyTorch) make, in their order, with their words

  function convError(p, L) {
    const S = p.input, K = p.kernel, g = p.groups, s = p.stride, d = p.dilation, w = L.weightShape;
    if (typeof p.padding === "string" && p.padding === "same" && s !== 1) return "padding='same' is not supported for strided convolutions";
    if (g <= 0) return "non-positive groups is not supported";
    if (typeof p.padding === "number" && p.padding < 0) return "negative padding is not supported";
    if (s <= 0) return "non-positive stride is not supported";
    if (d < 0) return "dilation should be greater than zero";
    if (w[0] < g) return `Given groups=${g}, expected weight to be at least ${g} at dimension 0, but got weight of size ${pyList(w)} instead`;
    if (w[0] % g) return `Given groups=${g}, expected weight to be divisible by ${g} at dimension 0, but got weight of size [${pyList(w)}] instead`;
    if (p.kernel.some((k) => k <= 0)) {
      const hw = p.kernel.length === 1 ? [1, p.kernel[0]] : p.kernel;
      return `kernel size should be greater than zero, but got kernel_height: ${hw[0]} kernel_width: ${hw[1]}`;
    }
    if (L.cin !== w[1] * g) return `Given groups=${g}, weight of size ${pyList(w)}, expected input${pyList(L.inShape)} to have ${w[1] * g} channels, but got ${L.cin} channels instead`;
    const padded = S.map((x, j) => x + L.pairs[j][0] + L.pairs[j][1]);
    const dk = K.map((k) => d * (k - 1) + 1);
    if (padded.some((x, j) => x < dk[j])) return `Calculated padded input size per channel: (${padded.join(" x ")}). Kernel size: (${dk.join(" x ")}). Kernel size can't be greater than actual input size`;
    if (d === 0) return `dilation should be greater than zero, but got ${pyList(p.dims === 1 ? [1, 0] : [0, 0])}`;
    return null;
  }

  function convTransposeError(p, L) {
    const S = p.input, g = p.groups, s = p.stride, d = p.dilation, op = p.output_padding, w = L.weightShape;
    const as2d = (a, fill) => (a.length === 1 ? [fill].concat(a) : a);
    const axis = (prefix, values) => ["height", "width"].map((n, j) => `${prefix}_${n}: ${values[j]}`);
    if (g <= 0) return "non-positive groups is not supported";
    if (p.padding < 0) return "negative padding is not supported";
    if (op < 0) return "negative output_padding is not supported";
    if (s <= 0) return "non-positive stride is not supported";
    if (d < 0) return "dilation should be greater than zero";
    if (w[0] < g) return `Given groups=${g}, expected weight to be at least ${g} at dimension 0, but got weight of size ${pyList(w)} instead`;
    if (w[0] % g) return `Given groups=${g}, expected weight to be divisible by ${g} at dimension 0, but got weight of size [${pyList(w)}] instead`;
    if (p.kernel.some((k) => k <= 0)) {
      const hw = p.kernel.length === 1 ? [1, p.kernel[0]] : p.kernel;
      return `kernel size should be greater than zero, but got kernel_height: ${hw[0]} kernel_width: ${hw[1]}`;
    }
    const dil = S.map(() => d), str = S.map(() => s), opd = S.map(() => op);
    if (d === 0) return "dilation should be greater than zero, but got " + axis("dilation", as2d(dil, 1)).join(", ");
    if (op >= s && op >= d) {
      return "output padding must be smaller than either stride or dilation, but got " +
        [axis("output_padding", as2d(opd, 0)).join(" "), axis("stride", as2d(str, 1)).join(" "), axis("dilation", as2d(dil, 1)).join(" ")].join(" ");
    }
    const out = formula(p).sizes;
    if (out.some((o) => o < 1)) return `Given input size per channel: (${as2d(S, 1).join(" x ")}). Calculated output size per channel: (${as2d(out, 1).join(" x ")}). Output size is too small`;
    return null;
  }

  function poolError(p, L) {
    const P = L.pool2d;
    if (p.op === "avg_pool" && p.dims === 2 && p.divisor_override !== null && p.divisor_override === 0) return "divisor must be not zero";
    const out = [];
    for (let j = 0; j < 2; j++) {
      const [S, k, s, pad, dl] = [P.size[j], P.kernel[j], P.stride[j], P.padding[j], P.dilation[j]];
      if (s === 0) return "stride should not be zero";
      if (pad < 0) return `pad must be non-negative, but got pad: ${pad}`;
      if (pad > cDiv((k - 1) * dl + 1, 2)) return `pad should be at most half of effective kernel size, but got pad=${pad}, kernel_size=${k} and dilation=${dl}`;
      out.push(poolingOutputSize(S, k, s, pad, dl, p.ceil_mode));
    }
    const [[kh, kw], [dh, dw], [ph, pw], [dlh, dlw]] = [P.kernel, P.stride, P.padding, P.dilation];
    if (!(kw > 0 && kh > 0)) return `kernel size should be greater than zero, but got kH: ${kh} kW: ${kw}`;
    if (!(dw > 0 && dh > 0)) return `stride should be greater than zero, but got dH: ${dh} dW: ${dw}`;
    if (!(dlh > 0 && dlw > 0)) return `dilation should be greater than zero, but got dilationH: ${dlh} dilationW: ${dlw}`;
    if (P.size.some((x) => x === 0)) return `Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:${pyList([1, 1].concat(P.size))}`;
    if (!(Math.floor(kw / 2) >= pw && Math.floor(kh / 2) >= ph)) return `pad should be smaller than or equal to half of kernel size, but got padW = ${pw}, padH = ${ph}, kW = ${kw}, kH = ${kh}`;
    if (!(out[1] >= 1 && out[0] >= 1)) return `Given input size: (1x${P.size[0]}x${P.size[1]}). Calculated output size: (1x${out[0]}x${out[1]}). Output size is too small`;
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // the windows: one edge per (input cell, output cell, kernel tap)

  /** Edges of the linear map (or the max's candidates): [inFlat or -1 for padding, outFlat or -1 for
   * an output cropped away by a transposed convolution's padding, weight index or -1, position on the
   * drawn input grid, coefficient, position on the drawn output grid]. */
  function buildEdges(p, L, outSpatial, drawn, outDrawn, x, w) {
    const edges = [];
    const S = p.input, K = p.kernel, s = p.stride, d = p.op === "avg_pool" ? 1 : p.dilation;
    const taps = positions(K);
    const inSize = prod(S), outSize = prod(outSpatial), kSize = prod(K);
    const outPos = positions(outSpatial);
    if (p.op === "conv") {
      const [cout, cinG] = L.weightShape;
      const coutG = cout / p.groups;
      for (let o = 0; o < cout; o++) {
        const group = Math.floor(o / coutG);
        for (let cg = 0; cg < cinG; cg++) {
          const c = group * cinG + cg;
          outPos.forEach((q, qf) => taps.forEach((k, kf) => {
            const t = q.map((qq, j) => qq * s + k[j] * d);                 // padded coords
            const r = t.map((tt, j) => tt - L.pairs[j][0]);                 // input coords
            const real = r.every((rr, j) => rr >= 0 && rr < S[j]);
            const wi = (o * cinG + cg) * kSize + kf;
            edges.push([real ? c * inSize + flat(r, S) : -1, o * outSize + qf, wi, c * prod(drawn) + flat(t, drawn), w[wi], o * outSize + qf]);
          }));
        }
      }
    } else if (p.op === "conv_transpose") {
      const [cin, coutG] = L.weightShape;
      const cinG = cin / p.groups;
      const inPos = positions(S);
      for (let c = 0; c < cin; c++) {
        const group = Math.floor(c / cinG);
        for (let og = 0; og < coutG; og++) {
          const o = group * coutG + og;
          inPos.forEach((i, iflat) => taps.forEach((k, kf) => {
            const u = i.map((ii, j) => ii * s + k[j] * d);                  // on the uncropped output
            const q = u.map((uu) => uu - p.padding);
            const kept = q.every((qq, j) => qq >= 0 && qq < outSpatial[j]);   // else cropped by padding
            const wi = (c * coutG + og) * kSize + kf;
            edges.push([c * inSize + iflat, kept ? o * outSize + flat(q, outSpatial) : -1, wi, c * prod(drawn) + iflat, w[wi],
              o * prod(outDrawn) + flat(u, outDrawn)]);
          }));
        }
      }
    } else {
      const pad = p.padding;
      outPos.forEach((q, qf) => {
        let divisor = 1;
        if (p.op === "avg_pool") divisor = avgDivisor(p, q);
        taps.forEach((k) => {
          const t = q.map((qq, j) => qq * s + k[j] * d);
          // average pooling's windows stop at the padded edge (ceil_mode windows past it are cut)
          if (p.op === "avg_pool" && t.some((tt, j) => tt >= S[j] + 2 * pad)) return;
          const r = t.map((tt) => tt - pad);
          const real = r.every((rr, j) => rr >= 0 && rr < S[j]);
          edges.push([real ? flat(r, S) : -1, qf, -1, flat(t, drawn), p.op === "avg_pool" ? 1 / divisor : 1, qf]);
        });
      });
    }
    return edges;
  }

  /** AvgPoolKernel.cpp: the window clipped to the padded input (count_include_pad) or to the input. */
  function avgDivisor(p, q) {
    if (p.dims === 2 && p.divisor_override !== null) return p.divisor_override;
    let full = 1, real = 1;
    q.forEach((qq, j) => {
      const S = p.input[j], k = p.kernel[j], pad = p.padding;
      let start = qq * p.stride - pad;
      let end = Math.min(start + k, S + pad);
      full *= end - start;
      start = Math.max(start, 0);
      end = Math.min(end, S);
      real *= end - start;
    });
    return p.count_include_pad ? full : real;
  }

  // ---------------------------------------------------------------------------------------------
  // compute: everything the page shows, from one parameter set

  function compute(params) {
    const p = normalize(params);
    const L = layout(p);
    const f = formula(p);
    const result = { params: p, inShape: L.inShape, weightShape: L.weightShape, formula: f, error: null, errorType: null };
    const err = p.op === "conv" ? convError(p, L) : p.op === "conv_transpose" ? convTransposeError(p, L) : poolError(p, L);
    if (err !== null) {
      result.error = err; result.errorType = "RuntimeError"; result.call = pythonCall(p, L, null);
      return result;
    }

    const outSpatial = f.sizes;
    const cout = p.op === "conv" ? L.weightShape[0] : p.op === "conv_transpose" ? L.weightShape[1] * p.groups : 1;
    result.outShape = [1, cout].concat(outSpatial);
    const S = p.input, d = p.op === "avg_pool" ? 1 : p.dilation;
    // the drawn input grid: the padded input, widened where a ceil_mode window reaches past it
    let before = L.pairs.map((pr) => pr[0]), drawn;
    if (p.op === "conv_transpose") { before = S.map(() => 0); drawn = S.slice(); }
    else drawn = S.map((x, j) => Math.max(x + L.pairs[j][0] + L.pairs[j][1], (outSpatial[j] - 1) * p.stride + d * (p.kernel[j] - 1) + 1));
    result.drawn = drawn;
    result.before = before;
    // too many cells to draw (a size typed past the controls' maximum): the formula and shape only
    if (prod(drawn) * L.inShape[1] + prod(result.outShape) > MAX_CELLS) { result.tooLarge = true; result.call = pythonCall(p, L, result.outShape); return result; }

    // reproducible values: small integers (so sums are exact), nonzero weights (so every tap shows)
    const r = rng(p.seed);
    const nIn = prod(L.inShape), nOut = prod(result.outShape);
    let x;
    if (p.op === "max_pool") {          // distinct values: no ties, one clear winner per window
      x = range(nIn).map((i) => i - Math.floor(nIn / 2));
      for (let i = nIn - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [x[i], x[j]] = [x[j], x[i]]; }
    } else x = range(nIn).map(() => randInt(r, -3, 3));
    const w = L.weightShape ? range(prod(L.weightShape)).map(() => { const v = randInt(r, 1, 2); return r() < 0.5 ? -v : v; }) : null;
    let g;
    if (p.grad === "random") g = range(nOut).map(() => randInt(r, -3, 3));
    else if (p.grad === "onehot") { g = new Array(nOut).fill(0); if (nOut) g[((p.grad_cell % nOut) + nOut) % nOut] = 1; }
    else g = new Array(nOut).fill(1);
    result.x = x; result.w = w; result.g = g;

    // the drawn output grid: for a transposed convolution the whole uncropped output, the `padding`
    // cells cropped from each side drawn as a border (output_padding may add cells past it)
    let outBefore = outSpatial.map(() => 0), outDrawn = outSpatial.slice();
    if (p.op === "conv_transpose") {
      outBefore = outSpatial.map(() => p.padding);
      outDrawn = outSpatial.map((o, j) => Math.max((S[j] - 1) * p.stride + d * (p.kernel[j] - 1) + 1, p.padding + o));
    }
    result.outDrawn = outDrawn;
    result.outBefore = outBefore;
    const edges = buildEdges(p, L, outSpatial, drawn, outDrawn, x, w);
    result.edges = edges;
    // windows[out]: [inFlat or -1, coefficient] ; readers[in]: [outFlat, coefficient]
    const windows = range(nOut).map(() => []), readers = range(nIn).map(() => []);
    for (const e of edges) {
      if (e[1] < 0) continue;
      windows[e[1]].push([e[0], e[4]]);
      if (e[0] >= 0) readers[e[0]].push([e[1], e[4]]);
    }
    result.windows = windows; result.readers = readers;

    const y = new Array(nOut).fill(0), gx = new Array(nIn).fill(0);
    if (p.op === "max_pool") {
      const idx = new Array(nOut).fill(-1);
      for (let q = 0; q < nOut; q++) {
        let best = -Infinity;
        for (const [i] of windows[q]) if (i >= 0 && (x[i] > best || idx[q] < 0)) { best = x[i]; idx[q] = i; }
        y[q] = best;
        gx[idx[q]] += g[q];                // the scatter-add through the indices
      }
      result.indices = idx;
    } else {
      for (const e of edges) if (e[0] >= 0 && e[1] >= 0) { y[e[1]] += x[e[0]] * e[4]; gx[e[0]] += g[e[1]] * e[4]; }
    }
    if (p.op === "avg_pool") result.divisors = positions(outSpatial).map((q) => avgDivisor(p, q));
    result.y = y; result.gradInput = gx;
    if (w) {
      const gw = new Array(w.length).fill(0);
      for (const e of edges) if (e[0] >= 0 && e[1] >= 0) gw[e[2]] += g[e[1]] * x[e[0]];
      result.gradWeight = gw;
    }
    result.call = pythonCall(p, L, result.outShape);
    return result;
  }

  /** The minigrad call the page computes, as a learner would type it. */
  function pythonCall(p, L, outShape) {
    const fn = { conv: "conv", conv_transpose: "conv_transpose", max_pool: "max_pool", avg_pool: "avg_pool" }[p.op] + p.dims + "d";
    const k = p.dims === 1 ? p.kernel[0] : `(${p.kernel.join(", ")})`;
    const args = [];
    if (p.op === "conv") args.push(`stride=${p.stride}`, `padding=${typeof p.padding === "string" ? `'${p.padding}'` : p.padding}`, `dilation=${p.dilation}`, `groups=${p.groups}`);
    if (p.op === "conv_transpose") args.push(`stride=${p.stride}`, `padding=${p.padding}`, `output_padding=${p.output_padding}`, `groups=${p.groups}`, `dilation=${p.dilation}`);
    if (p.op === "max_pool") args.push(`kernel_size=${k}`, `stride=${p.stride}`, `padding=${p.padding}`, `dilation=${p.dilation}`, `ceil_mode=${p.ceil_mode ? "True" : "False"}`, "return_indices=True");
    if (p.op === "avg_pool") {
      args.push(`kernel_size=${k}`, `stride=${p.stride}`, `padding=${p.padding}`, `ceil_mode=${p.ceil_mode ? "True" : "False"}`, `count_include_pad=${p.count_include_pad ? "True" : "False"}`);
      if (p.dims === 2) args.push(`divisor_override=${p.divisor_override === null ? "None" : p.divisor_override}`);
    }
    const w = L.weightShape ? ", w" : "";
    const shapes = `# x: (${L.inShape.join(", ")})` + (L.weightShape ? `, w: (${L.weightShape.join(", ")})` : "") + (outShape ? ` -> (${outShape.join(", ")})` : "");
    return `F.${fn}(x${w}, ${args.join(", ")})  ${shapes}`;
  }

  // ---------------------------------------------------------------------------------------------
  // the view

  const fmt = (v) => {
    if (v === -Infinity) return "−∞";
    if (Number.isInteger(v)) return String(v);
    const t = v.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
    return t === "-0" ? "0" : t;
  };

  /** A factor in a written-out sum: negatives in parentheses, so 1·(-2) never reads as 1·-2. */
  const term = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));

  const state = { params: normalize({}), view: "forward", model: null };

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "class") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** A grid of cells; cell(i) returns {text, cls, attrs}. 1-d grids are one row. */
  function grid(title, shape2, cell) {
    const box = el("div", { class: "grid-box" });
    box.appendChild(el("div", { class: "grid-title" }, title));
    const rows = shape2.length === 1 ? 1 : shape2[0], cols = shape2[shape2.length - 1];
    const g = el("div", { class: "grid" });
    g.style.gridTemplateColumns = `repeat(${cols}, var(--cell))`;
    for (let i = 0; i < rows * cols; i++) {
      const c = cell(i);
      const div = el("div", Object.assign({ class: "cell " + (c.cls || "") }, c.attrs || {}));
      div.appendChild(el("span", { class: "v" + (c.text.length > 4 ? " long" : "") }, c.text));
      if (c.sub !== undefined) div.appendChild(el("span", { class: "sub" }, c.sub));
      g.appendChild(div);
    }
    box.appendChild(g);
    return box;
  }

  function render() {
    const m = (state.model = compute(state.params));
    const p = m.params;
    const $ = (id) => document.getElementById(id);
    // formula
    const fbox = $("formula");
    fbox.innerHTML = "";
    const lines = m.formula.lines;
    const same = lines.length === 2 && lines[0].filled === lines[1].filled;
    fbox.appendChild(el("div", { class: "general" }, lines[0].general));
    (same ? [Object.assign({}, lines[0], { dim: "H, W" })] : lines).forEach((l) => {
      const row = el("div", { class: "formula-line", "data-dim": l.dim, "data-size": l.size });
      row.appendChild(el("span", { class: "dim" }, p.dims === 1 ? "L: " : l.dim + ": "));
      row.appendChild(el("span", { class: "filled" }, l.filled.replace(/^= /, "")));
      fbox.appendChild(row);
    });
    $("call").textContent = m.call;
    const ebox = $("error"), pics = $("pictures");
    if (m.error) {
      ebox.hidden = false;
      ebox.textContent = `${m.errorType}: ${m.error}`;
      pics.hidden = true;
      return;
    }
    ebox.hidden = true;
    pics.hidden = false;
    if (m.tooLarge) {
      $("grids").innerHTML = "";
      $("grids").appendChild(el("p", {}, `Too many cells to draw (more than ${MAX_CELLS}); the formula and the shapes above still hold.`));
      return;
    }
    const back = state.view === "backward";
    document.body.classList.toggle("backward", back);
    const area = $("grids");
    area.innerHTML = "";
    const S = p.input, nIn = prod(S), drawn = m.drawn, nDrawn = prod(drawn);
    const outSp = m.outShape.slice(2), nOutSp = prod(outSp);
    const inBox = el("div", { class: "side" });
    inBox.appendChild(el("h3", {}, back ? "input gradient ∂L/∂x" : (p.op === "conv_transpose" ? "input x" : "input x (padded)")));
    // drawn position -> real flat index
    const realOf = positions(drawn).map((t) => {
      const r = t.map((tt, j) => tt - m.before[j]);
      return r.every((rr, j) => rr >= 0 && rr < S[j]) ? flat(r, S) : -1;
    });
    const padEnd = drawn.map((_, j) => (p.op === "conv_transpose" ? S[j] : S[j] + layout(p).pairs[j][0] + layout(p).pairs[j][1]));
    const posDrawn = positions(drawn);
    for (let c = 0; c < m.inShape[1]; c++) {
      const inGroup = p.op === "conv" || p.op === "conv_transpose" ? Math.floor(c / (m.inShape[1] / p.groups)) : 0;
      const inTitle = m.inShape[1] > 1 ? `channel ${c}` + (p.groups > 1 ? ` · group ${inGroup}` : "") : "";
      inBox.appendChild(grid(inTitle, drawn, (t) => {
        const ri = realOf[t];
        if (ri < 0) {
          const beyond = posDrawn[t].some((tt, j) => tt >= padEnd[j]);
          const padVal = p.op === "max_pool" ? "−∞" : "0";
          return { text: beyond ? "" : (back ? "" : padVal), cls: beyond ? "beyond" : "pad", attrs: { "data-grid": "input", "data-ch": c, "data-pos": t, "data-in": -1 } };
        }
        const fi = c * nIn + ri;
        const v = back ? m.gradInput[fi] : m.x[fi];
        const cls = "real" + (p.op === "max_pool" && back && m.indices.indexOf(fi) >= 0 ? " winner" : "");
        return { text: fmt(v), cls, attrs: { "data-grid": "input", "data-ch": c, "data-pos": t, "data-in": fi, "data-value": v } };
      }));
    }
    area.appendChild(inBox);
    if (m.weightShape) {
      const wBox = el("div", { class: "side weights" });
      wBox.appendChild(el("h3", {}, back ? "weight gradient ∂L/∂w" : "weight w"));
      const [a, b] = m.weightShape, K = p.kernel, kSize = prod(K);
      const wrap = el("div", { class: "wgrid" });
      wrap.style.gridTemplateColumns = `repeat(${b}, auto)`;
      for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) {
        wrap.appendChild(grid(`w[${i}, ${j}]`, K, (kf) => {
          const wi = (i * b + j) * kSize + kf;
          const v = back ? m.gradWeight[wi] : m.w[wi];
          return { text: fmt(v), cls: "wcell", attrs: { "data-grid": "weight", "data-w": wi, "data-value": v } };
        }));
      }
      wBox.appendChild(wrap);
      area.appendChild(wBox);
    }
    const outBox = el("div", { class: "side" });
    outBox.appendChild(el("h3", {}, back ? "upstream gradient g = ∂L/∂y" : "output y"));
    const outDrawn = m.outDrawn, nOutDrawn = prod(outDrawn);
    const outOf = positions(outDrawn).map((u) => {
      const q = u.map((uu, j) => uu - m.outBefore[j]);
      return q.every((qq, j) => qq >= 0 && qq < outSp[j]) ? flat(q, outSp) : -1;
    });
    for (let o = 0; o < m.outShape[1]; o++) {
      const outTitle = m.outShape[1] > 1 ? `channel ${o}` + (p.groups > 1 ? ` · group ${Math.floor(o / (m.outShape[1] / p.groups))}` : "") : "";
      outBox.appendChild(grid(outTitle, outDrawn, (u) => {
        const q = outOf[u];
        if (q < 0) return { text: "", cls: "pad crop", attrs: { "data-grid": "output", "data-out": -1, "data-pos": o * nOutDrawn + u } };
        const fo = o * nOutSp + q;
        const v = back ? m.g[fo] : m.y[fo];
        let sub;
        if (back && p.op === "max_pool") sub = "→" + m.indices[fo];
        if (back && p.op === "avg_pool") sub = "÷" + m.divisors[q];
        return { text: fmt(v), sub, cls: "out", attrs: { "data-grid": "output", "data-out": fo, "data-pos": o * nOutDrawn + u, "data-value": v } };
      }));
    }
    area.appendChild(outBox);
    $("legend").textContent = legendText(m, back);
    $("info").textContent = "Hover an output cell to see the window it reads; hover an input cell to see every output that reads it (the path its gradient takes back).";
  }

  function legendText(m, back) {
    const p = m.params;
    if (!back) return p.op === "conv_transpose"
      ? "A transposed convolution: each input cell writes its value times the kernel onto a window of the output, stride s apart; padding crops the grey border off the output."
      : "Grey cells are padding; dashed cells lie past the padded edge (a ceil_mode window reaching beyond it).";
    if (p.op === "max_pool") return "Backward of max pooling: each output's gradient goes to its argmax (→ flat index h·W + w), scatter-added; the winners are in bold.";
    if (p.op === "avg_pool") return "Backward of average pooling: each output's gradient is divided by its window's divisor (÷) and added to every input of the window.";
    return "Input gradient: each input cell sums g·w over the outputs that read it. Weight gradient: each tap sums g·x over all windows.";
  }

  function clearHighlight() {
    document.querySelectorAll(".hl, .focus, .argmax").forEach((e) => e.classList.remove("hl", "focus", "argmax"));
    document.querySelectorAll(".badge").forEach((e) => e.remove());
  }

  function badge(cell, text) { const b = el("span", { class: "badge" }, text); cell.appendChild(b); }

  /** Highlight what one hovered cell touches; returns the highlighted cells (the test reads them back). */
  function hover(target) {
    clearHighlight();
    const m = state.model;
    if (!m || m.error) return;
    const back = state.view === "backward";
    const info = document.getElementById("info");
    target.classList.add("focus");
    const gridName = target.getAttribute("data-grid");
    const cellFor = (drawnFlat) => document.querySelector(`.cell[data-grid="input"][data-ch="${Math.floor(drawnFlat / prod(m.drawn))}"][data-pos="${drawnFlat % prod(m.drawn)}"]`);
    if (gridName === "output") {
      const q = Number(target.getAttribute("data-out"));
      if (q < 0) {             // a transposed convolution's output cell that padding crops
        const pos = Number(target.getAttribute("data-pos"));
        const writers = m.edges.filter((e) => e[1] < 0 && e[5] === pos);
        for (const e of writers) { const c = cellFor(e[3]); if (c) { c.classList.add("hl"); badge(c, "w" + fmt(e[4])); } }
        info.textContent = `Cropped by padding=${m.params.padding}: ${writers.length} input tap${writers.length === 1 ? "" : "s"} write here, but the cell is not part of the output, so no gradient comes back from it.`;
        return;
      }
      const mine = m.edges.filter((e) => e[1] === q);
      const terms = [];
      for (const e of mine) {
        const c = cellFor(e[3]);
        if (c) { c.classList.add("hl"); if (m.params.op !== "max_pool") badge(c, (e[2] >= 0 ? "w" : "") + fmt(e[2] >= 0 ? e[4] : e[4])); }
        if (e[2] >= 0) document.querySelectorAll(`.cell[data-w="${e[2]}"]`).forEach((w) => w.classList.add("hl"));
        if (e[0] >= 0) terms.push(e);
      }
      if (m.params.op === "max_pool") {
        const win = document.querySelector(`.cell[data-grid="input"][data-in="${m.indices[q]}"]`);
        if (win) win.classList.add("argmax");
      }
      info.textContent = describeOutput(m, q, terms, back);
    } else if (gridName === "input") {
      const i = Number(target.getAttribute("data-in"));
      if (i < 0) { info.textContent = "A padding cell: it is read, but it is no input, so no gradient flows to it."; return; }
      const mine = m.readers[i];
      const cropped = m.edges.filter((e) => e[0] === i && e[1] < 0);
      for (const e of cropped) {
        const c = document.querySelector(`.cell[data-grid="output"][data-pos="${e[5]}"]`);
        if (c) c.classList.add("hl");
      }
      for (const [q, coef] of mine) {
        const c = document.querySelector(`.cell[data-grid="output"][data-out="${q}"]`);
        c.classList.add("hl");
        if (m.params.op !== "max_pool") badge(c, (m.weightShape ? "w" : "") + fmt(coef));
        if (m.params.op === "max_pool" && m.indices[q] === i) c.classList.add("argmax");
      }
      info.textContent = describeInput(m, i, mine, back) +
        (cropped.length ? ` ${cropped.length} more tap${cropped.length === 1 ? "" : "s"} land in the border that padding=${m.params.padding} crops.` : "");
    }
  }

  function describeOutput(m, q, terms, back) {
    const op = m.params.op;
    if (op === "max_pool") return back
      ? `g[${q}] = ${fmt(m.g[q])} goes to input ${m.indices[q]} only (its window's argmax).`
      : `y[${q}] = max over its window = x[${m.indices[q]}] = ${fmt(m.y[q])}.`;
    if (op === "avg_pool") return back
      ? `g[${q}] = ${fmt(m.g[q])} is divided by ${m.divisors[q % m.divisors.length]} and sent to each of its ${terms.length} inputs.`
      : `y[${q}] = (${terms.map((e) => term(m.x[e[0]])).join(" + ") || "0"}) / ${m.divisors[q % m.divisors.length]} = ${fmt(m.y[q])}.`;
    if (back) return `g[${q}] = ${fmt(m.g[q])} flows back to ${terms.length} input cells, times the weight of each tap.`;
    return `y[${q}] = ${terms.map((e) => `${term(m.x[e[0]])}·${term(e[4])}`).join(" + ") || "0"} = ${fmt(m.y[q])}.`;
  }

  function describeInput(m, i, mine, back) {
    const op = m.params.op;
    if (op === "max_pool") {
      const wins = mine.filter(([q]) => m.indices[q] === i).map(([q]) => q);
      return `x[${i}] is read by ${mine.length} windows and wins ${wins.length}: ∂L/∂x[${i}] = ${wins.map((q) => term(m.g[q])).join(" + ") || "0"} = ${fmt(m.gradInput[i])}.`;
    }
    const terms = mine.map(([q, c]) => `${term(m.g[q])}·${term(c)}`);
    return `x[${i}] is read by ${mine.length} output${mine.length === 1 ? "" : "s"}; its gradient comes back along them: ∂L/∂x[${i}] = ${terms.join(" + ") || "0"} = ${fmt(m.gradInput[i])}.`;
  }

  // ---- controls --------------------------------------------------------------------------------

  function readControls() {
    const v = (id) => document.getElementById(id).value;
    const c = (id) => document.getElementById(id).checked;
    const dims = Number(v("dims"));
    const padMode = v("op") === "conv" ? v("padding_mode") : "number";
    return normalize({
      op: v("op"), dims,
      input: dims === 1 ? [Number(v("size_w"))] : [Number(v("size_h")), Number(v("size_w"))],
      kernel: dims === 1 ? [Number(v("kernel_w"))] : [Number(v("kernel_h")), Number(v("kernel_w"))],
      stride: v("stride"), padding: padMode === "number" ? v("padding") : padMode, dilation: v("dilation"),
      groups: v("groups"), in_channels: v("in_channels"), out_channels: v("out_channels"),
      output_padding: v("output_padding"), ceil_mode: c("ceil_mode"), count_include_pad: c("count_include_pad"),
      divisor_override: c("use_divisor") ? v("divisor_override") : null,
      grad: v("grad"), grad_cell: v("grad_cell"), seed: v("seed"),
    });
  }

  function writeControls(p) {
    const set = (id, value) => { document.getElementById(id).value = value; };
    set("op", p.op); set("dims", p.dims);
    set("size_w", p.input[p.dims - 1]); if (p.dims === 2) set("size_h", p.input[0]);
    set("kernel_w", p.kernel[p.dims - 1]); if (p.dims === 2) set("kernel_h", p.kernel[0]);
    set("stride", p.stride); set("dilation", p.dilation); set("groups", p.groups);
    set("padding_mode", typeof p.padding === "string" ? p.padding : "number");
    if (typeof p.padding === "number") set("padding", p.padding);
    set("in_channels", p.in_channels); set("out_channels", p.out_channels); set("output_padding", p.output_padding);
    document.getElementById("ceil_mode").checked = p.ceil_mode;
    document.getElementById("count_include_pad").checked = p.count_include_pad;
    document.getElementById("use_divisor").checked = p.divisor_override !== null;
    if (p.divisor_override !== null) set("divisor_override", p.divisor_override);
    set("grad", p.grad); set("grad_cell", p.grad_cell); set("seed", p.seed);
  }

  /** Show only the controls that mean something for the chosen operation. */
  function syncVisibility(p) {
    const show = (cls, on) => document.querySelectorAll("." + cls).forEach((e) => { e.hidden = !on; });
    show("for-conv", p.op === "conv" || p.op === "conv_transpose");
    show("for-conv-only", p.op === "conv");
    show("for-transposed", p.op === "conv_transpose");
    show("for-pool", isPool(p));
    show("for-avg", p.op === "avg_pool");
    show("for-avg2d", p.op === "avg_pool" && p.dims === 2);
    show("for-dilation", p.op !== "avg_pool");
    show("for-2d", p.dims === 2);
    if (p.op !== "conv") document.getElementById("padding_mode").value = "number";
    document.getElementById("padding").disabled = p.op === "conv" && typeof p.padding === "string";
    document.getElementById("divisor_override").disabled = p.divisor_override === null;
  }

  function update() {
    state.params = readControls();
    syncVisibility(state.params);
    render();
  }

  function init() {
    // docs links: the Markdown source next to this file on disk, the built page on the docs site
    document.querySelectorAll("a[data-doc]").forEach((a) => {
      const doc = a.getAttribute("data-doc");
      if (location.protocol !== "file:") a.href = doc === "index" ? "../" : `../${doc}/`;
    });
    writeControls(state.params);
    document.querySelectorAll("#controls input, #controls select").forEach((e) => {
      e.addEventListener("input", update);
      e.addEventListener("change", update);
    });
    document.querySelectorAll("input[name=view]").forEach((e) => e.addEventListener("change", () => {
      state.view = document.querySelector("input[name=view]:checked").value;
      render();
    }));
    const grids = document.getElementById("grids");
    grids.addEventListener("mouseover", (ev) => { const c = ev.target.closest(".cell[data-grid=input], .cell[data-grid=output]"); if (c) hover(c); });
    grids.addEventListener("mouseleave", clearHighlight);
    grids.addEventListener("click", (ev) => {   // click an output cell: a one-hot upstream gradient there
      const c = ev.target.closest(".cell[data-grid=output]");
      if (!c || c.getAttribute("data-out") === "-1") return;
      document.getElementById("grad").value = "onehot";
      document.getElementById("grad_cell").value = c.getAttribute("data-out");
      update();
    });
    syncVisibility(state.params);
    render();
  }

  /** Set parameters from code (the test and the figure script do this), as a user would. */
  function set(params, view) {
    state.params = normalize(params);
    if (view) {
      state.view = view;
      document.querySelector(`input[name=view][value=${view}]`).checked = true;
    }
    writeControls(state.params);
    syncVisibility(state.params);
    render();
    return state.model;
  }

  global.Explorer = { compute, normalize, formula, poolingOutputSize, rng, set, hover, state, DEFAULTS,
    // many parameter sets in one call (the test's batches); the edge list is left out, windows and readers stay
    computeMany: (list) => list.map((params) => { const r = compute(params); delete r.edges; return r; }) };
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
    else init();
  }
})(typeof window !== "undefined" ? window : globalThis);
