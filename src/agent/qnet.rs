//! The Q-networks (dfdx): learned embedding tables for the categorical fields, then a 64-64
//! ReLU MLP, in the two layouts of [`Architecture`]; plus the host-side encoding of
//! observations into network input rows.
//!
//! The embeddings are folded into the first layer. A table lookup is a one-hot row times the
//! table, so the notebook's `fc1(cat(x, E[id]))` equals `[x | onehot(id) | 1] · [W_x; E·W_e; b]`
//! (`W_x`, `W_e`: fc1's columns for the plain numbers and for the embeddings). Same
//! parameters, same function, same gradients, but per batch row it costs one matmul instead
//! of six lookups and six concatenations, which made dfdx's per-op overhead dominate.

use dfdx::nn::modules::{Linear, Module, ReLU};
use dfdx::nn::{
    BuildModule, ModuleVisitor, RecursiveWalker, TensorCollection, TensorOptions, TensorVisitor,
    ViewTensorRef,
};
use dfdx::shapes::{Axis, Const, Dtype, Rank1, Rank2, Shape};
use dfdx::tensor::{
    Cpu, CpuError, Gradients, NoneTape, OwnedTape, PutTape, SampleTensor, SplitTape, Storage, Tape,
    Tensor, TensorFromVec, Trace, ZerosTensor,
};
use dfdx::tensor_ops::{Device, PermuteTo, RealizeTo, ReshapeTo, TryConcatAlong, TryMatMul};
use rand::distributions::uniform::SampleUniform;
use rand::distributions::Uniform;
use rand_distr::num_traits::Float;

use super::{
    Architecture, Observation, HIDDEN, MAX_CANDIDATES, NUM_CATEGORIES, NUM_GENDERS,
    NUM_LAST_ACTIONS, NUM_REGIONS,
};

