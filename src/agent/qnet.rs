//! The Q-networks: learned embedding tables for the categorical fields, then a 64-64 ReLU
//! MLP, in the two layouts of [`Architecture`]; the host-side encoding of observations into
//! network input rows; and the forward and backward passes, written out as matrix products.
//!
//! The products run on ndarray, whose matrixmultiply kernels use AVX/FMA natively and SIMD128
//! in WebAssembly. The agent used dfdx 0.13 before; dfdx multiplies through gemm 0.15, whose
//! WebAssembly kernel is scalar, and a browser profile put 73% of training time there. The
//! tests check both passes against dfdx's automatic differentiation on the same weights.
//!
//! The embeddings are folded into the first layer. The notebook's `fc1(cat(x, E[id]))` equals
//! `x · W_xᵀ + b + (E · W_eᵀ)[id]` (`W_x`, `W_e`: fc1's columns for the plain numbers and for
//! the embeddings): `E · W_eᵀ` is computed once per batch (a few dozen rows of 64), and each
//! input row adds the rows of its ids. Same parameters, same function, same gradients as
//! looking up and concatenating; the test reference computes it the long way, as one-hot rows
//! times the stacked matrix `[W_xᵀ; E · W_eᵀ; b]`.

use ndarray::{s, Array2, ArrayView2, ArrayViewMut2, Axis};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};

use super::gemm::{mat_mul, Finish, Init};
use super::{
    Architecture, Observation, HIDDEN, MAX_CANDIDATES, NUM_CATEGORIES, NUM_GENDERS,
    NUM_LAST_ACTIONS, NUM_REGIONS,
};

/// One categorical input: its vocabulary size and the notebook's embedding width for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    vocab: usize,
    dim: usize,
}

/// The state's categorical fields in input order, with the notebook's `EMBEDDING_DIM_*`:
/// gender, region, interest 1, interest 2, last category, last action.
const STATE_FIELDS: [Field; 6] = [
    Field {
        vocab: NUM_GENDERS,
        dim: 1,
    },
    Field {
        vocab: NUM_REGIONS,
        dim: 2,
    },
    Field {
        vocab: NUM_CATEGORIES,
        dim: 4,
    },
    Field {
        vocab: NUM_CATEGORIES,
        dim: 4,
    },
    Field {
        vocab: NUM_CATEGORIES,
        dim: 4,
    },
    Field {
        vocab: NUM_LAST_ACTIONS,
        dim: 2,
    },
];
/// PairScorer adds the candidate's category (`EMBEDDING_DIM_VID_CATEGORY`) and the
/// (user region x candidate category) cell, the bandit's one-hot feature: the response
/// model's region affinities are effects of that cell, which the network otherwise has to
/// build from two separate embeddings.
const PAIR_FIELDS: [Field; 8] = [
    STATE_FIELDS[0],
    STATE_FIELDS[1],
    STATE_FIELDS[2],
    STATE_FIELDS[3],
    STATE_FIELDS[4],
    STATE_FIELDS[5],
    Field {
        vocab: NUM_CATEGORIES,
        dim: 4,
    },
    Field {
        vocab: NUM_REGIONS * NUM_CATEGORIES,
        dim: 4,
    },
];

const fn vocab_sum(fields: &[Field]) -> usize {
    let mut i = 0;
    let mut total = 0;
    while i < fields.len() {
        total += fields[i].vocab;
        i += 1;
    }
    total
}

const fn dim_sum(fields: &[Field]) -> usize {
    let mut i = 0;
    let mut total = 0;
    while i < fields.len() {
        total += fields[i].dim;
        i += 1;
    }
    total
}

const SLOT_VOCAB: usize = vocab_sum(&STATE_FIELDS);
/// The notebook's `total_embedding_dim` (17).
const SLOT_EMB: usize = dim_sum(&STATE_FIELDS);

/// PairScorer plain numbers: the numeric state, then the candidate's similarity, views,
/// interest and score.
const PAIR_DENSE: usize = 3 + 4;
/// PairScorer divides the candidate's similarity and business score by this, so that every
/// plain number it reads is of order 1 like the (scaled) numeric state: both are about 4 on
/// average and reach 20. Measured (skill at 500 episodes, 1,000 held-out sessions): 0.682 ->
/// 0.738 on seeds 1-10, 0.640 -> 0.683 on seeds 11-30.
pub(crate) const PAIR_SCORE_SCALE: f32 = 10.0;
const PAIR_VOCAB: usize = vocab_sum(&PAIR_FIELDS);
const PAIR_EMB: usize = dim_sum(&PAIR_FIELDS);

/// 1.0 where `fields`' block-diagonal table has a real entry, else 0.0 (row-major VOCAB x EMB).
fn block_mask(fields: &[Field]) -> Vec<f32> {
    let (vocab, emb) = (vocab_sum(fields), dim_sum(fields));
    let mut mask = vec![0.0; vocab * emb];
    let (mut row, mut col) = (0, 0);
    for f in fields {
        for r in row..row + f.vocab {
            mask[r * emb + col..r * emb + col + f.dim].fill(1.0);
        }
        row += f.vocab;
        col += f.dim;
    }
    mask
}

/// Host-side network input, one row per state (SlotHeads) or (state, candidate) pair
/// (PairScorer): the row's plain numbers, and for each categorical field the row of the
/// stacked embedding tables that holds its embedding. Built by [`Inputs::push_one`] /
/// [`Inputs::push_all`].
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    layout: Architecture,
    /// Candidate slots of the network (SlotHeads: score inputs and Q-values per row).
    slots: usize,
    include_scores: bool,
    rows: usize,
    /// `rows x dense` plain numbers.
    dense: Vec<f32>,
    /// `rows x fields` table rows: a field's id plus the vocabularies of the fields before it.
    ids: Vec<usize>,
}

