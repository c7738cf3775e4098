//! The matrix products of the Q-networks, for their small shapes (a few hundred rows at most,
//! 64 columns, inner sizes of 1-500).
//!
//! Natively the products run on ndarray's `general_mat_mul` (matrixmultiply's AVX/FMA
//! kernels). In WebAssembly they run on [`gemm`], a kernel written for these shapes with
//! SIMD128 (`f32x4`): matrixmultiply packs both operands into panels before every product,
//! and at these sizes the packing and its edge handling cost as much as the arithmetic.
//! [`gemm`] reads the operands in place: each output tile of 4 rows x 8 columns stays in
//! registers while the inner dimension runs, the left operand's entries are broadcast
//! (it may be transposed: any strides), the right operand's rows are loaded as vectors (it
//! must have unit column stride; a transposed weight is copied into scratch first, which is
//! `k x n` work against the product's `m x k x n`).
//!
//! The same loop is written once over [`Lanes`], four f32 lanes: `v128` in WebAssembly with
//! SIMD128, a plain `[f32; 4]` elsewhere, so the native tests check the loop order and edges
//! of the code the browser runs.
//!
//! Built with relaxed SIMD as well (`+relaxed-simd`, the page's second module, for browsers
//! that have it), a multiply-add is `f32x4.relaxed_madd`, which the browser may fuse: a fused
//! multiply-add where the processor has one, as native code already does through
//! matrixmultiply's FMA kernels. The products then round once instead of twice, so the last
//! bits of the results differ from the plain SIMD128 module's; the loop order does not. In
//! Chromium this made DQN updates 4-49% faster (six alternated pairs of runs).

use ndarray::{ArrayView2, ArrayViewMut2};

/// Four f32 lanes and the operations the kernel needs.
trait Lanes: Copy {
    fn zero() -> Self;
    fn splat(v: f32) -> Self;
    /// Four values from `p` (no alignment needed).
    ///
    /// # Safety
    /// `p..p+4` must be readable.
    unsafe fn load(p: *const f32) -> Self;
    /// # Safety
    /// `p..p+4` must be writable.
    unsafe fn store(self, p: *mut f32);
    /// `self + a * b`: a multiply then an add, or with relaxed SIMD one multiply-add that may
    /// be fused (rounded once).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// Lanes where `mask` is not positive set to 0.
    fn keep_positive(self, mask: Self) -> Self;
    /// The sum of the four lanes, `(l0 + l2) + (l1 + l3)`.
    fn sum(self) -> f32;
}

#[allow(dead_code)] // the kernel's lanes natively (tests) and on wasm without SIMD128
#[derive(Clone, Copy)]
struct Portable([f32; 4]);

impl Lanes for Portable {
    #[inline(always)]
    fn zero() -> Self {
        Portable([0.0; 4])
    }
    #[inline(always)]
    fn splat(v: f32) -> Self {
        Portable([v; 4])
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Portable(std::ptr::read_unaligned(p.cast::<[f32; 4]>()))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        std::ptr::write_unaligned(p.cast::<[f32; 4]>(), self.0)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        Portable(std::array::from_fn(|i| self.0[i] + a.0[i] * b.0[i]))
    }
    #[inline(always)]
    fn keep_positive(self, mask: Self) -> Self {
        Portable(std::array::from_fn(|i| {
            if mask.0[i] > 0.0 {
                self.0[i]
            } else {
                0.0
            }
        }))
    }
    #[inline(always)]
    fn sum(self) -> f32 {
        let [a, b, c, d] = self.0;
        (a + c) + (b + d)
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use core::arch::wasm32::*;

    /// SIMD128's `f32x4`.
    #[derive(Clone, Copy)]
    pub(super) struct Simd(v128);

    impl super::Lanes for Simd {
        #[inline(always)]
        fn zero() -> Self {
            Simd(f32x4_splat(0.0))
        }
        #[inline(always)]
        fn splat(v: f32) -> Self {
            Simd(f32x4_splat(v))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            Simd(v128_load(p.cast::<v128>()))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            v128_store(p.cast::<v128>(), self.0)
        }
        #[inline(always)]
        fn mul_add(self, a: Self, b: Self) -> Self {
            // relaxed_madd(a, b, c) is a * b + c.
            #[cfg(target_feature = "relaxed-simd")]
            return Simd(f32x4_relaxed_madd(a.0, b.0, self.0));
            #[cfg(not(target_feature = "relaxed-simd"))]
            Simd(f32x4_add(self.0, f32x4_mul(a.0, b.0)))
        }
        #[inline(always)]
        fn keep_positive(self, mask: Self) -> Self {
            Simd(v128_and(self.0, f32x4_gt(mask.0, f32x4_splat(0.0))))
        }
        #[inline(always)]
        fn sum(self) -> f32 {
            // (l0 + l2, l1 + l3, ..) then lane 0 + lane 1.
            let v = f32x4_add(self.0, i32x4_shuffle::<2, 3, 0, 1>(self.0, self.0));
            f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<1>(v)
        }
    }
}

/// The lanes [`gemm`] runs on in this build.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Native = simd::Simd;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type Native = Portable;

/// A strided read-only matrix: element `(i, j)` at `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl Mat<'_> {
    /// Whether every element's index is inside `data`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < self.data.len()
    }
}