/// One categorical input: its vocabulary size and the notebook's embedding width for it.
#[derive(Debug, Clone, Copy)]
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
/// PairScorer adds the candidate's category (`EMBEDDING_DIM_VID_CATEGORY`).
const PAIR_FIELDS: [Field; 7] = [
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

/// SlotHeads plain numbers: the numeric state, then one business score per slot.
const SLOT_DENSE: usize = 3 + MAX_CANDIDATES;
const SLOT_VOCAB: usize = vocab_sum(&STATE_FIELDS);
/// The notebook's `total_embedding_dim` (17).
const SLOT_EMB: usize = dim_sum(&STATE_FIELDS);
/// Width of a SlotHeads input row: plain numbers, one-hot ids, constant 1.
const SLOT_ROW: usize = SLOT_DENSE + SLOT_VOCAB + 1;

/// PairScorer plain numbers: the numeric state, then the candidate's similarity, views,
/// interest and score.
const PAIR_DENSE: usize = 3 + 4;
const PAIR_VOCAB: usize = vocab_sum(&PAIR_FIELDS);
const PAIR_EMB: usize = dim_sum(&PAIR_FIELDS);
const PAIR_ROW: usize = PAIR_DENSE + PAIR_VOCAB + 1;

/// The notebook's first layer, `fc1(cat(x, embeddings))`, holding the embedding tables.
///
/// All tables live in one block-diagonal matrix `tables` (VOCAB x EMB): the rows of a field's
/// vocabulary are non-zero only in that field's columns. The forward pass multiplies it by a
/// constant 0/1 mask, so the off-block entries get zero gradient and Adam never moves them
/// (they start and stay at 0).
#[derive(Debug, Clone)]
pub(crate) struct EmbeddedInput<
    const DENSE: usize,
    const VOCAB: usize,
    const EMB: usize,
    E: Dtype,
    D: Storage<E>,
> {
    tables: Tensor<Rank2<VOCAB, EMB>, E, D>,
    /// fc1's weight on the plain numbers (HIDDEN x DENSE).
    w_dense: Tensor<Rank2<HIDDEN, DENSE>, E, D>,
    /// fc1's weight on the embeddings (HIDDEN x EMB).
    w_embed: Tensor<Rank2<HIDDEN, EMB>, E, D>,
    bias: Tensor<Rank1<HIDDEN>, E, D>,
}

impl<
        const DENSE: usize,
        const VOCAB: usize,
        const EMB: usize,
        E: Dtype + Float + SampleUniform,
        D: Device<E>,
    > TensorCollection<E, D> for EmbeddedInput<DENSE, VOCAB, EMB, E, D>
{
    type To<E2: Dtype, D2: Device<E2>> = EmbeddedInput<DENSE, VOCAB, EMB, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        // PyTorch's nn.Linear init for a layer of fan-in DENSE + EMB (the notebook's fc1).
        fn fc1_uniform<S: Shape, E: Dtype + Float + SampleUniform, D: Device<E>>(
            t: &mut Tensor<S, E, D>,
            fan_in: usize,
        ) -> Result<(), D::Err> {
            let b = E::one() / E::from(fan_in).unwrap_or_else(E::one).sqrt();
            t.try_fill_with_distr(Uniform::new(-b, b))
        }
        visitor.visit_fields(
            (
                // Filled by `init_tables` (the block pattern is not known here).
                Self::tensor("tables", |s| &s.tables, |s| &mut s.tables, {
                    TensorOptions::reset_to_zeros()
                }),
                Self::tensor(
                    "w_dense",
                    |s| &s.w_dense,
                    |s| &mut s.w_dense,
                    TensorOptions::reset_with(|t| fc1_uniform(t, DENSE + EMB)),
                ),
                Self::tensor(
                    "w_embed",
                    |s| &s.w_embed,
                    |s| &mut s.w_embed,
                    TensorOptions::reset_with(|t| fc1_uniform(t, DENSE + EMB)),
                ),
                Self::tensor(
                    "bias",
                    |s| &s.bias,
                    |s| &mut s.bias,
                    TensorOptions::reset_with(|t| fc1_uniform(t, DENSE + EMB)),
                ),
            ),
            |(tables, w_dense, w_embed, bias)| EmbeddedInput {
                tables,
                w_dense,
                w_embed,
                bias,
            },
        )
    }
}

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

impl<const DENSE: usize, const VOCAB: usize, const EMB: usize>
    EmbeddedInput<DENSE, VOCAB, EMB, f32, Cpu>
{
    /// Draws the tables from N(0, 1) like PyTorch's `nn.Embedding` (the off-block entries
    /// stay 0).
    fn init_tables(&mut self, dev: &Cpu, fields: &[Field]) {
        let normal: Tensor<Rank2<VOCAB, EMB>, f32, Cpu> = dev.sample_normal();
        let values = normal
            .as_vec()
            .iter()
            .zip(block_mask(fields))
            .map(|(v, m)| v * m)
            .collect();
        self.tables = dev.tensor_from_vec(values, (Const, Const));
    }

    /// fc1 as one matrix for rows `[plain numbers | one-hot ids | 1]`:
    /// `W = [W_denseᵀ; (tables ⊙ mask) · W_embedᵀ; bias]` (ROW x HIDDEN), so that
    /// `fc1(row) = row · W`. `tables` is this layer's own table, possibly carrying the tape.
    fn stacked_weight<const ROW: usize, T: Tape<f32, Cpu>>(
        &self,
        dev: &Cpu,
        fields: &[Field],
        tables: Tensor<Rank2<VOCAB, EMB>, f32, Cpu, T>,
    ) -> Tensor<(Const<ROW>, Const<HIDDEN>), f32, Cpu, T> {
        let mask: Tensor<Rank2<VOCAB, EMB>, f32, Cpu> =
            dev.tensor_from_vec(block_mask(fields), (Const, Const));
        let embedded = (tables * mask).matmul(self.w_embed.retaped::<T>().permute());
        let w = (
            to_rows(self.w_dense.retaped::<T>().permute()),
            to_rows(embedded),
        )
            .concat_along(Axis::<0>);
        let bias = self.bias.retaped::<T>().reshape::<Rank2<1, HIDDEN>>();
        fixed_rows::<ROW, T>((w, to_rows(bias)).concat_along(Axis::<0>))
    }
}