/// Clamps an id into its vocabulary so malformed input can never index out of a table.
fn id(value: usize, vocab: usize) -> usize {
    value.min(vocab - 1)
}

impl Inputs {
    /// An empty batch for a network of `layout` over `slots` candidate slots.
    pub(crate) fn new(layout: Architecture, slots: usize, include_scores: bool) -> Self {
        Self {
            layout,
            slots,
            include_scores,
            rows: 0,
            dense: Vec::new(),
            ids: Vec::new(),
        }
    }

    /// Number of rows pushed so far.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Makes room for `rows` more rows (of at most `slots` candidate scores).
    pub(crate) fn reserve(&mut self, rows: usize) {
        self.dense.reserve(rows * (PAIR_DENSE.max(3 + self.slots)));
        self.ids.reserve(rows * PAIR_FIELDS.len());
    }

    /// Adds what is needed for Q(obs, slot); returns its position in the flat output.
    /// `slot` must be below `slots`, the number of usable slots of `obs` (at most the
    /// network's).
    pub(crate) fn push_one(&mut self, obs: &Observation, slot: usize, slots: usize) -> usize {
        match self.layout {
            Architecture::SlotHeads => self.push_state_row(obs, slots) * self.slots + slot,
            Architecture::PairScorer => self.push_pair_row(obs, slot),
        }
    }

    /// Adds what is needed for Q(obs, 0..slots); returns where those `slots` values start in
    /// the flat output (they are contiguous).
    pub(crate) fn push_all(&mut self, obs: &Observation, slots: usize) -> usize {
        match self.layout {
            Architecture::SlotHeads => self.push_state_row(obs, slots) * self.slots,
            Architecture::PairScorer => {
                let start = self.rows;
                for slot in 0..slots {
                    self.push_pair_row(obs, slot);
                }
                start
            }
        }
    }

    /// Appends the table rows of the state's six categorical fields.
    fn push_state_ids(&mut self, obs: &Observation) {
        let values = obs.state_ids();
        let mut offset = 0;
        for (field, value) in STATE_FIELDS.iter().zip(values) {
            self.ids.push(offset + id(value, field.vocab));
            offset += field.vocab;
        }
    }

    fn push_state_row(&mut self, obs: &Observation, slots: usize) -> usize {
        self.dense.extend_from_slice(&obs.numeric);
        // The notebook's get_state allocates these slots but never writes them (the bug that
        // `include_candidate_scores: false` reproduces); slots past `slots` stay zero too.
        for i in 0..self.slots {
            let score = match obs.candidates.get(i) {
                Some(c) if self.include_scores && i < slots => c.score,
                _ => 0.0,
            };
            self.dense.push(score);
        }
        self.push_state_ids(obs);
        self.rows += 1;
        self.rows - 1
    }

    fn push_pair_row(&mut self, obs: &Observation, slot: usize) -> usize {
        let c = &obs.candidates[slot];
        self.dense.extend_from_slice(&obs.numeric);
        let score = if self.include_scores { c.score } else { 0.0 };
        self.dense.extend_from_slice(&[
            c.similarity / PAIR_SCORE_SCALE,
            c.views,
            c.interest,
            score / PAIR_SCORE_SCALE,
        ]);
        self.push_state_ids(obs);
        self.ids.push(SLOT_VOCAB + id(c.category, NUM_CATEGORIES));
        let cell = id(obs.region, NUM_REGIONS) * NUM_CATEGORIES + id(c.category, NUM_CATEGORIES);
        self.ids.push(SLOT_VOCAB + NUM_CATEGORIES + cell);
        self.rows += 1;
        self.rows - 1
    }
}

/// The sizes of one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Dims {
    /// The categorical fields, in input order.
    fields: &'static [Field],
    /// Plain numbers per input row.
    dense: usize,
    /// Summed vocabulary of the fields: the rows of the stacked tables.
    vocab: usize,
    /// Summed embedding width: the tables' columns (fc1's fan-in is `dense + emb`).
    emb: usize,
    /// Q-values per input row.
    out: usize,
}

// The forward pass adds the embedding rows eight columns at a time.
const _: () = assert!(HIDDEN.is_multiple_of(8));

/// Number of parameter matrices (see [`Dims::shapes`]).
const PARTS: usize = 8;

impl Dims {
    /// The shapes of the parameter matrices, in storage order: embedding tables, fc1's
    /// weight on the plain numbers, fc1's weight on the embeddings, fc1's bias, fc2's weight
    /// and bias, fc3's weight and bias. Weights are `out x in` like PyTorch's; biases are
    /// one row.
    const fn shapes(&self) -> [(usize, usize); PARTS] {
        [
            (self.vocab, self.emb),
            (HIDDEN, self.dense),
            (HIDDEN, self.emb),
            (1, HIDDEN),
            (HIDDEN, HIDDEN),
            (1, HIDDEN),
            (self.out, HIDDEN),
            (1, self.out),
        ]
    }

    /// Number of parameters.
    fn len(&self) -> usize {
        self.shapes().iter().map(|(r, c)| r * c).sum()
    }