/// What the product starts from, per output element.
#[derive(Clone, Copy)]
pub(crate) enum Init<'a> {
    /// 0: `C = A·B`.
    Zero,
    /// C's current value: `C += A·B`.
    Accumulate,
    /// A row added to every row: `C = 1 bᵀ + A·B` (`b` has C's column count).
    Row(&'a [f32]),
}

/// What is done to each output element before it is stored.
#[derive(Clone, Copy)]
pub(crate) enum Finish<'a> {
    None,
    /// ReLU.
    Relu,
    /// Zeroed where the same element of `mask` (C's shape, row stride C's) is not positive
    /// (backpropagation through a ReLU whose output was `mask`).
    KeepWherePositive(&'a [f32]),
}

/// `C = init + A·B`, then `finish`, with C (`a.rows x b.cols`) row-major with row stride `ldc`.
/// `b` must have unit column stride (`b.cs == 1`).
///
/// # Panics
/// If the shapes disagree or a matrix does not fit its slice.
pub(crate) fn gemm(a: Mat, b: Mat, init: Init, finish: Finish, c: &mut [f32], ldc: usize) {
    gemm_with::<Native>(a, b, init, finish, c, ldc)
}

/// `C = init + A·Wᵀ`, then `finish`, for a narrow C (a few columns: the output layer): one
/// dot product per element, along rows of A and W (both with unit column stride), four
/// lanes at a time. `w` is `C's columns x a.cols`.
///
/// # Panics
/// If the shapes disagree or a matrix does not fit its slice.
pub(crate) fn gemm_nt(a: Mat, w: Mat, init: Init, finish: Finish, c: &mut [f32], ldc: usize) {
    gemm_nt_with::<Native>(a, w, init, finish, c, ldc)
}

fn gemm_nt_with<L: Lanes>(a: Mat, w: Mat, init: Init, finish: Finish, c: &mut [f32], ldc: usize) {
    let (m, k, n) = (a.rows, a.cols, w.rows);
    assert!(w.cols == k && a.cs == 1 && w.cs == 1 && a.fits() && w.fits());
    if !check_out(m, n, init, finish, c, ldc) {
        return;
    }
    let p = NtPtrs {
        a: a.data.as_ptr(),
        ars: a.rs,
        w: w.data.as_ptr(),
        wrs: w.rs,
        c: c.as_mut_ptr(),
        ldc,
        k,
    };
    // SAFETY: rows i < m of A and j < n of W, k values each, are inside their slices, and
    // C's elements (i, j) too (asserted above).
    unsafe {
        let mut i = 0;
        while i + 4 <= m {
            dot_rows::<L, 4>(&p, i, n, init, finish);
            i += 4;
        }
        while i < m {
            dot_rows::<L, 1>(&p, i, n, init, finish);
            i += 1;
        }
    }
}

/// Checks that an `m x n` result with row stride `ldc` fits `c`, and that the bias row and
/// the ReLU mask cover it; returns whether there is anything to compute.
///
/// # Panics
/// If they do not.
fn check_out(m: usize, n: usize, init: Init, finish: Finish, c: &[f32], ldc: usize) -> bool {
    assert!(ldc >= n);
    if m == 0 || n == 0 {
        return false;
    }
    assert!((m - 1) * ldc + n <= c.len());
    if let Init::Row(r) = init {
        assert!(r.len() >= n);
    }
    if let Finish::KeepWherePositive(mask) = finish {
        assert!(mask.len() >= (m - 1) * ldc + n);
    }
    true
}

struct NtPtrs {
    a: *const f32,
    ars: usize,
    w: *const f32,
    wrs: usize,
    c: *mut f32,
    ldc: usize,
    k: usize,
}