/// Forgets the compile-time row count, so matrices can be stacked (const-sized concatenation
/// needs nightly Rust).
fn to_rows<const R: usize, T: Tape<f32, Cpu>>(
    t: Tensor<(Const<R>, Const<HIDDEN>), f32, Cpu, T>,
) -> Tensor<(usize, Const<HIDDEN>), f32, Cpu, T> {
    match t.try_realize() {
        Ok(t) => t,
        Err(_) => unreachable!("a const shape always realizes to a runtime one"),
    }
}

/// Gives the stacked weight its compile-time row count back.
fn fixed_rows<const R: usize, T: Tape<f32, Cpu>>(
    t: Tensor<(usize, Const<HIDDEN>), f32, Cpu, T>,
) -> Tensor<(Const<R>, Const<HIDDEN>), f32, Cpu, T> {
    match t.try_realize() {
        Ok(t) => t,
        // ROW = DENSE + VOCAB + 1 by construction (checked in `widths_match_the_notebook`).
        Err(_) => unreachable!("stacked fc1 weight does not have {R} rows"),
    }
}

/// The notebook's fc2 and fc3 (with the ReLUs after fc1 and fc2).
type Head<const OUT: usize, E, D> = (
    ReLU,
    (Linear<HIDDEN, HIDDEN, E, D>, ReLU),
    Linear<HIDDEN, OUT, E, D>,
);

/// Flat Q-values (see [`QNetwork::forward_flat`]).
pub(crate) type Flat<T = NoneTape> = Tensor<(usize,), f32, Cpu, T>;
/// One input row per line, at the width of the network's rows.
pub(crate) type Rows<const W: usize, T = NoneTape> = Tensor<(usize, Const<W>), f32, Cpu, T>;

/// Host-side network input: rows of `[plain numbers | one-hot ids | 1]`, built by
/// [`Inputs::push_one`] / [`Inputs::push_all`] and moved into a tensor by the forward pass.
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    layout: Architecture,
    include_scores: bool,
    rows: usize,
    data: Vec<f32>,
}

/// Clamps an id into its vocabulary so malformed input can never index out of a table.
fn id(value: usize, vocab: usize) -> usize {
    value.min(vocab - 1)
}

impl Inputs {
    /// An empty batch for the given layout.
    pub(crate) fn new(layout: Architecture, include_scores: bool) -> Self {
        Self {
            layout,
            include_scores,
            rows: 0,
            data: Vec::new(),
        }
    }

    /// Number of rows pushed so far.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Adds what is needed for Q(obs, slot); returns its position in the flat output.
    /// `slot` must be below `slots`, the number of usable slots of `obs`.
    pub(crate) fn push_one(&mut self, obs: &Observation, slot: usize, slots: usize) -> usize {
        match self.layout {
            Architecture::SlotHeads => self.push_state_row(obs, slots) * MAX_CANDIDATES + slot,
            Architecture::PairScorer => self.push_pair_row(obs, slot),
        }
    }

    /// Adds what is needed for Q(obs, 0..slots); returns where those `slots` values start in
    /// the flat output (they are contiguous).
    pub(crate) fn push_all(&mut self, obs: &Observation, slots: usize) -> usize {
        match self.layout {
            Architecture::SlotHeads => self.push_state_row(obs, slots) * MAX_CANDIDATES,
            Architecture::PairScorer => {
                let start = self.rows;
                for slot in 0..slots {
                    self.push_pair_row(obs, slot);
                }
                start
            }
        }
    }