    /// The network of `layout` choosing among `slots` candidates.
    fn new(layout: Architecture, slots: usize) -> Dims {
        match layout {
            // State in, one Q-value per candidate slot out. Plain numbers: the numeric state,
            // then one business score per slot (the notebook's 13 for 10 slots).
            Architecture::SlotHeads => Dims {
                fields: &STATE_FIELDS,
                dense: 3 + slots,
                vocab: SLOT_VOCAB,
                emb: SLOT_EMB,
                out: slots,
            },
            // One shared network scores each (state, candidate) pair.
            Architecture::PairScorer => Dims {
                fields: &PAIR_FIELDS,
                dense: PAIR_DENSE,
                vocab: PAIR_VOCAB,
                emb: PAIR_EMB,
                out: 1,
            },
        }
    }
}

/// `values` cut into the matrices of [`Dims::shapes`].
fn views<'a>(d: &Dims, values: &'a [f32]) -> [ArrayView2<'a, f32>; PARTS] {
    let mut rest = values;
    d.shapes().map(|shape| {
        let (part, tail) = rest.split_at(shape.0 * shape.1);
        rest = tail;
        match ArrayView2::from_shape(shape, part) {
            Ok(v) => v,
            Err(_) => unreachable!("a slice of r*c values is an r x c matrix"),
        }
    })
}

/// [`views`], mutable.
fn views_mut<'a>(d: &Dims, values: &'a mut [f32]) -> [ArrayViewMut2<'a, f32>; PARTS] {
    let mut rest = values;
    d.shapes().map(|shape| {
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(shape.0 * shape.1);
        rest = tail;
        match ArrayViewMut2::from_shape(shape, part) {
            Ok(v) => v,
            Err(_) => unreachable!("a slice of r*c values is an r x c matrix"),
        }
    })
}

/// Each field's block of the stacked tables: its rows (vocabulary) and columns (embedding).
fn blocks(
    fields: &[Field],
) -> impl Iterator<Item = (std::ops::Range<usize>, std::ops::Range<usize>)> + '_ {
    fields.iter().scan((0, 0), |(row, col), f| {
        let block = (*row..*row + f.vocab, *col..*col + f.dim);
        (*row, *col) = (block.0.end, block.1.end);
        Some(block)
    })
}

/// Sets to 0 every entry of a (vocab x emb) table gradient outside the fields' diagonal
/// blocks (the backward pass never writes them; the test checks the mask).
#[cfg(test)]
fn zero_off_blocks(g: &mut ArrayViewMut2<f32>, fields: &[Field]) {
    for (rows, cols) in blocks(fields) {
        for mut r in g.slice_mut(s![rows, ..]).rows_mut() {
            r.slice_mut(s![..cols.start]).fill(0.0);
            r.slice_mut(s![cols.end..]).fill(0.0);
        }
    }
}

/// Standard-layout matrix data as a slice, for loops the compiler vectorises.
fn flat_mut(a: &mut Array2<f32>) -> &mut [f32] {
    match a.as_slice_mut() {
        Some(v) => v,
        None => unreachable!("activations are built in standard layout"),
    }
}

/// [`flat_mut`], read-only.
fn flat(a: &Array2<f32>) -> &[f32] {
    match a.as_slice() {
        Some(v) => v,
        None => unreachable!("activations are built in standard layout"),
    }
}

fn relu(a: &mut Array2<f32>) {
    for v in flat_mut(a) {
        // Not `f32::max`: its NaN rule keeps it from compiling to one SIMD instruction.
        *v = if *v > 0.0 { *v } else { 0.0 };
    }
}

/// Writes into each row of `out` (HIDDEN wide) `bias` plus the embedding rows `e` of its
/// `fields` table rows in `ids`. The state's fields come first in every layout and a
/// PairScorer batch holds each state's candidates one after the other: the state's part
/// (bias and first [`STATE_FIELDS`] rows) is summed once per run of rows that share it.
fn embedding_sums(out: &mut [f32], bias: &[f32], e: &[f32], ids: &[usize], fields: usize) {
    let shared = fields.min(STATE_FIELDS.len());
    let mut state = [0.0f32; HIDDEN];
    let mut last: Option<&[usize]> = None;
    for (row, ids) in out.chunks_exact_mut(HIDDEN).zip(ids.chunks_exact(fields)) {
        let (head, tail) = ids.split_at(shared);
        if last != Some(head) {
            state.copy_from_slice(&bias[..HIDDEN]);
            for &i in head {
                for (a, &v) in state.iter_mut().zip(&e[i * HIDDEN..(i + 1) * HIDDEN]) {
                    *a += v;
                }
            }
            last = Some(head);
        }
        row.copy_from_slice(&state);
        for &i in tail {
            for (a, &v) in row.iter_mut().zip(&e[i * HIDDEN..(i + 1) * HIDDEN]) {
                *a += v;
            }
        }
    }
}

/// A bias (a one-row matrix) as a slice.
fn row<'a>(b: &ArrayView2<'a, f32>) -> &'a [f32] {
    match b.to_slice() {
        Some(v) => v,
        None => unreachable!("parameters are contiguous"),
    }
}

/// A Q-network's parameters, all in one vector (laid out by [`Dims::shapes`]), so that
/// Adam, the target-network copy and Polyak averaging are loops over one slice.
#[derive(Debug, Clone)]
pub(crate) struct QNet {
    layout: Architecture,
    slots: usize,
    dims: Dims,
    params: Vec<f32>,
}