/// Rows `i..i+R` of [`gemm_nt`]'s C, two columns at a time: `2R` independent sums, so that
/// the additions' latency overlaps.
#[inline(always)]
unsafe fn dot_rows<L: Lanes, const R: usize>(
    p: &NtPtrs,
    i: usize,
    n: usize,
    init: Init,
    finish: Finish,
) {
    let mut j = 0;
    while j + 2 <= n {
        dot_tile::<L, R, 2>(p, i, j, init, finish);
        j += 2;
    }
    if j < n {
        dot_tile::<L, R, 1>(p, i, j, init, finish);
    }
}

#[inline(always)]
unsafe fn dot_tile<L: Lanes, const R: usize, const C: usize>(
    p: &NtPtrs,
    i: usize,
    j: usize,
    init: Init,
    finish: Finish,
) {
    let k4 = p.k - p.k % 4;
    let mut acc = [[L::zero(); C]; R];
    let mut q = 0;
    while q < k4 {
        let mut wv = [L::zero(); C];
        for (c, x) in wv.iter_mut().enumerate() {
            *x = L::load(p.w.add((j + c) * p.wrs + q));
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let av = L::load(p.a.add((i + r) * p.ars + q));
            for (x, &wx) in row.iter_mut().zip(&wv) {
                *x = x.mul_add(av, wx);
            }
        }
        q += 4;
    }
    for (r, row) in acc.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let at = (i + r) * p.ldc + j + c;
            let mut x = match init {
                Init::Zero => 0.0,
                Init::Accumulate => *p.c.add(at),
                Init::Row(b) => b[j + c],
            };
            x += v.sum();
            for q in k4..p.k {
                x += *p.a.add((i + r) * p.ars + q) * *p.w.add((j + c) * p.wrs + q);
            }
            *p.c.add(at) = finish_one(x, finish, at);
        }
    }
}

/// Rows per tile; columns per tile are `4 * NV`.
const MR: usize = 4;
const NV: usize = 2;

fn gemm_with<L: Lanes>(a: Mat, b: Mat, init: Init, finish: Finish, c: &mut [f32], ldc: usize) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(b.rows == k && b.cs == 1 && a.fits() && b.fits());
    if !check_out(m, n, init, finish, c, ldc) {
        return;
    }
    let p = Ptrs {
        a: a.data.as_ptr(),
        ars: a.rs,
        acs: a.cs,
        b: b.data.as_ptr(),
        ldb: b.rs,
        c: c.as_mut_ptr(),
        ldc,
        k,
    };
    // SAFETY: every index the tiles touch is below (m-1)*rs + (cols-1)*cs of its matrix,
    // which the asserts above bound by the slices' lengths.
    unsafe {
        let mut i = 0;
        while i + MR <= m {
            row_block::<L, MR>(&p, i, n, init, finish);
            i += MR;
        }
        while i < m {
            row_block::<L, 1>(&p, i, n, init, finish);
            i += 1;
        }
    }
}

struct Ptrs {
    a: *const f32,
    ars: usize,
    acs: usize,
    b: *const f32,
    ldb: usize,
    c: *mut f32,
    ldc: usize,
    k: usize,
}

/// Rows `i..i+R` of C: tiles of `4 * NV` columns, then of 4, then single columns.
#[inline(always)]
unsafe fn row_block<L: Lanes, const R: usize>(
    p: &Ptrs,
    i: usize,
    n: usize,
    init: Init,
    finish: Finish,
) {
    let mut j = 0;
    while j + 4 * NV <= n {
        tile::<L, R, NV>(p, i, j, init, finish);
        j += 4 * NV;
    }
    while j + 4 <= n {
        tile::<L, R, 1>(p, i, j, init, finish);
        j += 4;
    }
    while j < n {
        // One column: R independent sums (not one after the other, which would wait on
        // each addition's latency).
        let mut acc = [0.0f32; R];
        for (r, x) in acc.iter_mut().enumerate() {
            *x = match init {
                Init::Zero => 0.0,
                Init::Accumulate => *p.c.add((i + r) * p.ldc + j),
                Init::Row(b) => b[j],
            };
        }
        for q in 0..p.k {
            let bq = *p.b.add(q * p.ldb + j);
            for (r, x) in acc.iter_mut().enumerate() {
                *x += *p.a.add((i + r) * p.ars + q * p.acs) * bq;
            }
        }
        for (r, &x) in acc.iter().enumerate() {
            let at = (i + r) * p.ldc + j;
            *p.c.add(at) = finish_one(x, finish, at);
        }
        j += 1;
    }
}

/// [`Finish`] on one value stored at `at`.
#[inline(always)]
fn finish_one(x: f32, finish: Finish, at: usize) -> f32 {
    let keep = match finish {
        Finish::None => true,
        Finish::Relu => x > 0.0,
        Finish::KeepWherePositive(mask) => mask[at] > 0.0,
    };
    if keep {
        x
    } else {
        0.0
    }
}