    /// Appends the one-hot encoding of the state's six categorical fields.
    fn push_state_one_hot(&mut self, obs: &Observation) {
        let ids = [
            id(obs.gender, NUM_GENDERS),
            id(obs.region, NUM_REGIONS),
            id(obs.interest1, NUM_CATEGORIES),
            id(obs.interest2, NUM_CATEGORIES),
            id(obs.last_category, NUM_CATEGORIES),
            id(obs.last_action, NUM_LAST_ACTIONS),
        ];
        for (field, value) in STATE_FIELDS.iter().zip(ids) {
            let start = self.data.len();
            self.data.resize(start + field.vocab, 0.0);
            self.data[start + value] = 1.0;
        }
    }

    fn push_state_row(&mut self, obs: &Observation, slots: usize) -> usize {
        self.data.extend_from_slice(&obs.numeric);
        // The notebook's get_state allocates these slots but never writes them (the bug that
        // `include_candidate_scores: false` reproduces); slots past `slots` stay zero too.
        for i in 0..MAX_CANDIDATES {
            let score = match obs.candidates.get(i) {
                Some(c) if self.include_scores && i < slots => c.score,
                _ => 0.0,
            };
            self.data.push(score);
        }
        self.push_state_one_hot(obs);
        self.data.push(1.0);
        self.rows += 1;
        self.rows - 1
    }

    fn push_pair_row(&mut self, obs: &Observation, slot: usize) -> usize {
        let c = &obs.candidates[slot];
        self.data.extend_from_slice(&obs.numeric);
        let score = if self.include_scores { c.score } else { 0.0 };
        self.data
            .extend_from_slice(&[c.similarity, c.views, c.interest, score]);
        self.push_state_one_hot(obs);
        let start = self.data.len();
        self.data.resize(start + NUM_CATEGORIES, 0.0);
        self.data[start + id(c.category, NUM_CATEGORIES)] = 1.0;
        self.data.push(1.0);
        self.rows += 1;
        self.rows - 1
    }
}

/// Whether a forward pass records a gradient tape.
pub(crate) trait Tracer<T: Tape<f32, Cpu>> {
    /// Puts the tape (if any) on the input.
    fn trace<S: Shape>(self, x: Tensor<S, f32, Cpu>) -> Tensor<S, f32, Cpu, T>;
}

/// Inference: no tape.
pub(crate) struct NoTrace;

impl Tracer<NoneTape> for NoTrace {
    fn trace<S: Shape>(self, x: Tensor<S, f32, Cpu>) -> Tensor<S, f32, Cpu> {
        x
    }
}

/// Training: record into these (reused) gradient buffers.
pub(crate) struct TraceInto(pub(crate) Gradients<f32, Cpu>);

impl Tracer<OwnedTape<f32, Cpu>> for TraceInto {
    fn trace<S: Shape>(self, x: Tensor<S, f32, Cpu>) -> Tensor<S, f32, Cpu, OwnedTape<f32, Cpu>> {
        x.traced(self.0)
    }
}

/// What the agent needs from a Q-network, whatever its layout.
pub(crate) trait QNetwork:
    TensorCollection<f32, Cpu, To<f32, Cpu> = Self> + Clone + std::fmt::Debug
{
    /// Which input layout [`Inputs`] must build for this network.
    const LAYOUT: Architecture;

    /// Builds a freshly initialised network with PyTorch's defaults: dense layers
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), embedding tables N(0, 1).
    fn init(dev: &Cpu) -> Self;

    /// Runs the network on `inp` and returns its Q-values flattened so that the positions
    /// handed out by [`Inputs::push_one`] / [`Inputs::push_all`] index them.
    fn forward_flat<T: Tape<f32, Cpu>>(
        &self,
        dev: &Cpu,
        inp: Inputs,
        tracer: impl Tracer<T>,
    ) -> Flat<T>;
}