/// What a training forward pass keeps for the backward pass.
#[derive(Debug)]
pub(crate) struct Pass {
    /// The plain numbers and table rows of the input.
    x: Array2<f32>,
    ids: Vec<usize>,
    /// Activations after fc1 and after fc2 (ReLU applied; `a > 0` exactly where the
    /// pre-activation was, so they also give ReLU's derivative).
    a1: Array2<f32>,
    a2: Array2<f32>,
    q: Array2<f32>,
}

impl Pass {
    /// The Q-values, flattened so that the positions handed out by [`Inputs::push_one`] /
    /// [`Inputs::push_all`] index them.
    pub(crate) fn q(&self) -> &[f32] {
        flat(&self.q)
    }
}

impl QNet {
    /// A freshly initialised network with PyTorch's defaults: dense layers
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, embedding tables N(0, 1).
    /// `slots`: the number of candidate slots (SlotHeads' outputs), in `1..=MAX_CANDIDATES`.
    pub(crate) fn init<R: Rng>(layout: Architecture, slots: usize, rng: &mut R) -> Self {
        debug_assert!((1..=MAX_CANDIDATES).contains(&slots));
        let d = Dims::new(layout, slots);
        let mask = block_mask(d.fields);
        let uniform = |fan_in: usize| {
            let b = 1.0 / (fan_in as f32).sqrt();
            Uniform::new(-b, b)
        };
        let fc1 = uniform(d.dense + d.emb);
        let hidden = uniform(HIDDEN);
        let mut params = Vec::with_capacity(d.len());
        params.extend(mask.iter().map(|m| {
            let z: f32 = StandardNormal.sample(&mut *rng);
            m * z
        }));
        for (i, (r, c)) in d.shapes().into_iter().enumerate().skip(1) {
            let distr = if i <= 3 { fc1 } else { hidden };
            params.extend(distr.sample_iter(&mut *rng).take(r * c));
        }
        Self {
            layout,
            slots,
            dims: d,
            params,
        }
    }

    /// Which layout this network has.
    pub(crate) fn layout(&self) -> Architecture {
        self.layout
    }

    /// An empty input batch for this network.
    pub(crate) fn inputs(&self, include_scores: bool) -> Inputs {
        Inputs::new(self.layout, self.slots, include_scores)
    }

    /// Every parameter, in [`Dims::shapes`] order.
    pub(crate) fn params(&self) -> &[f32] {
        &self.params
    }

    /// Every parameter, mutable (for the optimiser and the target network).
    pub(crate) fn params_mut(&mut self) -> &mut [f32] {
        &mut self.params
    }

    /// The sum of all parameters, in f64 (a cheap fingerprint of the weights).
    pub(crate) fn param_sum(&self) -> f64 {
        self.params.iter().map(|&v| f64::from(v)).sum()
    }

    /// fc1's contribution of every vocabulary entry: `tables · W_embedᵀ` (vocab x HIDDEN).
    /// A row's fc1 output is `x · W_denseᵀ + b1` plus the entries of its ids.
    fn embedded_rows(&self, scratch: &mut Vec<f32>) -> Array2<f32> {
        let d = &self.dims;
        let [tables, _, w_embed, ..] = views(d, &self.params);
        let mut e = Array2::zeros((d.vocab, HIDDEN));
        // One field at a time: the tables are block-diagonal, so a vocabulary entry's row
        // only meets its field's columns of W_embed (the rest of the product adds zeros).
        for (rows, cols) in blocks(d.fields) {
            mat_mul(
                &tables.slice(s![rows.clone(), cols.clone()]),
                &w_embed.slice(s![.., cols]).t(),
                Init::Zero,
                Finish::None,
                &mut e.slice_mut(s![rows, ..]),
                scratch,
            );
        }
        e
    }