/// One `R x 4V` tile of C at `(i, j)`, kept in registers over the whole inner dimension.
#[inline(always)]
unsafe fn tile<L: Lanes, const R: usize, const V: usize>(
    p: &Ptrs,
    i: usize,
    j: usize,
    init: Init,
    finish: Finish,
) {
    let mut acc = [[L::zero(); V]; R];
    match init {
        Init::Zero => {}
        Init::Accumulate => {
            for (r, row) in acc.iter_mut().enumerate() {
                for (v, x) in row.iter_mut().enumerate() {
                    *x = L::load(p.c.add((i + r) * p.ldc + j + 4 * v));
                }
            }
        }
        Init::Row(b) => {
            for row in acc.iter_mut() {
                for (v, x) in row.iter_mut().enumerate() {
                    *x = L::load(b.as_ptr().add(j + 4 * v));
                }
            }
        }
    }
    let mut a = p.a.add(i * p.ars);
    let mut b = p.b.add(j);
    for _ in 0..p.k {
        let mut bv = [L::zero(); V];
        for (v, x) in bv.iter_mut().enumerate() {
            *x = L::load(b.add(4 * v));
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let av = L::splat(*a.add(r * p.ars));
            for (x, &bx) in row.iter_mut().zip(&bv) {
                *x = x.mul_add(av, bx);
            }
        }
        a = a.add(p.acs);
        b = b.add(p.ldb);
    }
    for (r, row) in acc.iter().enumerate() {
        for (v, &x) in row.iter().enumerate() {
            let at = (i + r) * p.ldc + j + 4 * v;
            let x = match finish {
                Finish::None => x,
                Finish::Relu => x.keep_positive(x),
                Finish::KeepWherePositive(mask) => x.keep_positive(L::load(mask.as_ptr().add(at))),
            };
            x.store(p.c.add(at));
        }
    }
}

/// `a` as a [`Mat`]. ndarray views of our matrices have non-negative strides.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn mat<'a>(a: &ArrayView2<'a, f32>) -> Mat<'a> {
    let (rows, cols) = a.dim();
    let [rs, cs] = [a.strides()[0], a.strides()[1]].map(|s| s.max(0) as usize);
    let len = if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * rs + (cols - 1) * cs + 1
    };
    // SAFETY: the view's elements all lie in `len` values from its first element.
    let data = unsafe { std::slice::from_raw_parts(a.as_ptr(), len) };
    Mat {
        data,
        rows,
        cols,
        rs,
        cs,
    }
}

/// `c = init + a · b` then `finish` on ndarray views (c with contiguous rows; `finish`'s
/// mask, if any, laid out like c). Natively:
/// `general_mat_mul` (then the finish); in WebAssembly with SIMD128: [`gemm`], copying `b`
/// into `scratch` first if its columns are not contiguous.
pub(crate) fn mat_mul(
    a: &ArrayView2<f32>,
    b: &ArrayView2<f32>,
    init: Init,
    finish: Finish,
    c: &mut ArrayViewMut2<f32>,
    scratch: &mut Vec<f32>,
) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let (m, n) = c.dim();
        assert!(
            c.strides()[1] == 1 || n <= 1,
            "C's columns must be contiguous"
        );
        let ldc = if m > 1 {
            c.strides()[0].max(0) as usize
        } else {
            n
        };
        let len = if m == 0 || n == 0 {
            0
        } else {
            (m - 1) * ldc + n
        };
        // SAFETY: C's elements all lie in `len` values from its first one, and the view
        // borrows them mutably.
        let c = unsafe { std::slice::from_raw_parts_mut(c.as_mut_ptr(), len) };
        let k = b.nrows();
        let a = mat(a);
        // The output layer (a few columns of a transposed weight), or a few rows (acting on
        // one observation): dot products, no copy of the weight.
        if (n < 16 || m < 4) && b.strides()[0] == 1 && a.cs == 1 {
            gemm_nt(a, mat(&b.t()), init, finish, c, ldc);
            return;
        }
        if b.strides()[1] == 1 || n == 1 {
            let mut b = mat(b);
            b.cs = 1;
            gemm(a, b, init, finish, c, ldc);
            return;
        }
        // Columns apart: copied into scratch as a row-major k x n matrix.
        let w = mat(&b.t());
        scratch.clear();
        scratch.resize(k * n, 0.0);
        for j in 0..n {
            for q in 0..k {
                scratch[q * n + j] = w.data[j * w.rs + q * w.cs];
            }
        }
        let b = Mat {
            data: scratch,
            rows: k,
            cols: n,
            rs: n,
            cs: 1,
        };
        gemm(a, b, init, finish, c, ldc);
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        let _ = scratch;
        let beta = match init {
            Init::Zero => 0.0,
            Init::Accumulate => 1.0,
            Init::Row(r) => {
                for mut row in c.rows_mut() {
                    row.assign(&ndarray::aview1(&r[..row.len()]));
                }
                1.0
            }
        };
        ndarray::linalg::general_mat_mul(1.0, a, b, beta, c);
        let ncols = c.ncols();
        match finish {
            Finish::None => {}
            Finish::Relu => c
                .iter_mut()
                .for_each(|v| *v = if *v > 0.0 { *v } else { 0.0 }),
            Finish::KeepWherePositive(mask) => {
                for (i, mut row) in c.rows_mut().into_iter().enumerate() {
                    for (j, v) in row.iter_mut().enumerate() {
                        *v = if mask[i * ncols + j] > 0.0 { *v } else { 0.0 };
                    }
                }
            }
        }
    }
}