/// [`Architecture::SlotHeads`]: state in, one Q-value per candidate slot out.
#[derive(Debug, Clone)]
pub(crate) struct SlotNet<E: Dtype = f32, D: Storage<E> = Cpu> {
    fc1: EmbeddedInput<SLOT_DENSE, SLOT_VOCAB, SLOT_EMB, E, D>,
    head: Head<MAX_CANDIDATES, E, D>,
}

// dfdx can rebuild modules for other dtypes/devices, hence generic impls even though the
// agent only ever uses f32 on the CPU.
impl<E: Dtype + Float + SampleUniform, D: Device<E>> TensorCollection<E, D> for SlotNet<E, D> {
    type To<E2: Dtype, D2: Device<E2>> = SlotNet<E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("fc1", |s| &s.fc1, |s| &mut s.fc1),
                Self::module("head", |s| &s.head, |s| &mut s.head),
            ),
            |(fc1, head)| SlotNet { fc1, head },
        )
    }
}

impl QNetwork for SlotNet {
    const LAYOUT: Architecture = Architecture::SlotHeads;

    fn init(dev: &Cpu) -> Self {
        let mut net = Self::build(dev);
        net.fc1.init_tables(dev, &STATE_FIELDS);
        net
    }

    fn forward_flat<T: Tape<f32, Cpu>>(
        &self,
        dev: &Cpu,
        inp: Inputs,
        tracer: impl Tracer<T>,
    ) -> Flat<T> {
        let fc1 = self.fc1.stacked_weight::<SLOT_ROW, T>(
            dev,
            &STATE_FIELDS,
            tracer.trace(self.fc1.tables.clone()),
        );
        forward_in_chunks(dev, inp, fc1, &self.head)
    }
}

/// [`Architecture::PairScorer`]: one shared network scores each (state, candidate) pair.
#[derive(Debug, Clone)]
pub(crate) struct PairNet<E: Dtype = f32, D: Storage<E> = Cpu> {
    fc1: EmbeddedInput<PAIR_DENSE, PAIR_VOCAB, PAIR_EMB, E, D>,
    head: Head<1, E, D>,
}

impl<E: Dtype + Float + SampleUniform, D: Device<E>> TensorCollection<E, D> for PairNet<E, D> {
    type To<E2: Dtype, D2: Device<E2>> = PairNet<E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("fc1", |s| &s.fc1, |s| &mut s.fc1),
                Self::module("head", |s| &s.head, |s| &mut s.head),
            ),
            |(fc1, head)| PairNet { fc1, head },
        )
    }
}

impl QNetwork for PairNet {
    const LAYOUT: Architecture = Architecture::PairScorer;

    fn init(dev: &Cpu) -> Self {
        let mut net = Self::build(dev);
        net.fc1.init_tables(dev, &PAIR_FIELDS);
        net
    }

    fn forward_flat<T: Tape<f32, Cpu>>(
        &self,
        dev: &Cpu,
        inp: Inputs,
        tracer: impl Tracer<T>,
    ) -> Flat<T> {
        let fc1 = self.fc1.stacked_weight::<PAIR_ROW, T>(
            dev,
            &PAIR_FIELDS,
            tracer.trace(self.fc1.tables.clone()),
        );
        forward_in_chunks(dev, inp, fc1, &self.head)
    }
}

/// Largest number of rows in one matmul. gemm (under dfdx) hands a product of more than
/// 48·48·256 multiply-adds to rayon; on the 2-core target the thread hand-off cost more than
/// it saved (measured: ~10 % slower, with futex/yield churn), and wasm has no threads. With
/// 64-wide layers, 128 rows (128·64·64 multiply-adds, also for every gradient product) stay
/// single-threaded.
const MAX_ROWS_PER_MATMUL: usize = 128;