    /// Runs the network on `inp`, keeping what [`QNet::backward`] needs.
    pub(crate) fn forward(&self, inp: Inputs) -> Pass {
        let d = &self.dims;
        debug_assert_eq!((inp.layout, inp.slots), (self.layout, self.slots));
        let n = inp.rows;
        let x = match Array2::from_shape_vec((n, d.dense), inp.dense) {
            Ok(x) => x,
            Err(_) => unreachable!("Inputs pushes whole rows of the layout's width"),
        };
        let [_, w_dense, _, b1, w2, b2, w3, b3] = views(d, &self.params);
        let mut scratch = Vec::new();
        let mut a1 = Array2::zeros((n, HIDDEN));
        let e = self.embedded_rows(&mut scratch);
        let e = flat(&e);
        let fields = d.fields.len();
        if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
            // The bias and embeddings first, then the plain numbers' product adds to them and
            // applies the ReLU on the way out (one pass over a1 instead of three).
            embedding_sums(flat_mut(&mut a1), row(&b1), e, &inp.ids, fields);
            mat_mul(
                &x.view(),
                &w_dense.t(),
                Init::Accumulate,
                Finish::Relu,
                &mut a1.view_mut(),
                &mut scratch,
            );
        } else {
            // Natively in the order the results were always computed in.
            mat_mul(
                &x.view(),
                &w_dense.t(),
                Init::Row(row(&b1)),
                Finish::None,
                &mut a1.view_mut(),
                &mut scratch,
            );
            for (row, ids) in flat_mut(&mut a1)
                .chunks_exact_mut(HIDDEN)
                .zip(inp.ids.chunks_exact(fields))
            {
                // Eight columns at a time through every field, kept in registers (the same
                // additions in the same order as field after field over the whole row).
                for (c, chunk) in row.chunks_exact_mut(8).enumerate() {
                    let mut acc: [f32; 8] = std::array::from_fn(|l| chunk[l]);
                    for &i in ids {
                        let ev = &e[i * HIDDEN + 8 * c..i * HIDDEN + 8 * c + 8];
                        for (a, &v) in acc.iter_mut().zip(ev) {
                            *a += v;
                        }
                    }
                    chunk.copy_from_slice(&acc);
                }
            }
            relu(&mut a1);
        }
        let mut a2 = Array2::zeros((n, HIDDEN));
        mat_mul(
            &a1.view(),
            &w2.t(),
            Init::Row(row(&b2)),
            Finish::Relu,
            &mut a2.view_mut(),
            &mut scratch,
        );
        let mut q = Array2::zeros((n, d.out));
        mat_mul(
            &a2.view(),
            &w3.t(),
            Init::Row(row(&b3)),
            Finish::None,
            &mut q.view_mut(),
            &mut scratch,
        );
        Pass {
            x,
            ids: inp.ids,
            a1,
            a2,
            q,
        }
    }

    /// The Q-values of `inp`, flattened (see [`Pass::q`]).
    pub(crate) fn q_values(&self, inp: Inputs) -> Vec<f32> {
        self.forward(inp).q.into_raw_vec()
    }

    /// Backpropagates `dq`, the loss gradient with respect to `pass`'s flat Q-values, and
    /// writes the gradient of every parameter into `grads` (resized to the parameter count).
    pub(crate) fn backward(&self, pass: &Pass, dq: &[f32], grads: &mut Vec<f32>) {
        let d = &self.dims;
        let n = pass.x.nrows();
        let dq = match ArrayView2::from_shape((n, d.out), dq) {
            Ok(dq) => dq,
            Err(_) => unreachable!("one gradient per Q-value"),
        };
        grads.clear();
        grads.resize(self.params.len(), 0.0);
        let [tables, _, w_embed, _, w2, _, w3, _] = views(d, &self.params);
        let [mut g_tables, mut g_w_dense, mut g_w_embed, mut g_b1, mut g_w2, mut g_b2, mut g_w3, mut g_b3] =
            views_mut(d, grads);

        let mut scratch = Vec::new();
        let (zero, none) = (Init::Zero, Finish::None);

        // fc3: q = a2 · W3ᵀ + b3.
        mat_mul(
            &dq.t(),
            &pass.a2.view(),
            zero,
            none,
            &mut g_w3,
            &mut scratch,
        );
        g_b3.row_mut(0).assign(&dq.sum_axis(Axis(0)));
        // ReLU's derivative: a2 > 0 exactly where its pre-activation was.
        let mut d2 = Array2::zeros((n, HIDDEN));
        let keep = Finish::KeepWherePositive(flat(&pass.a2));
        mat_mul(&dq, &w3, zero, keep, &mut d2.view_mut(), &mut scratch);

        // fc2: a2 = relu(a1 · W2ᵀ + b2).
        mat_mul(
            &d2.t(),
            &pass.a1.view(),
            zero,
            none,
            &mut g_w2,
            &mut scratch,
        );
        g_b2.row_mut(0).assign(&d2.sum_axis(Axis(0)));
        let mut d1 = Array2::zeros((n, HIDDEN));
        let keep = Finish::KeepWherePositive(flat(&pass.a1));
        mat_mul(
            &d2.view(),
            &w2,
            zero,
            keep,
            &mut d1.view_mut(),
            &mut scratch,
        );

        // fc1: a1 = relu(x · W_denseᵀ + b1 + Σ_fields E[id]), E = tables · W_embedᵀ.
        mat_mul(
            &d1.t(),
            &pass.x.view(),
            zero,
            none,
            &mut g_w_dense,
            &mut scratch,
        );
        g_b1.row_mut(0).assign(&d1.sum_axis(Axis(0)));
        // dE: each row's gradient lands on the entries it looked up.
        let mut g_e = Array2::<f32>::zeros((d.vocab, HIDDEN));
        let g_e_flat = flat_mut(&mut g_e);
        let fields = d.fields.len();
        for (g_row, ids) in flat(&d1)
            .chunks_exact(HIDDEN)
            .zip(pass.ids.chunks_exact(fields))
        {
            for &i in ids {
                for (acc, &g) in g_e_flat[i * HIDDEN..(i + 1) * HIDDEN].iter_mut().zip(g_row) {
                    *acc += g;
                }
            }
        }
        // Field by field, like the forward pass: the tables' off-block entries are not
        // parameters (their gradient stays 0, so they never move), and they are zero, so
        // they add nothing to W_embed's gradient.
        for (rows, cols) in blocks(d.fields) {
            mat_mul(
                &g_e.slice(s![rows.clone(), ..]),
                &w_embed.slice(s![.., cols.clone()]),
                zero,
                none,
                &mut g_tables.slice_mut(s![rows.clone(), cols.clone()]),
                &mut scratch,
            );
            mat_mul(
                &g_e.slice(s![rows.clone(), ..]).t(),
                &tables.slice(s![rows, cols.clone()]),
                zero,
                none,
                &mut g_w_embed.slice_mut(s![.., cols]),
                &mut scratch,
            );
        }
    }
}

/// What the state inspector and the agent file need: the input rows as encoded, the vector
/// fc1 receives, and the parameter count of a layout.
impl Inputs {
    /// Row `r`'s plain numbers and the stacked-table rows of its categorical fields.
    pub(crate) fn row(&self, r: usize) -> (&[f32], &[usize]) {
        let dense = self.dense.len() / self.rows.max(1);
        let fields = self.ids.len() / self.rows.max(1);
        (
            &self.dense[r * dense..(r + 1) * dense],
            &self.ids[r * fields..(r + 1) * fields],
        )
    }
}

