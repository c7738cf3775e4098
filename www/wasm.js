// Which WebAssembly module this browser runs. `cargo xtask dist` builds two from the same
// source, sharing one glue file (pkg/instatok.js):
//   pkg/instatok_relaxed_bg.wasm  SIMD128 and relaxed SIMD: the network's matrix products use
//                                 a multiply-add the browser may fuse (up to 50% faster updates
//                                 in Chromium; the last bits of results differ, see README)
//   pkg/instatok_bg.wasm          SIMD128 only, for browsers without relaxed SIMD
// The page, the compare Worker, the tests and the benchmark all pick through here.

/** A module with one function, `f32x4.relaxed_madd` of three zero vectors. */
function relaxedProbe() {
  const zeros = [0xfd, 0x0c, ...new Array(16).fill(0)]; // v128.const 0
  const body = [0x00, ...zeros, ...zeros, ...zeros, 0xfd, 0x85, 0x02, 0x0b]; // relaxed_madd, end
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
    0x03, 0x02, 0x01, 0x00, // one function of type 0
    0x0a, body.length + 2, 0x01, body.length, ...body, // its code
  ]);
}

/** Whether this browser has relaxed SIMD. */
export function hasRelaxedSimd() {
  try {
    return WebAssembly.validate(relaxedProbe());
  } catch {
    return false;
  }
}

/** The URL of the module this browser runs. */
export function wasmUrl() {
  const file = hasRelaxedSimd() ? 'instatok_relaxed_bg.wasm' : 'instatok_bg.wasm';
  return new URL(`../pkg/${file}`, import.meta.url);
}

/** The module this browser runs, compiled (a `WebAssembly.Module` the Workers can share). */
export function compileModule() {
  return WebAssembly.compileStreaming(fetch(wasmUrl()));
}