/// Runs `rows · fc1`, then the head, over `inp` in chunks of at most
/// [`MAX_ROWS_PER_MATMUL`] rows, and returns all Q-values flattened, in row order.
///
/// One tape threads through every chunk; the chunks share `fc1` (and the head's weights)
/// by tensor id, so their gradients add up on the same parameters.
fn forward_in_chunks<const ROW: usize, const OUT: usize, T: Tape<f32, Cpu>>(
    dev: &Cpu,
    inp: Inputs,
    fc1: Tensor<(Const<ROW>, Const<HIDDEN>), f32, Cpu, T>,
    head: &Head<OUT, f32, Cpu>,
) -> Flat<T> {
    debug_assert_eq!(inp.data.len(), inp.rows * ROW);
    let (fc1, mut tape) = fc1.split_tape();
    let mut pieces: Vec<Flat> = Vec::new();
    let mut run = |x: Vec<f32>, tape: T| {
        let n = x.len() / ROW;
        let x: Rows<ROW> = dev.tensor_from_vec(x, (n, Const::<ROW>));
        let q = head.forward(x.put_tape(tape).matmul(fc1.clone()));
        let (q, tape) = q.reshape_like(&(n * OUT,)).split_tape();
        pieces.push(q);
        tape
    };
    if inp.rows <= MAX_ROWS_PER_MATMUL {
        tape = run(inp.data, tape);
    } else {
        for chunk in inp.data.chunks(MAX_ROWS_PER_MATMUL * ROW) {
            tape = run(chunk.to_vec(), tape);
        }
    }
    let mut pieces = pieces.into_iter();
    let first = pieces.next().unwrap_or_else(|| dev.zeros_like(&(0,)));
    pieces.fold(first.put_tape(tape), |all, q| {
        (all, q).concat_along(Axis::<0>)
    })
}

/// Sums every parameter of a network, in f64.
struct ParamSum(f64);

impl TensorVisitor<f32, Cpu> for ParamSum {
    type Viewer = ViewTensorRef;
    type Err = CpuError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        _opts: TensorOptions<S, f32, Cpu>,
        t: &Tensor<S, f32, Cpu>,
    ) -> Result<Option<Tensor<S, f32, Cpu>>, CpuError> {
        self.0 += t.as_vec().iter().map(|&v| f64::from(v)).sum::<f64>();
        Ok(None)
    }
}