impl QNet {
    /// The width of the vector fc1 receives: its weights' columns on the plain numbers plus
    /// on the embeddings (the notebook's `NUM_NUMERICAL_FEATURES + total_embedding_dim`).
    pub(crate) fn fan_in(&self) -> usize {
        let shapes = self.dims.shapes();
        shapes[1].1 + shapes[2].1
    }

    /// Embedding width of each categorical field, in input order.
    pub(crate) fn embedding_widths(&self) -> Vec<usize> {
        self.dims.fields.iter().map(|f| f.dim).collect()
    }

    /// The vector fc1 receives for row `r` of `inp`: the plain numbers, then each field's
    /// embedding (the notebook's `cat(x, E[id])`), [`QNet::fan_in`] values.
    pub(crate) fn first_layer_input(&self, inp: &Inputs, r: usize) -> Vec<f32> {
        let d = &self.dims;
        let [tables, ..] = views(d, &self.params);
        let (dense, ids) = inp.row(r);
        let mut out = dense.to_vec();
        let mut col = 0;
        for (f, &row) in d.fields.iter().zip(ids) {
            out.extend(tables.row(row).iter().skip(col).take(f.dim));
            col += f.dim;
        }
        out
    }

    /// Number of parameters of a network of `layout` over `slots` candidate slots.
    pub(crate) fn param_count(layout: Architecture, slots: usize) -> usize {
        Dims::new(layout, slots).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{random_observation, CandidateFeatures};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn rng(seed: u64) -> Xoshiro256PlusPlus {
        Xoshiro256PlusPlus::seed_from_u64(seed)
    }

    fn obs(n: usize) -> Observation {
        Observation {
            numeric: [0.5, 0.1, 0.2],
            gender: 1,
            region: 2,
            interest1: 3,
            interest2: 7,
            last_category: 4,
            last_action: 3,
            candidates: (0..n)
                .map(|i| CandidateFeatures {
                    category: i % NUM_CATEGORIES,
                    similarity: 0.1 * i as f32,
                    views: 0.3,
                    interest: (i % 2) as f32,
                    score: 1.0 + i as f32,
                })
                .collect(),
        }
    }

    #[test]
    fn widths_match_the_notebook() {
        assert_eq!(SLOT_EMB, 17); // the notebook's total_embedding_dim
        let slot = Dims::new(Architecture::SlotHeads, 10);
        // fc1 fan-in: NUM_NUMERICAL_FEATURES = 13 (3 numbers + 10 slots), plus 17.
        assert_eq!(slot.dense + slot.emb, 30);
        assert_eq!(slot.out, 10); // action_size
        assert_eq!(SLOT_VOCAB, 33);
        // 33*17 + 64*13 + 64*17 + 64 + 64*64 + 64 + 10*64 + 10
        assert_eq!(slot.len(), 561 + 832 + 1088 + 64 + 4096 + 64 + 640 + 10);
        let pair = Dims::new(Architecture::PairScorer, 10);
        assert_eq!(pair, Dims::new(Architecture::PairScorer, 20));
        // The notebook's 17 + the candidate's category (4) and (region x category) cell (4).
        assert_eq!(pair.dense + pair.emb, 32);
        assert_eq!(pair.vocab, 33 + 8 + 24);
    }

    #[test]
    fn tables_are_block_diagonal() {
        let mask = block_mask(&STATE_FIELDS);
        // 2*1 + 3*2 + 3*8*4 + 4*2 = 112 real entries, like the six nn.Embedding tables.
        assert_eq!(mask.iter().filter(|&&m| m == 1.0).count(), 112);
        // Gender rows (0, 1) own column 0 only; region rows (2..5) own columns 1..3.
        assert_eq!(&mask[..SLOT_EMB][..3], &[1.0, 0.0, 0.0]);
        assert_eq!(&mask[2 * SLOT_EMB..2 * SLOT_EMB + 4], &[0.0, 1.0, 1.0, 0.0]);
        let net = QNet::init(Architecture::SlotHeads, 10, &mut rng(0));
        let [tables, ..] = views(&net.dims, net.params());
        assert!(tables
            .iter()
            .zip(&mask)
            .all(|(&t, &m)| (m == 0.0) == (t == 0.0)));
        // The gradient mask keeps exactly the same entries.
        let mut g = Array2::from_elem((SLOT_VOCAB, SLOT_EMB), 1.0f32);
        zero_off_blocks(&mut g.view_mut(), &STATE_FIELDS);
        assert_eq!(g.into_raw_vec(), mask);
    }

    /// The folded first layer must equal the notebook's `fc1(cat(x, E[id]))`, computed here
    /// by hand from the same weights.
    #[test]
    fn folded_fc1_equals_lookup_then_concat() {
        let net = QNet::init(Architecture::SlotHeads, 10, &mut rng(4));
        let o = obs(5);
        let mut inp = net.inputs(true);
        inp.push_all(&o, 5);
        let row = inp.dense.clone();
        let h = net.forward(inp).a1;

        let [tables, w_dense, w_embed, bias, ..] = views(&net.dims, net.params());
        let ids = o.state_ids();
        let mut embedded: Vec<f32> = Vec::new();
        let (mut row0, mut col0) = (0, 0);
        for (f, id) in STATE_FIELDS.iter().zip(ids) {
            embedded.extend(
                tables
                    .slice(s![row0 + id, col0..col0 + f.dim])
                    .iter()
                    .copied(),
            );
            row0 += f.vocab;
            col0 += f.dim;
        }
        assert_eq!(embedded.len(), SLOT_EMB);
        let mut active = 0;
        for j in 0..HIDDEN {
            let mut expected = bias[[0, j]];
            for k in 0..net.dims.dense {
                expected += w_dense[[j, k]] * row[k];
            }
            for (k, e) in embedded.iter().enumerate() {
                expected += w_embed[[j, k]] * e;
            }
            // The pass keeps fc1's output after the ReLU.
            let expected = expected.max(0.0);
            active += usize::from(expected > 0.0);
            assert!(
                (h[[0, j]] - expected).abs() < 1e-4,
                "unit {j}: {} vs {expected}",
                h[[0, j]]
            );
        }
        assert!(active > 0 && active < HIDDEN, "{active} units active");
    }

    /// The WebAssembly build's first-layer sums (state part once per run of rows) equal the
    /// bias plus every row's embeddings added one by one.
    #[test]
    fn embedding_sums_equal_the_plain_sums() {
        for layout in [Architecture::SlotHeads, Architecture::PairScorer] {
            let net = QNet::init(layout, 10, &mut rng(8));
            let mut r = rng(9);
            let mut inp = net.inputs(true);
            for n in [10, 3, 10, 7, 1, 10] {
                let o = random_observation(&mut r, n);
                inp.push_all(&o, n);
                inp.push_all(&o, n); // the same state again: its part is reused
            }
            let e = net.embedded_rows(&mut Vec::new());
            let [_, _, _, b1, ..] = views(&net.dims, &net.params);
            let fields = net.dims.fields.len();
            let mut got = vec![0.0; inp.rows() * HIDDEN];
            embedding_sums(&mut got, row(&b1), flat(&e), &inp.ids, fields);
            for (r, ids) in inp.ids.chunks_exact(fields).enumerate() {
                for h in 0..HIDDEN {
                    let want = ids.iter().map(|&i| e[[i, h]]).sum::<f32>() + b1[[0, h]];
                    let g = got[r * HIDDEN + h];
                    assert!(
                        (g - want).abs() < 1e-5,
                        "{layout:?} row {r} unit {h}: {g} vs {want}"
                    );
                }
            }
        }
    }

    /// Q-values of `obs`'s first `n` slots, all in one batch and one slot at a time.
    fn all_and_one_by_one(net: &QNet, o: &Observation, n: usize) {
        let mut all = net.inputs(true);
        all.push_one(&obs(1), 0, 1); // an unrelated row first, so positions are not trivial
        let start = all.push_all(o, n);
        let q_all = net.q_values(all);
        for slot in 0..n {
            let mut one = net.inputs(true);
            let pos = one.push_one(o, slot, n);
            let q = net.q_values(one)[pos];
            assert!(
                (q - q_all[start + slot]).abs() < 1e-5,
                "{:?} slot {slot}",
                net.layout()
            );
        }
    }

    #[test]
    fn flat_positions_index_the_right_values() {
        for layout in [Architecture::SlotHeads, Architecture::PairScorer] {
            all_and_one_by_one(&QNet::init(layout, 8, &mut rng(1)), &obs(6), 6);
        }
    }

    #[test]
    fn scores_reach_the_network_only_when_included() {
        let net = QNet::init(Architecture::SlotHeads, 10, &mut rng(2));
        let q = |include: bool, score: f32| {
            let mut o = obs(3);
            o.candidates[1].score = score;
            let mut inp = net.inputs(include);
            inp.push_all(&o, 3);
            net.q_values(inp)
        };
        assert_eq!(q(false, 1.0), q(false, 9.0));
        assert_ne!(q(true, 1.0), q(true, 9.0));
    }

    #[test]
    fn gradients_reach_the_used_table_rows_only() {
        let net = QNet::init(Architecture::PairScorer, 10, &mut rng(3));
        let mut inp = net.inputs(true);
        inp.push_all(&obs(3), 3);
        let pass = net.forward(inp);
        let mut grads = Vec::new();
        net.backward(&pass, &vec![1.0; pass.q().len()], &mut grads);
        let [g, _, g_w_embed, ..] = views(&net.dims, &grads);
        let mask = block_mask(&PAIR_FIELDS);
        // Gender is 1: row 1 has a gradient in its own column, row 0 (unused) has none.
        assert!(g[[1, 0]] != 0.0 && g[[0, 0]] == 0.0);
        // No off-block entry ever gets a gradient.
        assert!(g.iter().zip(&mask).all(|(&g, &m)| m == 1.0 || g == 0.0));
        // Candidate categories 0, 1, 2 were used: their rows of the category table move.
        let cat_row0 = vocab_sum(&STATE_FIELDS);
        let cat_col0 = dim_sum(&STATE_FIELDS);
        for c in 0..NUM_CATEGORIES {
            let v = g[[cat_row0 + c, cat_col0]];
            assert_eq!(v != 0.0, c < 3, "category {c}");
        }
        assert!(g_w_embed.iter().any(|&v| v != 0.0));
    }

    /// The same network built from dfdx operations on the same parameters: its Q-values, and
    /// dfdx's gradient of `sum(q * dq)` for every parameter, flattened in our layout.
    fn dfdx_reference(net: &QNet, inp: &Inputs, dq: &[f32]) -> (Vec<f32>, Vec<f32>) {
        use dfdx::shapes::{Axes2, Axis};
        use dfdx::tensor::{Cpu, Tensor, TensorFromVec, Trace};
        use dfdx::tensor_ops::{
            Backward, BroadcastTo, PermuteTo, ReshapeTo, SumTo, TryConcatAlong, TryMatMul,
        };

        type M = Tensor<(usize, usize), f32, Cpu>;
        let d = &net.dims;
        let dev = Cpu::default();
        let leaves: Vec<M> = views(d, net.params())
            .iter()
            .map(|v| dev.tensor_from_vec(v.iter().copied().collect(), v.dim()))
            .collect();
        let [tables, w_dense, w_embed, b1, w2, b2, w3, b3]: [M; PARTS] =
            leaves.clone().try_into().unwrap();
        let mask: M = dev.tensor_from_vec(block_mask(d.fields), (d.vocab, d.emb));
        let n = inp.rows();
        // One-hot rows `[plain numbers | one-hot ids | 1]`.
        let width = d.dense + d.vocab + 1;
        let mut rows = vec![0.0; n * width];
        for (r, row) in rows.chunks_exact_mut(width).enumerate() {
            row[..d.dense].copy_from_slice(&inp.dense[r * d.dense..(r + 1) * d.dense]);
            for &i in &inp.ids[r * d.fields.len()..(r + 1) * d.fields.len()] {
                row[d.dense + i] = 1.0;
            }
            row[width - 1] = 1.0;
        }
        let x: M = dev.tensor_from_vec(rows, (n, width));

        // fc1(cat(x, E[id])) through the stacked weight.
        let embedded =
            (tables.leaky_trace() * mask).matmul(w_embed.leaky_trace().permute::<_, Axes2<1, 0>>());
        let w =
            (w_dense.leaky_trace().permute::<_, Axes2<1, 0>>(), embedded).concat_along(Axis::<0>);
        let w = (w, b1.leaky_trace()).concat_along(Axis::<0>);
        // x carries a tape too (its gradient is not used): dfdx puts the tape on the left.
        let a1 = x.leaky_trace().matmul(w).relu();
        let bias = |b: &M, cols: usize| {
            b.leaky_trace()
                .reshape_like(&(cols,))
                .broadcast_like::<_, Axis<0>>(&(n, cols))
        };
        let a2 =
            (a1.matmul(w2.leaky_trace().permute::<_, Axes2<1, 0>>()) + bias(&b2, HIDDEN)).relu();
        let q = a2.matmul(w3.leaky_trace().permute::<_, Axes2<1, 0>>()) + bias(&b3, d.out);
        let q_host = q.as_vec();
        let dq: M = dev.tensor_from_vec(dq.to_vec(), (n, d.out));
        let grads = (q * dq).sum::<(), _>().backward();
        let flat = [tables, w_dense, w_embed, b1, w2, b2, w3, b3]
            .iter()
            .flat_map(|t| grads.get(t).as_vec())
            .collect();
        (q_host, flat)
    }

    fn close(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                "{what}[{i}]: {x} vs dfdx {y}"
            );
        }
    }

    /// Forward and backward passes agree with dfdx's autodiff on the same weights, for both
    /// layouts, on random observations and a random loss gradient.
    #[test]
    fn forward_and_backward_match_dfdx() {
        for layout in [Architecture::SlotHeads, Architecture::PairScorer] {
            let mut r = rng(7);
            let net = QNet::init(layout, 10, &mut r);
            let mut inp = net.inputs(true);
            for n in [10, 3, 10, 7, 1, 10] {
                inp.push_all(&random_observation(&mut r, n), n);
            }
            let out = net.dims.out;
            let dq: Vec<f32> = (0..inp.rows() * out)
                .map(|_| r.gen_range(-1.0..1.0))
                .collect();
            let (q_ref, g_ref) = dfdx_reference(&net, &inp, &dq);
            let pass = net.forward(inp);
            close(pass.q(), &q_ref, &format!("{layout:?} q"));
            let mut grads = Vec::new();
            net.backward(&pass, &dq, &mut grads);
            assert!(grads.iter().filter(|&&g| g != 0.0).count() > grads.len() / 2);
            close(&grads, &g_ref, &format!("{layout:?} gradient"));
        }
    }

    /// The vector `first_layer_input` reports is the one the forward pass multiplies:
    /// relu(W1 · v + b1) equals the pass's first activation, for both layouts.
    #[test]
    fn first_layer_input_is_what_fc1_receives() {
        for layout in [Architecture::SlotHeads, Architecture::PairScorer] {
            let net = QNet::init(layout, 6, &mut rng(4));
            let o = random_observation(&mut rng(5), 6);
            let mut inp = net.inputs(true);
            inp.push_all(&o, 6);
            let rows: Vec<Vec<f32>> = (0..inp.rows())
                .map(|r| net.first_layer_input(&inp, r))
                .collect();
            let pass = net.forward(inp);
            let d = &net.dims;
            let [_, w_dense, w_embed, b1, ..] = views(d, &net.params);
            for (r, v) in rows.iter().enumerate() {
                assert_eq!(v.len(), net.fan_in());
                assert_eq!(net.fan_in(), d.dense + d.emb);
                for h in 0..HIDDEN {
                    let mut z = b1[[0, h]];
                    for (i, x) in v.iter().enumerate() {
                        let w = if i < d.dense {
                            w_dense[[h, i]]
                        } else {
                            w_embed[[h, i - d.dense]]
                        };
                        z += w * x;
                    }
                    let a = pass.a1[[r, h]];
                    assert!((z.max(0.0) - a).abs() < 1e-4, "{layout:?} row {r} unit {h}");
                }
            }
        }
    }
}