/// The largest absolute difference between [`gemm`] (the build's lanes) and a plain triple
/// loop in f64, over products of odd shapes (every tile edge) with every operand layout the
/// Q-networks use. For the tests, native and in the browser.
pub fn kernel_max_error() -> f64 {
    let mut worst: f64 = 0.0;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    };
    for &(m, k, n) in &[
        (1, 1, 1),
        (3, 5, 7),
        (4, 64, 8),
        (5, 13, 64),
        (50, 64, 64),
        (7, 1, 13),
        (9, 17, 12),
        (63, 50, 10),
        (2, 3, 1),
        (101, 33, 65),
    ] {
        for variant in 0..3 {
            let a_transposed = variant == 1;
            for init_kind in 0..3 {
                for finish_kind in 0..3 {
                    let a: Vec<f32> = (0..m * k).map(|_| next()).collect();
                    let b: Vec<f32> = (0..k * n).map(|_| next()).collect();
                    let c0: Vec<f32> = (0..m * n).map(|_| next()).collect();
                    let row: Vec<f32> = (0..n).map(|_| next()).collect();
                    let mask: Vec<f32> = (0..m * n).map(|_| next()).collect();
                    // A stored as m x k, or as its transpose (k x m).
                    let (rs, cs) = if a_transposed { (1, m) } else { (k, 1) };
                    let a_at = |i: usize, q: usize| a[i * rs + q * cs];
                    let am = Mat {
                        data: &a,
                        rows: m,
                        cols: k,
                        rs,
                        cs,
                    };
                    let bm = Mat {
                        data: &b,
                        rows: k,
                        cols: n,
                        rs: n,
                        cs: 1,
                    };
                    let init = [Init::Zero, Init::Accumulate, Init::Row(&row)][init_kind];
                    let finish =
                        [Finish::None, Finish::Relu, Finish::KeepWherePositive(&mask)][finish_kind];
                    let mut c = c0.clone();
                    if variant == 2 {
                        // gemm_nt, with W = Bᵀ stored row-major (n x k).
                        let w: Vec<f32> = (0..n * k).map(|x| b[(x % k) * n + x / k]).collect();
                        let wm = Mat {
                            data: &w,
                            rows: n,
                            cols: k,
                            rs: k,
                            cs: 1,
                        };
                        gemm_nt(am, wm, init, finish, &mut c, n);
                    } else {
                        gemm(am, bm, init, finish, &mut c, n);
                    }
                    for i in 0..m {
                        for j in 0..n {
                            let mut e = match init_kind {
                                0 => 0.0,
                                1 => f64::from(c0[i * n + j]),
                                _ => f64::from(row[j]),
                            };
                            for q in 0..k {
                                e += f64::from(a_at(i, q)) * f64::from(b[q * n + j]);
                            }
                            let keep = match finish_kind {
                                0 => true,
                                1 => e > 0.0,
                                _ => mask[i * n + j] > 0.0,
                            };
                            // A ReLU on a value within rounding of 0 may go either way.
                            let e = if keep || (finish_kind == 1 && e.abs() < 1e-5) {
                                if keep {
                                    e
                                } else {
                                    f64::from(c[i * n + j])
                                }
                            } else {
                                0.0
                            };
                            worst = worst.max((f64::from(c[i * n + j]) - e).abs());
                        }
                    }
                }
            }
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel (natively on four-lane arrays, the same loops as the SIMD128 build) equals
    /// a plain product on odd shapes and every operand layout, init and finish.
    #[test]
    fn kernel_matches_plain_product() {
        let err = kernel_max_error();
        assert!(err < 1e-4, "max error {err}");
    }
}