/// The sum of all parameters of `net` (a cheap fingerprint of its weights).
pub(crate) fn param_sum<N: QNetwork>(net: &N) -> f64 {
    let mut sum = ParamSum(0.0);
    // ParamSum never fails, so the Result carries nothing.
    let _ = N::iter_tensors(&mut RecursiveWalker {
        m: net,
        f: &mut sum,
    });
    sum.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::CandidateFeatures;
    use dfdx::nn::ZeroGrads;
    use dfdx::tensor_ops::{Backward, SumTo};

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
        assert_eq!(SLOT_DENSE + SLOT_EMB, 40); // fc1 fan-in: 3 numeric + 20 slots + 17
        assert_eq!(PAIR_DENSE + PAIR_EMB, 28);
        assert_eq!(SLOT_VOCAB, 33);
        assert_eq!(SLOT_ROW, 57);
        assert_eq!(PAIR_ROW, 49);
    }

    #[test]
    fn tables_are_block_diagonal() {
        let mask = block_mask(&STATE_FIELDS);
        // 2*1 + 3*2 + 3*8*4 + 4*2 = 112 real entries, like the six nn.Embedding tables.
        assert_eq!(mask.iter().filter(|&&m| m == 1.0).count(), 112);
        // Gender rows (0, 1) own column 0 only; region rows (2..5) own columns 1..3.
        assert_eq!(&mask[..SLOT_EMB][..3], &[1.0, 0.0, 0.0]);
        assert_eq!(&mask[2 * SLOT_EMB..2 * SLOT_EMB + 4], &[0.0, 1.0, 1.0, 0.0]);
        let dev = Cpu::seed_from_u64(0);
        let net = SlotNet::init(&dev);
        let tables = net.fc1.tables.as_vec();
        assert!(tables
            .iter()
            .zip(&mask)
            .all(|(&t, &m)| (m == 0.0) == (t == 0.0)));
    }

    /// The folded first layer must equal the notebook's `fc1(cat(x, E[id]))`, computed here
    /// by hand from the same weights.
    #[test]
    fn folded_fc1_equals_lookup_then_concat() {
        let dev = Cpu::seed_from_u64(4);
        let net = SlotNet::init(&dev);
        let o = obs(5);
        let mut inp = Inputs::new(Architecture::SlotHeads, true);
        inp.push_all(&o, 5);
        let row = inp.data.clone();
        let w = net.fc1.stacked_weight::<SLOT_ROW, NoneTape>(
            &dev,
            &STATE_FIELDS,
            net.fc1.tables.clone(),
        );
        let x: Rows<SLOT_ROW> = dev.tensor_from_vec(row.clone(), (1, Const));
        let h = x.matmul(w).as_vec();

        let tables = net.fc1.tables.as_vec();
        let ids = [
            o.gender,
            o.region,
            o.interest1,
            o.interest2,
            o.last_category,
            o.last_action,
        ];
        let mut embedded = Vec::new();
        let (mut row0, mut col0) = (0, 0);
        for (f, id) in STATE_FIELDS.iter().zip(ids) {
            let r = row0 + id;
            embedded.extend_from_slice(&tables[r * SLOT_EMB + col0..r * SLOT_EMB + col0 + f.dim]);
            row0 += f.vocab;
            col0 += f.dim;
        }
        let w_dense = net.fc1.w_dense.as_vec();
        let w_embed = net.fc1.w_embed.as_vec();
        let bias = net.fc1.bias.as_vec();
        for j in 0..HIDDEN {
            let mut expected = bias[j];
            for k in 0..SLOT_DENSE {
                expected += w_dense[j * SLOT_DENSE + k] * row[k];
            }
            for (k, e) in embedded.iter().enumerate() {
                expected += w_embed[j * SLOT_EMB + k] * e;
            }
            assert!(
                (h[j] - expected).abs() < 1e-4,
                "unit {j}: {} vs {expected}",
                h[j]
            );
        }
    }

    /// Q-values of `obs`'s first `n` slots, all in one batch and one slot at a time.
    fn all_and_one_by_one<N: QNetwork>(net: &N, dev: &Cpu, o: &Observation, n: usize) {
        let mut all = Inputs::new(N::LAYOUT, true);
        all.push_one(&obs(1), 0, 1); // an unrelated row first, so positions are not trivial
        let start = all.push_all(o, n);
        let q_all = net.forward_flat(dev, all, NoTrace).as_vec();
        for slot in 0..n {
            let mut one = Inputs::new(N::LAYOUT, true);
            let pos = one.push_one(o, slot, n);
            let q = net.forward_flat(dev, one, NoTrace).as_vec()[pos];
            assert!(
                (q - q_all[start + slot]).abs() < 1e-5,
                "{:?} slot {slot}",
                N::LAYOUT
            );
        }
    }

    #[test]
    fn flat_positions_index_the_right_values() {
        let dev = Cpu::seed_from_u64(1);
        all_and_one_by_one(&SlotNet::init(&dev), &dev, &obs(6), 6);
        all_and_one_by_one(&PairNet::init(&dev), &dev, &obs(6), 6);
    }

    /// Batches above [`MAX_ROWS_PER_MATMUL`] rows run in chunks: same values, and the
    /// gradients of the chunks add up on the parameters as if it were one batch.
    #[test]
    fn chunked_forward_matches_unchunked() {
        let dev = Cpu::seed_from_u64(5);
        let net = PairNet::init(&dev);
        let observations: Vec<Observation> = (0..20)
            .map(|i| {
                let mut o = obs(15);
                o.numeric[0] = i as f32 * 0.05;
                o.gender = i % 2;
                o
            })
            .collect();
        let batch = |range: std::ops::Range<usize>| {
            let mut inp = Inputs::new(Architecture::PairScorer, true);
            for o in &observations[range] {
                inp.push_all(o, 15);
            }
            inp
        };
        // 300 rows: chunks of 128, 128, 44.
        let all = batch(0..20);
        assert!(all.rows() > 2 * MAX_ROWS_PER_MATMUL);
        let grads = net.alloc_grads();
        let q_all = net.forward_flat(&dev, all, TraceInto(grads));
        let q_all_host = q_all.as_vec();
        let g_all = q_all.sum::<(), _>().backward();

        let mut q_parts = Vec::new();
        let mut g_parts = net.alloc_grads();
        for range in [0..8, 8..16, 16..20] {
            // 120 or 60 rows: one chunk each.
            let q = net.forward_flat(&dev, batch(range), TraceInto(g_parts));
            q_parts.extend(q.as_vec());
            g_parts = q.sum::<(), _>().backward();
        }
        assert_eq!(q_all_host.len(), 300);
        for (a, b) in q_all_host.iter().zip(&q_parts) {
            assert!((a - b).abs() < 1e-5);
        }
        for (a, b) in [
            (
                g_all.get(&net.fc1.w_dense).as_vec(),
                g_parts.get(&net.fc1.w_dense).as_vec(),
            ),
            (
                g_all.get(&net.fc1.tables).as_vec(),
                g_parts.get(&net.fc1.tables).as_vec(),
            ),
            (
                g_all.get(&net.head.2.weight).as_vec(),
                g_parts.get(&net.head.2.weight).as_vec(),
            ),
        ] {
            assert!(a.iter().any(|&v| v != 0.0));
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() <= 1e-3 * (1.0 + y.abs()), "{x} vs {y}");
            }
        }
    }

    #[test]
    fn scores_reach_the_network_only_when_included() {
        let dev = Cpu::seed_from_u64(2);
        let net = SlotNet::init(&dev);
        let q = |include: bool, score: f32| {
            let mut o = obs(3);
            o.candidates[1].score = score;
            let mut inp = Inputs::new(Architecture::SlotHeads, include);
            inp.push_all(&o, 3);
            net.forward_flat(&dev, inp, NoTrace).as_vec()
        };
        assert_eq!(q(false, 1.0), q(false, 9.0));
        assert_ne!(q(true, 1.0), q(true, 9.0));
    }

    #[test]
    fn gradients_reach_the_used_table_rows_only() {
        let dev = Cpu::seed_from_u64(3);
        let net = PairNet::init(&dev);
        let grads = net.alloc_grads();
        let mut inp = Inputs::new(Architecture::PairScorer, true);
        inp.push_all(&obs(3), 3);
        let q = net.forward_flat(&dev, inp, TraceInto(grads));
        let grads = q.sum::<(), _>().backward();
        let g = grads.get(&net.fc1.tables).as_vec();
        let mask = block_mask(&PAIR_FIELDS);
        // Gender is 1: row 1 has a gradient in its own column, row 0 (unused) has none.
        assert!(g[PAIR_EMB] != 0.0 && g[0] == 0.0);
        // No off-block entry ever gets a gradient.
        assert!(g.iter().zip(&mask).all(|(&g, &m)| m == 1.0 || g == 0.0));
        // Candidate categories 0, 1, 2 were used: their rows of the category table move.
        let cat_row0 = vocab_sum(&STATE_FIELDS);
        let cat_col0 = dim_sum(&STATE_FIELDS);
        for c in 0..NUM_CATEGORIES {
            let v = g[(cat_row0 + c) * PAIR_EMB + cat_col0];
            assert_eq!(v != 0.0, c < 3, "category {c}");
        }
        for w in [
            &net.fc1.w_dense.as_vec(),
            &grads.get(&net.fc1.w_embed).as_vec(),
        ] {
            assert!(w.iter().any(|&v| v != 0.0));
        }
    }
}
