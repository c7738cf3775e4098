//! The sparse top-K neighbour index: per video, its `K` most similar videos by cosine, kept
//! exact as interactions arrive, over a bounded window of each user's recent interactions.

use std::collections::VecDeque;
use std::sync::Arc;

/// Below this a squared norm counts as zero (as in the exact filter).
const ZERO_NORM: f64 = 1e-12;

/// One neighbour: (video, cosine similarity).
type Neighbour = (u32, f32);

/// The largest `K`: a list holds up to `K + K/2` entries, and its length is kept as a `u16`.
/// (The configuration allows up to 1,000.)
const MAX_K: usize = 40_000;

/// A list slot beyond the list's length (never read as a neighbour).
const VACANT: Neighbour = (u32::MAX, 0.0);

/// List `i`'s `cap` slots, to write: its own copy if shared (a trial's saved list, or a
/// clone's), and allocated if the list had none.
fn slots(lists: &mut [Arc<[Neighbour]>], i: usize, cap: usize) -> &mut [Neighbour] {
    let l = &mut lists[i];
    if l.len() != cap {
        // An empty list has no slots (see `unindexed`); no list ever has other than 0 or `cap`.
        let mut v = vec![VACANT; cap];
        v[..l.len()].copy_from_slice(l);
        *l = v.into();
    }
    Arc::make_mut(l)
}

/// Whether `a` ranks before `b`: higher similarity first, ties by ascending id.
#[inline]
fn before(a: Neighbour, b: Neighbour) -> bool {
    match b.1.total_cmp(&a.1) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => a.0 < b.0,
    }
}

/// The rank order as an `Ordering` (the brute force's, in the tests; the index sorts
/// [`key`]s).
#[cfg(test)]
fn rank(a: &Neighbour, b: &Neighbour) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// A neighbour as an integer whose ascending order is the rank order (higher similarity
/// first, ties by ascending id), so that selecting and sorting a list compares integers. The
/// high half maps the similarity's bits as `f32::total_cmp` orders them, reversed.
#[inline]
fn key(e: Neighbour) -> u64 {
    let b = e.1.to_bits();
    let ascending = if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    };
    (u64::from(!ascending) << 32) | u64::from(e.0)
}

/// The neighbour a [`key`] encodes.
#[inline]
fn unkey(k: u64) -> Neighbour {
    let ascending = !((k >> 32) as u32);
    let b = if ascending & 0x8000_0000 != 0 {
        ascending & 0x7fff_ffff
    } else {
        !ascending
    };
    (k as u32, f32::from_bits(b))
}

/// Ask the processor to fetch a row into the cache while other work goes on: a scatter reads
/// dozens of rows scattered over the heap, one after another, and waiting for each one's first
/// lines dominated the build. A hint only (no effect on results).
#[inline]
fn prefetch<T>(row: &[T]) {
    prefetch_bytes(row.as_ptr().cast(), std::mem::size_of_val(row));
}

/// Prefetch a list's first `len` entries and the shared counts in front of them (which
/// writing it reads).
#[inline]
fn prefetch_list(list: &Arc<[Neighbour]>, len: usize) {
    let counts = 2 * std::mem::size_of::<usize>();
    prefetch_bytes(
        Arc::as_ptr(list).cast::<u8>().wrapping_sub(counts),
        counts + len * std::mem::size_of::<Neighbour>(),
    );
}

/// Prefetch `bytes` bytes from `p` (a hint, never a read: `p` need not be dereferenceable).
/// None on WebAssembly, which has no prefetch instruction.
#[inline]
fn prefetch_bytes(p: *const u8, bytes: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        for off in (0..bytes.max(1)).step_by(64) {
            // SAFETY: a prefetch never faults, whatever the address; `wrapping_add` computes
            // it without claiming it is in bounds.
            unsafe { _mm_prefetch(p.wrapping_add(off).cast::<i8>(), _MM_HINT_T0) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, bytes);
}

/// An entry of the row-normalised matrix: `m / |row|` (0 for a zero row). The cosine of two
/// items is the sum over their common users, in ascending order, of the products of these, so
/// the same pair gives the same bits whichever side computes it.
#[inline]
fn normalised(m: f64, norm: f64) -> f64 {
    if norm == 0.0 {
        0.0
    } else {
        m / norm
    }
}

fn norm_of(entries: &[(u32, f64)]) -> f64 {
    let n2: f64 = entries.iter().map(|e| e.1 * e.1).sum();
    if n2 <= ZERO_NORM {
        0.0
    } else {
        n2.sqrt()
    }
}

/// A sparse row or column, sorted by key: one shared allocation holding its counts and its
/// entries (no second indirection through a `Vec`'s header on the way to the entries).
type Row = Arc<[(u32, f64)]>;

/// Set the entry for `key` in a row sorted by key: insert, overwrite, or remove it when
/// `value` is exactly 0.
fn set_sorted(row: &mut Row, key: u32, value: f64) {
    match row.binary_search_by_key(&key, |e| e.0) {
        Ok(k) if value == 0.0 => {
            let mut v = Vec::with_capacity(row.len() - 1);
            v.extend_from_slice(&row[..k]);
            v.extend_from_slice(&row[k + 1..]);
            *row = v.into();
        }
        Ok(k) => Arc::make_mut(row)[k].1 = value,
        Err(_) if value == 0.0 => {}
        Err(k) => insert_at(row, k, (key, value)),
    }
}

/// Insert `e` at position `k` of a row.
fn insert_at(row: &mut Row, k: usize, e: (u32, f64)) {
    let mut v = Vec::with_capacity(row.len() + 1);
    v.extend_from_slice(&row[..k]);
    v.push(e);
    v.extend_from_slice(&row[k..]);
    *row = v.into();
}

/// An item-item collaborative filter that keeps, per video, its top-`K` neighbours by cosine
/// similarity instead of every pair's dot product.
///
/// The item x user matrix holds, per user, only the `window` most recent interactions (older
/// ones drop out as new ones arrive; `None` keeps them all), so each row and column stays
/// bounded and an update costs the same however long training runs. An interaction changes one
/// entry `(i, u)`: every cosine involving `i` may change (its norm moved), nothing else does.
/// The update recomputes `i`'s dot products with the videos sharing a user with it (a bounded
/// scatter), rebuilds `i`'s list, and moves `i` inside the lists of those videos.
///
/// Each list holds up to `K + K/2` entries, best first, and a flag saying whether some nonzero
/// neighbour was left out. The invariant: every left-out neighbour ranks after every listed
/// one. A listed neighbour whose similarity falls below the last listed one of a truncated list
/// is dropped; when fewer than `K` remain, that list is recomputed from the matrix. The first
/// `K` entries are therefore always exactly the brute-force top `K` (a property test checks it).
///
/// Rows are shared (`Arc`) and copied on write, so a clone is cheap (evaluation clones the
/// environment for every held-out session).
#[derive(Debug, Clone)]
pub struct TopKFilter {
    n_items: usize,
    k: usize,
    cap: usize,
    window: Option<usize>,
    /// item -> (user, aggregated score), sorted by user.
    item_users: Vec<Row>,
    /// user -> (item, aggregated score over the window / the item's norm), sorted by item:
    /// the row-normalised matrix by column, which the scatters read.
    user_items: Vec<Row>,
    /// user -> the raw rows (item, score) inside the window, oldest first.
    recent: Vec<Arc<VecDeque<(u32, f64)>>>,
    /// user -> every item the user ever interacted with, sorted (bounded by the catalogue).
    seen: Vec<Arc<Vec<u32>>>,
    /// item -> whether it appears in the log (the notebook's `look_lst`).
    present: Vec<bool>,
    /// item -> norm of its row (0 for a zero row).
    norms: Vec<f64>,
    /// item -> neighbours, best first: the first `tails[item].len` of `cap` slots (or no
    /// slot at all while the list is empty). The entries sit right behind the pointer held
    /// here, so reading a list costs one dependent load, where an `Arc<Vec<_>>` cost two
    /// (the shared header, then the entries): the scatters read dozens of lists scattered
    /// over the heap, and waiting for each header dominated an update at `large`.
    lists: Vec<Arc<[Neighbour]>>,
    /// item -> its list's length, last entry and whether a nonzero neighbour was left out of
    /// it (kept flat, beside the lists, so an update decides without reading a list whether
    /// it must change it).
    tails: Vec<Tail>,
    /// Interactions recorded since the build, plus the log's rows.
    recorded: u64,
    /// Boxed: the filter is a variant of `CollaborativeFilter`, beside the smaller exact one.
    scratch: Box<Scratch>,
    /// While a trial runs (see [`TopKFilter::begin_trial`]): what it changed, to put back.
    journal: Option<Box<Journal>>,
}

/// What a trial changed, oldest first, to put back in reverse order. A shared row is saved
/// the first time a trial changes it (a saved row is copied on its next write, so saving it
/// again would copy it again); a flat value every time.
#[derive(Debug, Clone, Default)]
struct Journal {
    undo: Vec<Undo>,
    /// (kind, index) of the rows saved.
    saved: std::collections::HashSet<(RowKind, u32)>,
    recorded: u64,
    n_users: usize,
}

/// One value as it was before a trial changed it.
#[derive(Debug, Clone)]
enum Undo {
    ItemUsers(u32, Row),
    UserItems(u32, Row),
    Recent(u32, Arc<VecDeque<(u32, f64)>>),
    Seen(u32, Arc<Vec<u32>>),
    List(u32, Arc<[Neighbour]>),
    Tail(u32, Tail),
    Norm(u32, f64),
    Present(u32, bool),
}

impl Journal {
    /// Whether row `idx` of kind `kind` is saved for the first time (then the caller saves it).
    fn first(&mut self, kind: RowKind, idx: usize) -> bool {
        self.saved.insert((kind, idx as u32))
    }
}

/// The shared rows a trial saves (once each, see [`Journal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RowKind {
    ItemUsers,
    UserItems,
    Recent,
    Seen,
    List,
}

/// A list's length, its last entry and whether it was truncated.
#[derive(Debug, Clone, Copy)]
struct Tail {
    last: Neighbour,
    /// Entries in the list (at most `cap`, which `K <= 1000` keeps below `u16::MAX`).
    len: u16,
    truncated: bool,
}

impl Default for Tail {
    fn default() -> Self {
        Tail {
            last: (u32::MAX, f32::NEG_INFINITY),
            len: 0,
            truncated: false,
        }
    }
}

impl Tail {
    fn of(list: &[Neighbour], truncated: bool) -> Tail {
        Tail {
            last: list
                .last()
                .copied()
                .unwrap_or((u32::MAX, f32::NEG_INFINITY)),
            len: list.len() as u16,
            truncated,
        }
    }

    fn len(self) -> usize {
        usize::from(self.len)
    }

    /// Whether a list with this tail holds `e`, given that `e` is a nonzero neighbour with the
    /// similarity the list would hold (every neighbour if not truncated, else those up to the
    /// last).
    #[inline]
    fn holds(self, e: Neighbour) -> bool {
        !self.truncated || e == self.last || before(e, self.last)
    }

    /// Whether `e` (not in the list) must be inserted.
    #[inline]
    fn admits(self, e: Neighbour) -> bool {
        !self.truncated || before(e, self.last)
    }
}

/// Working memory for scatters, reused between calls. A list's build (the index's, or a
/// stale list's in an update) sums into one f64 per item (`sums`): between calls every sum is
/// 0; a call lists (`touched`) an item whenever it finds its sum at 0, which may list it twice,
/// and its consumer resets the touched slots and reads the second copy as 0. An update (the
/// pair before and after its change) and candidate generation sum into small tables instead,
/// each cleared when it next begins.
#[derive(Debug, Default)]
struct Scratch {
    /// item -> the sum of a list's scatter.
    sums: Vec<f64>,
    /// An update's cosine sums before and after its change.
    pairs: SumTable<[f64; 2]>,
    /// Candidate generation's scores.
    scores: SumTable<f64>,
    /// The items a list's scatter wrote.
    touched: Vec<u32>,
    /// A list being built, as sort keys.
    cands: Vec<u64>,
    /// An update's changes to other lists: (item, whether it lists the changed item, the new
    /// similarity).
    moves: Vec<(u32, bool, Option<f32>)>,
}

/// A copy starts with fresh scratch space: nothing in it outlives a call.
impl Clone for Scratch {
    fn clone(&self) -> Self {
        Scratch::default()
    }
}

impl Scratch {
    /// Start a call: size the slots for `n` items (all zero) and list nothing.
    fn begin(&mut self, n: usize) {
        if self.sums.len() != n {
            self.sums = vec![0.0; n];
        }
        self.touched.clear();
    }
}

/// A scatter's target, item -> sum, as an open-addressing table with at least twice as many
/// slots as the scatter can write items, rather than one slot per item. At `large` one slot
/// per item spans megabytes, and each of an update's ~500 writes (and candidate generation's
/// ~2,500) missed the cache; the table (a few KB) stays in it. Entries keep the order in which
/// the scatter first wrote them, and a sum starts at 0, so the sums have the bits that one slot
/// per item gave. (A list's build keeps one slot per item: there the table measured 7% slower,
/// as 800 KB of sums at `large` stay in the second-level cache through a list's ~500 writes.)
#[derive(Debug)]
struct SumTable<V> {
    /// (item, index into `entries` + 1), or `(_, 0)` for an empty slot.
    slots: Vec<(u32, u32)>,
    /// (item, its slot, its sum), in the order first written.
    entries: Vec<(u32, u32, V)>,
    /// `32 - log2(slots.len())`: a slot is the top bits of a multiplicative hash.
    shift: u32,
}

impl<V> Default for SumTable<V> {
    fn default() -> Self {
        SumTable {
            slots: Vec::new(),
            entries: Vec::new(),
            shift: 32,
        }
    }
}

impl<V: Default> SumTable<V> {
    /// Start a scatter that writes at most `bound` distinct items: clear the last one's slots
    /// and grow the table if it could fill past half.
    fn begin(&mut self, bound: usize) {
        for e in &self.entries {
            self.slots[e.1 as usize] = (0, 0);
        }
        self.entries.clear();
        let want = (2 * bound).next_power_of_two().max(64);
        if self.slots.len() < want {
            self.slots = vec![(0, 0); want];
            self.shift = 32 - want.trailing_zeros();
        }
    }

    /// Item `j`'s sum, written as 0 (`V::default()`) the first time.
    #[inline]
    fn sum(&mut self, j: u32) -> &mut V {
        let mask = self.slots.len() - 1;
        let mut h = (j.wrapping_mul(0x9E37_79B9) >> self.shift) as usize;
        loop {
            let (item, at) = self.slots[h];
            if at == 0 {
                self.slots[h] = (j, self.entries.len() as u32 + 1);
                self.entries.push((j, h as u32, V::default()));
                return &mut self.entries.last_mut().expect("just pushed").2;
            }
            if item == j {
                return &mut self.entries[at as usize - 1].2;
            }
            h = (h + 1) & mask;
        }
    }

    fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(u32, u32)>()
            + self.entries.capacity() * std::mem::size_of::<(u32, u32, V)>()
    }
}

impl TopKFilter {
    /// Build from an interaction log `(item, user, score)` in log order. Each user's matrix
    /// column holds their last `window` rows (all of them for `None`); the lists hold the
    /// top `k` neighbours (plus slack).
    pub fn from_log(
        n_items: usize,
        n_users: usize,
        log: &[(usize, usize, f64)],
        k: usize,
        window: Option<usize>,
    ) -> Self {
        let mut f = Self::unindexed(n_items, n_users, log, k, window);
        f.rebuild_lists(0, n_items);
        f
    }

    /// The matrix built from a log, with every neighbour list still empty: call
    /// `rebuild_lists` over every item (in as many chunks as wanted) before using it.
    pub fn unindexed(
        n_items: usize,
        n_users: usize,
        log: &[(usize, usize, f64)],
        k: usize,
        window: Option<usize>,
    ) -> Self {
        let k = k.clamp(1, MAX_K);
        // Each user's rows in log order, as one flat array (a stable counting sort by user):
        // a large world's million rows in a few allocations instead of a few per user.
        let mut start = vec![0usize; n_users + 1];
        for &(_, user, _) in log {
            start[user + 1] += 1;
        }
        for u in 0..n_users {
            start[u + 1] += start[u];
        }
        let mut by_user = vec![(0u32, 0.0f64); log.len()];
        let mut next = start.clone();
        let mut present = vec![false; n_items];
        for &(item, user, score) in log {
            by_user[next[user]] = (item as u32, score);
            next[user] += 1;
            present[item] = true;
        }
        let mut recent = Vec::with_capacity(n_users);
        let mut seen = Vec::with_capacity(n_users);
        // The matrix by column (user), flat: `user_start[u]..user_start[u + 1]`.
        let mut columns: Vec<(u32, f64)> = Vec::with_capacity(log.len());
        let mut user_start = Vec::with_capacity(n_users + 1);
        let mut counts = vec![0usize; n_items + 1];
        let mut sorted: Vec<(u32, u32, f64)> = Vec::new();
        for u in 0..n_users {
            let rows = &by_user[start[u]..start[u + 1]];
            let window_rows = &rows[window.map_or(0, |w| rows.len().saturating_sub(w))..];
            recent.push(Arc::new(VecDeque::from(window_rows.to_vec())));
            let mut s: Vec<u32> = rows.iter().map(|r| r.0).collect();
            s.sort_unstable();
            s.dedup();
            s.shrink_to_fit();
            seen.push(Arc::new(s));
            // Fold each item's rows in window order, as `entry_from_window` does (sorting by
            // item, then position, keeps each item's rows in window order).
            sorted.clear();
            sorted.extend(
                window_rows
                    .iter()
                    .enumerate()
                    .map(|(p, &(i, s))| (i, p as u32, s)),
            );
            sorted.sort_unstable_by_key(|e| (e.0, e.1));
            user_start.push(columns.len());
            let from = columns.len();
            for &(i, _, s) in &sorted {
                let n = columns.len();
                if n > from && columns[n - 1].0 == i {
                    columns[n - 1].1 += s;
                } else {
                    columns.push((i, s));
                }
            }
            let mut keep = from;
            for c in from..columns.len() {
                if columns[c].1 != 0.0 {
                    columns[keep] = columns[c];
                    keep += 1;
                }
            }
            columns.truncate(keep);
            for e in &columns[from..] {
                counts[e.0 as usize + 1] += 1;
            }
        }
        user_start.push(columns.len());
        drop(by_user);
        // The matrix by row (item), flat: users ascending within each row.
        for i in 0..n_items {
            counts[i + 1] += counts[i];
        }
        let item_start = counts;
        let mut rows_flat = vec![(0u32, 0.0f64); columns.len()];
        let mut next = item_start.clone();
        for u in 0..n_users {
            for &(i, s) in &columns[user_start[u]..user_start[u + 1]] {
                rows_flat[next[i as usize]] = (u as u32, s);
                next[i as usize] += 1;
            }
        }
        let item_users: Vec<Row> = (0..n_items)
            .map(|i| Row::from(&rows_flat[item_start[i]..item_start[i + 1]]))
            .collect();
        drop(rows_flat);
        let norms: Vec<f64> = item_users.iter().map(|r| norm_of(r)).collect();
        for e in columns.iter_mut() {
            e.1 = normalised(e.1, norms[e.0 as usize]);
        }
        let user_items: Vec<Row> = (0..n_users)
            .map(|u| Row::from(&columns[user_start[u]..user_start[u + 1]]))
            .collect();
        TopKFilter {
            n_items,
            k,
            cap: k + k / 2,
            window,
            item_users,
            user_items,
            recent,
            seen,
            present,
            norms,
            lists: vec![Arc::from([]); n_items],
            tails: vec![Tail::default(); n_items],
            recorded: log.len() as u64,
            scratch: Box::default(),
            journal: None,
        }
    }

    /// Recompute the lists of items `from..to` from the matrix (the build, in chunks).
    pub fn rebuild_lists(&mut self, from: usize, to: usize) {
        for i in from..to.min(self.n_items) {
            self.rebuild_list(i);
        }
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.n_items
    }

    /// Number of users.
    pub fn n_users(&self) -> usize {
        self.user_items.len()
    }

    /// `K`.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Start a trial: from now on every change is noted, and [`end_trial`](Self::end_trial)
    /// puts the filter back exactly as it is now. A trial costs what it changes; a copy costs
    /// a reference count per row (about 260,000 at `large`), which made evaluating a session
    /// on a copy of the environment several times dearer than the session itself. (A trial
    /// already running is ended first.)
    pub fn begin_trial(&mut self) {
        self.end_trial();
        self.journal = Some(Box::new(Journal {
            recorded: self.recorded,
            n_users: self.user_items.len(),
            ..Journal::default()
        }));
    }

    /// End a trial: undo every change since [`begin_trial`](Self::begin_trial). Nothing to do
    /// when no trial runs.
    pub fn end_trial(&mut self) {
        let Some(j) = self.journal.take() else {
            return;
        };
        for u in j.undo.into_iter().rev() {
            match u {
                Undo::ItemUsers(i, r) => self.item_users[i as usize] = r,
                Undo::UserItems(u, r) => self.user_items[u as usize] = r,
                Undo::Recent(u, r) => self.recent[u as usize] = r,
                Undo::Seen(u, r) => self.seen[u as usize] = r,
                Undo::List(i, l) => self.lists[i as usize] = l,
                Undo::Tail(i, t) => self.tails[i as usize] = t,
                Undo::Norm(i, n) => self.norms[i as usize] = n,
                Undo::Present(i, p) => self.present[i as usize] = p,
            }
        }
        self.recorded = j.recorded;
        self.user_items.truncate(j.n_users);
        self.recent.truncate(j.n_users);
        self.seen.truncate(j.n_users);
    }

    /// Save row `idx` of `kind` before a trial changes it for the first time (nothing outside
    /// a trial).
    fn save_row(&mut self, kind: RowKind, idx: usize) {
        let Some(j) = &mut self.journal else {
            return;
        };
        if !j.first(kind, idx) {
            return;
        }
        let i = idx as u32;
        j.undo.push(match kind {
            RowKind::ItemUsers => Undo::ItemUsers(i, self.item_users[idx].clone()),
            RowKind::UserItems => Undo::UserItems(i, self.user_items[idx].clone()),
            RowKind::Recent => Undo::Recent(i, self.recent[idx].clone()),
            RowKind::Seen => Undo::Seen(i, self.seen[idx].clone()),
            RowKind::List => Undo::List(i, self.lists[idx].clone()),
        });
    }

    /// Save list `i` and its tail before a trial changes them.
    fn save_list(&mut self, i: usize) {
        self.save_row(RowKind::List, i);
        if let Some(j) = &mut self.journal {
            j.undo.push(Undo::Tail(i as u32, self.tails[i]));
        }
    }

    /// Add an empty column for a new user; returns its index.
    pub fn add_user(&mut self) -> usize {
        self.user_items.push(Arc::default());
        self.recent.push(Arc::default());
        self.seen.push(Arc::default());
        self.user_items.len() - 1
    }

    /// The matrix the lists are computed from, as `(item, user, value)` for every nonzero
    /// entry, items ascending, users ascending within an item (for the benchmark, which hands
    /// the same matrix to scikit-learn and implicit).
    pub fn matrix_entries(&self) -> impl Iterator<Item = (u32, u32, f64)> + '_ {
        self.item_users
            .iter()
            .enumerate()
            .flat_map(|(i, row)| row.iter().map(move |&(u, v)| (i as u32, u, v)))
    }

    /// Interactions recorded (the log's rows included).
    pub fn n_recorded(&self) -> u64 {
        self.recorded
    }

    /// Whether the user ever interacted with the item.
    pub fn has_seen(&self, user: usize, item: usize) -> bool {
        self.seen[user].binary_search(&(item as u32)).is_ok()
    }

    /// Number of the user's rows inside the window (the rows candidate generation reads).
    pub fn history_len(&self, user: usize) -> usize {
        self.recent[user].len()
    }

    /// Whether the item appears anywhere in the log.
    pub fn is_present(&self, item: usize) -> bool {
        self.present[item]
    }

    /// The aggregated matrix entry (over the window).
    pub fn entry(&self, item: usize, user: usize) -> f64 {
        let row = &self.item_users[item];
        row.binary_search_by_key(&(user as u32), |e| e.0)
            .map_or(0.0, |k| row[k].1)
    }

    /// The user's rows inside the window, oldest first: `(item, score)`.
    pub fn recent_rows(&self, user: usize) -> Vec<(u32, f64)> {
        self.recent[user].iter().copied().collect()
    }

    /// The exact cosine between two items' rows of the windowed matrix (1 for an item with
    /// itself when its row is not empty, 0 when either row is empty), whether or not either
    /// is in the other's top-K list.
    pub fn cosine(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (&self.item_users[i], &self.item_users[j]);
        let (na, nb) = (self.norms[i], self.norms[j]);
        if na == 0.0 || nb == 0.0 {
            return 0.0;
        }
        let (mut x, mut y, mut dot) = (0, 0, 0.0);
        while x < a.len() && y < b.len() {
            match a[x].0.cmp(&b[y].0) {
                std::cmp::Ordering::Less => x += 1,
                std::cmp::Ordering::Greater => y += 1,
                std::cmp::Ordering::Equal => {
                    dot += a[x].1 * b[y].1;
                    x += 1;
                    y += 1;
                }
            }
        }
        dot / (na * nb)
    }

    /// Squared norm of the item's row of the windowed matrix.
    pub fn norm2(&self, item: usize) -> f64 {
        self.norms[item] * self.norms[item]
    }

    /// The item's top neighbours, best first: at most `K`, each `(video, cosine)`.
    pub fn neighbours(&self, item: usize) -> &[(u32, f32)] {
        &self.lists[item][..self.tails[item].len().min(self.k)]
    }

    /// Bytes held by the index and the matrix (capacities, not counting allocator overhead).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let arc = 2 * size_of::<usize>() + size_of::<Vec<u8>>();
        let rows = |v: &Vec<Row>| -> usize {
            v.iter()
                .map(|r| 4 * size_of::<usize>() + r.len() * 16)
                .sum()
        };
        rows(&self.item_users)
            + rows(&self.user_items)
            + self
                .recent
                .iter()
                .map(|r| arc + r.capacity() * 16)
                .sum::<usize>()
            + self
                .seen
                .iter()
                .map(|r| arc + r.capacity() * 4)
                .sum::<usize>()
            + self
                .lists
                .iter()
                .map(|r| 4 * size_of::<usize>() + r.len() * 8)
                .sum::<usize>()
            + self.n_items * (1 + 8 + std::mem::size_of::<Tail>())
            + self.scratch.sums.capacity() * 8
            + self.scratch.pairs.heap_bytes()
            + self.scratch.scores.heap_bytes()
    }

    /// Record one interaction: append it to the user's window (dropping the oldest row beyond
    /// the window), update the changed matrix entries and the index.
    pub fn record(&mut self, item: usize, user: usize, score: f64) {
        if let Some(j) = &mut self.journal {
            j.undo.push(Undo::Present(item as u32, self.present[item]));
        }
        self.save_row(RowKind::Seen, user);
        self.save_row(RowKind::Recent, user);
        self.recorded += 1;
        self.present[item] = true;
        let seen = &mut self.seen[user];
        if let Err(k) = seen.binary_search(&(item as u32)) {
            Arc::make_mut(seen).insert(k, item as u32);
        }
        let recent = Arc::make_mut(&mut self.recent[user]);
        recent.push_back((item as u32, score));
        let mut changed = [item as u32, u32::MAX];
        if self.window.is_some_and(|w| recent.len() > w) {
            if let Some((old, _)) = recent.pop_front() {
                if old as usize != item {
                    changed[1] = old;
                }
            }
        }
        for &i in &changed {
            if i != u32::MAX {
                let value = self.entry_from_window(i, user);
                self.change_entry(i as usize, user, value);
            }
        }
    }

    /// The matrix entry as the sum of the user's rows for the item in window order (so an
    /// entry equals a rebuild's bit for bit, whatever the scores).
    fn entry_from_window(&self, item: u32, user: usize) -> f64 {
        self.recent[user]
            .iter()
            .filter(|r| r.0 == item)
            .fold(0.0, |a, r| a + r.1)
    }

    /// Scatter item `i`'s cosines with every item sharing a user with it into the scratch
    /// slots (`new`), listing the items touched (`i` itself is skipped). Call `scratch.begin`
    /// first.
    fn scatter(&mut self, i: usize) {
        let Self {
            item_users,
            user_items,
            scratch,
            norms,
            ..
        } = self;
        let ni = norms[i];
        let users = &item_users[i];
        // Room to list every write: listing an item is then a store and an add, not a branch
        // on whether its slot was zero, which the processor guessed wrong for about one write
        // in five (most items share one user with `i`, some several).
        let bound: usize = users
            .iter()
            .map(|&(v, _)| user_items[v as usize].len())
            .sum();
        let Scratch { sums, touched, .. } = &mut **scratch;
        let mut listed = touched.len();
        touched.resize(listed + bound, 0);
        for (k, &(v, m_iv)) in users.iter().enumerate() {
            if let Some(&(next, _)) = users.get(k + 1) {
                prefetch(&user_items[next as usize]);
            }
            let a_iv = normalised(m_iv, ni);
            for &(j, a_jv) in user_items[v as usize].iter() {
                let x = j as usize;
                if x == i {
                    continue;
                }
                // A zero slot is listed when first written; one whose sum returns to exactly 0
                // is listed again, which `list_from_sums` tolerates (no mark to keep: the
                // build's hottest loop).
                let sum = &mut sums[x];
                touched[listed] = j;
                listed += usize::from(*sum == 0.0);
                *sum += a_iv * a_jv;
            }
        }
        touched.truncate(listed);
    }

    /// Item `i`'s list from the scattered cosines (`sums`), resetting the touched slots (an
    /// item listed twice reads 0 the second time, and is skipped).
    fn list_from_sums(&mut self, i: usize) {
        let Scratch {
            sums,
            touched,
            cands,
            ..
        } = &mut *self.scratch;
        cands.clear();
        for &j in touched.iter() {
            let c = std::mem::take(&mut sums[j as usize]);
            if c != 0.0 {
                cands.push(key((j, c as f32)));
            }
        }
        self.list_from_cands(i);
    }

    /// Item `i`'s list from the keys of its nonzero neighbours in `scratch.cands` (in any
    /// order).
    fn list_from_cands(&mut self, i: usize) {
        let cands = &mut self.scratch.cands;
        let cap = self.cap;
        let truncated = cands.len() > cap;
        if truncated {
            cands.select_nth_unstable(cap - 1);
            cands.truncate(cap);
        }
        cands.sort_unstable();
        self.save_list(i);
        let cands = &self.scratch.cands;
        if cands.is_empty() && self.tails[i].len() == 0 {
            // Nothing to write: an empty list needs no slots.
            self.tails[i] = Tail::default();
            return;
        }
        let list = slots(&mut self.lists, i, self.cap);
        for (slot, &k) in list.iter_mut().zip(cands.iter()) {
            *slot = unkey(k);
        }
        self.tails[i] = Tail::of(&list[..cands.len()], truncated);
    }

    fn rebuild_list(&mut self, i: usize) {
        self.scratch.begin(self.n_items);
        self.scatter(i);
        self.list_from_sums(i);
    }

    /// Set entry `(i, u)` to `value`; refresh `i`'s norm, its normalised entries and list, and
    /// its place in the lists of the items sharing a user with it (the only similarities that
    /// change).
    fn change_entry(&mut self, i: usize, u: usize, value: f64) {
        let row = &self.item_users[i];
        let (at, previous) = match row.binary_search_by_key(&(u as u32), |e| e.0) {
            Ok(k) => (k, row[k].1),
            Err(k) => (k, 0.0),
        };
        if previous.to_bits() == value.to_bits() || (previous == 0.0 && value == 0.0) {
            // Nothing changes: not the row, its norm, nor any cosine.
            return;
        }
        if let Some(j) = &mut self.journal {
            j.undo.push(Undo::Norm(i as u32, self.norms[i]));
        }
        self.save_row(RowKind::ItemUsers, i);
        if value == 0.0 {
            self.save_row(RowKind::UserItems, u);
        }
        let n_old = self.norms[i];
        set_sorted(&mut self.item_users[i], u as u32, value);
        let n_new = norm_of(&self.item_users[i]);
        self.norms[i] = n_new;
        if value == 0.0 {
            set_sorted(&mut self.user_items[u], i as u32, 0.0);
        }
        // One pass over the users of `i` before or after the change (the rows differ at most by
        // `u`), in ascending order, summing each item's cosine with `i` before the change
        // (`old`: the lists hold exactly these, which says whether `i` is in a list without
        // reading it) and after (`new`), with the same bits as two separate scatters.
        let Self {
            item_users,
            user_items,
            scratch,
            journal,
            ..
        } = self;
        let row = &item_users[i];
        let removed = value == 0.0;
        let bound = row
            .iter()
            .map(|e| user_items[e.0 as usize].len())
            .sum::<usize>()
            + if removed { user_items[u].len() } else { 0 };
        scratch.pairs.begin(bound);
        let n_rows = row.len() + usize::from(removed);
        for k in 0..n_rows {
            let (v, m_new) = if removed && k == at {
                (u as u32, 0.0)
            } else {
                row[k - usize::from(removed && k > at)]
            };
            if let Some(&(next, _)) = row.get(k + 1 - usize::from(removed && k >= at)) {
                prefetch(&user_items[next as usize]);
            }
            let m_old = if v as usize == u { previous } else { m_new };
            let (a_old, a_new) = (normalised(m_old, n_old), normalised(m_new, n_new));
            let column = &mut user_items[v as usize];
            if m_new != 0.0 {
                // Never 0 for a nonzero entry unless the whole row is (then the item has no
                // neighbours, and the 0 stays in the column harmlessly: it adds 0 to every
                // sum).
                let at = column.binary_search_by_key(&(i as u32), |e| e.0);
                if at.map_or(true, |p| column[p].1 != a_new) {
                    if let Some(j) = journal {
                        if j.first(RowKind::UserItems, v as usize) {
                            j.undo.push(Undo::UserItems(v, column.clone()));
                        }
                    }
                }
                match at {
                    Ok(p) if column[p].1 == a_new => {}
                    Ok(p) => Arc::make_mut(column)[p].1 = a_new,
                    Err(p) => insert_at(column, p, (i as u32, a_new)),
                }
            }
            for &(j, a_jv) in column.iter() {
                let x = j as usize;
                if x == i {
                    continue;
                }
                let c = scratch.pairs.sum(j);
                c[0] += a_old * a_jv;
                c[1] += a_new * a_jv;
            }
        }
        let Scratch { pairs, cands, .. } = &mut *self.scratch;
        cands.clear();
        cands.extend(
            pairs
                .entries
                .iter()
                .filter_map(|&(j, _, [_, c])| (c != 0.0).then_some(key((j, c as f32)))),
        );
        self.list_from_cands(i);
        // Two passes, so that the lists to change can be fetched ahead of use: which of the
        // touched items' lists must change (their tails say it), then the changes, in the same
        // order as one pass would make them (each touches only its own list and tail).
        let touched = std::mem::take(&mut self.scratch.pairs.entries);
        let mut moves = std::mem::take(&mut self.scratch.moves);
        moves.clear();
        for (n, &(j, _, [old, new])) in touched.iter().enumerate() {
            if let Some(&(ahead, ..)) = touched.get(n + 8) {
                prefetch(std::slice::from_ref(&self.tails[ahead as usize]));
            }
            let x = j as usize;
            let sim = |c: f64| (c != 0.0).then_some(c as f32);
            let (before_c, after_c) = (sim(old), sim(new));
            if before_c == after_c {
                continue;
            }
            let tail = self.tails[x];
            let member = before_c.is_some_and(|c| tail.holds((i as u32, c)));
            let enters = after_c.is_some_and(|c| tail.admits((i as u32, c)));
            if member || enters {
                // The list's pointer, read when the second pass fetches its entries.
                prefetch(std::slice::from_ref(&self.lists[x]));
                moves.push((j, member, after_c));
            }
        }
        self.scratch.pairs.entries = touched;
        let mut stale = Vec::new();
        for (n, &(j, member, c)) in moves.iter().enumerate() {
            if let Some(&(ahead, ..)) = moves.get(n + 2) {
                prefetch_list(
                    &self.lists[ahead as usize],
                    self.tails[ahead as usize].len(),
                );
            }
            if self.place(j as usize, i as u32, member, c) {
                stale.push(j as usize);
            }
        }
        self.scratch.moves = moves;
        for j in stale {
            self.rebuild_list(j);
        }
    }

    /// Move `i` in `j`'s list (where it is if `member`) to similarity `c` (`None`: no longer
    /// a neighbour). Returns whether the list must be recomputed (a truncated list left with
    /// fewer than `K`).
    fn place(&mut self, j: usize, i: u32, member: bool, c: Option<f32>) -> bool {
        let cap = self.cap;
        let Tail {
            mut truncated, len, ..
        } = self.tails[j];
        let mut len = usize::from(len);
        self.save_list(j);
        let list = slots(&mut self.lists, j, cap);
        if member {
            if let Some(p) = list[..len].iter().position(|e| e.0 == i) {
                list.copy_within(p + 1..len, p);
                len -= 1;
            }
        }
        if let Some(c) = c {
            let e = (i, c);
            let at = list[..len].partition_point(|&x| before(x, e));
            if !truncated || at < len {
                if at == cap {
                    // It ranks after every entry of a full list: it is left out.
                    truncated = true;
                } else {
                    if len == cap {
                        // The last entry drops out, and joins the left-out ones.
                        len -= 1;
                        truncated = true;
                    }
                    list.copy_within(at..len, at + 1);
                    list[at] = e;
                    len += 1;
                }
            }
            // Else: it ranks after every listed neighbour of a truncated list; it joins the
            // left-out ones.
        }
        self.tails[j] = Tail::of(&list[..len], truncated);
        truncated && len < self.k
    }

    /// `get_recom`'s raw scores over the top-K index: for the user's rows `(h, s)` in the
    /// window, `sum of s * similarity(h, j)` over `j` among `h`'s top `K` neighbours, for every
    /// such `j` the user never saw, as `(item, score)` pairs in no particular order.
    pub fn raw_scores(&mut self, user: usize) -> Vec<(usize, f64)> {
        let k = self.k;
        let Self {
            recent,
            seen,
            lists,
            tails,
            scratch,
            ..
        } = self;
        let (seen, rows) = (&seen[user], &recent[user]);
        let scores = &mut scratch.scores;
        scores.begin(seen.len() + rows.len() * k);
        // Seen items are written first, so they are the first entries, left out below.
        for &j in seen.iter() {
            scores.sum(j);
        }
        for (n, &(h, s)) in rows.iter().enumerate() {
            // Each list is behind its pointer: fetch the pointer and the length four rows
            // ahead, the entries two rows ahead.
            if let Some(&(ahead, _)) = rows.get(n + 4) {
                prefetch(std::slice::from_ref(&lists[ahead as usize]));
                prefetch(std::slice::from_ref(&tails[ahead as usize]));
            }
            if let Some(&(ahead, _)) = rows.get(n + 2) {
                let l = &lists[ahead as usize];
                prefetch(&l[..tails[ahead as usize].len().min(k)]);
            }
            if s == 0.0 {
                continue;
            }
            let l = &lists[h as usize];
            for &(j, sim) in &l[..tails[h as usize].len().min(k)] {
                *scores.sum(j) += s * sim as f64;
            }
        }
        scores.entries[seen.len()..]
            .iter()
            .map(|&(j, _, c)| (j as usize, c))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Brute force: the windowed matrix, every cosine, each item's top `k`.
    fn brute_top_k(
        n_items: usize,
        n_users: usize,
        log: &[(usize, usize, f64)],
        k: usize,
        window: Option<usize>,
    ) -> Vec<Vec<(u32, f32)>> {
        let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n_users];
        for &(i, u, s) in log {
            rows[u].push((i, s));
        }
        let mut m = vec![vec![0.0f64; n_users]; n_items];
        for (u, r) in rows.iter().enumerate() {
            let start = window.map_or(0, |w| r.len().saturating_sub(w));
            for &(i, s) in &r[start..] {
                m[i][u] += s;
            }
        }
        let norm = |i: usize| {
            let n2: f64 = m[i].iter().map(|x| x * x).sum();
            if n2 <= ZERO_NORM {
                0.0
            } else {
                n2.sqrt()
            }
        };
        (0..n_items)
            .map(|i| {
                let mut v: Vec<(u32, f32)> = (0..n_items)
                    .filter(|&j| j != i)
                    .filter_map(|j| {
                        // Over common users only, in ascending order, as the index sums.
                        let cos: f64 = (0..n_users)
                            .filter(|&u| m[i][u] != 0.0 && m[j][u] != 0.0)
                            .map(|u| normalised(m[i][u], norm(i)) * normalised(m[j][u], norm(j)))
                            .fold(0.0, |a, x| a + x);
                        (cos != 0.0).then_some((j as u32, cos as f32))
                    })
                    .collect();
                v.sort_by(rank);
                v.truncate(k);
                v
            })
            .collect()
    }

    fn log_strategy(
        n_items: usize,
        n_users: usize,
    ) -> impl Strategy<Value = Vec<(usize, usize, f64)>> {
        let score = prop::sample::select(vec![1.0, -2.0, 2.0, -0.5, -1.0, 0.25, 0.0]);
        prop::collection::vec((0..n_items, 0..n_users, score), 0..120)
    }

    fn check(
        f: &TopKFilter,
        all: &[(usize, usize, f64)],
        n_items: usize,
        n_users: usize,
        k: usize,
        window: Option<usize>,
    ) -> Result<(), TestCaseError> {
        let brute = brute_top_k(n_items, n_users, all, k, window);
        for (i, expected) in brute.iter().enumerate() {
            prop_assert_eq!(f.neighbours(i), &expected[..], "item {}", i);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn index_equals_brute_force_after_incremental_updates(
            initial in log_strategy(14, 6),
            extra in log_strategy(14, 6),
            k in 1usize..6,
            window in prop::option::of(1usize..12),
        ) {
            let mut f = TopKFilter::from_log(14, 6, &initial, k, window);
            check(&f, &initial, 14, 6, k, window)?;
            let mut all = initial.clone();
            for &(i, u, s) in &extra {
                f.record(i, u, s);
                all.push((i, u, s));
                check(&f, &all, 14, 6, k, window)?;
            }
            // A rebuild from the whole log agrees with the incremental index.
            let rebuilt = TopKFilter::from_log(14, 6, &all, k, window);
            for i in 0..14 {
                prop_assert_eq!(f.neighbours(i), rebuilt.neighbours(i));
            }
        }
    }

    /// Everything a filter holds but its scratch space and journal, as text (`{:?}` prints
    /// every f64 so that it reads back to the same bits).
    fn state(f: &TopKFilter) -> String {
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {}",
            f.item_users,
            f.user_items,
            f.recent,
            f.seen,
            f.present,
            f.norms,
            f.lists
                .iter()
                .zip(&f.tails)
                .map(|(l, t)| &l[..t.len()])
                .collect::<Vec<_>>(),
            f.tails,
            f.recorded
        )
    }

    proptest! {
        #[test]
        fn a_trial_puts_back_exactly_what_it_changed(
            initial in log_strategy(14, 6),
            before in log_strategy(14, 6),
            trial in log_strategy(14, 6),
            after in log_strategy(14, 6),
            k in 1usize..6,
            window in prop::option::of(1usize..12),
            add_users in 0usize..2,
        ) {
            let mut f = TopKFilter::from_log(14, 6, &initial, k, window);
            for &(i, u, s) in &before {
                f.record(i, u, s);
            }
            let snapshot = state(&f);
            let mut copy = f.clone();
            f.begin_trial();
            for _ in 0..add_users {
                f.add_user();
            }
            for &(i, u, s) in &trial {
                f.record(i, u, s);
            }
            // The trial saw what a copy sees.
            for &(i, u, s) in &trial {
                copy.record(i, u, s);
            }
            for i in 0..14 {
                prop_assert_eq!(f.neighbours(i), copy.neighbours(i));
            }
            f.end_trial();
            prop_assert_eq!(state(&f), snapshot);
            // And it goes on as if the trial never happened.
            let mut all = initial.clone();
            all.extend(&before);
            for &(i, u, s) in &after {
                f.record(i, u, s);
                all.push((i, u, s));
            }
            check(&f, &all, 14, 6, k, window)?;
        }
    }

    proptest! {
        #[test]
        fn a_sum_table_sums_like_one_slot_per_item(
            scatters in prop::collection::vec(
                prop::collection::vec((0u32..300, -4i32..5), 0..200),
                1..4,
            ),
        ) {
            // Several scatters in one table, as the filter reuses it: each starts from 0.
            let mut t = SumTable::<f64>::default();
            for adds in &scatters {
                t.begin(adds.len());
                let mut slots = vec![0.0f64; 300];
                let mut order = Vec::new();
                for &(j, x) in adds {
                    if !order.contains(&j) {
                        order.push(j);
                    }
                    slots[j as usize] += f64::from(x) * 0.1;
                    *t.sum(j) += f64::from(x) * 0.1;
                }
                let got: Vec<(u32, u64)> =
                    t.entries.iter().map(|e| (e.0, e.2.to_bits())).collect();
                let want: Vec<(u32, u64)> =
                    order.iter().map(|&j| (j, slots[j as usize].to_bits())).collect();
                prop_assert_eq!(got, want);
                prop_assert!(t.slots.len() >= 2 * adds.len());
            }
        }
    }

    #[test]
    fn keys_sort_in_rank_order_and_decode_exactly() {
        let sims = [
            0.5f32,
            -0.5,
            1.0,
            -1.0,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            1e-30,
            0.25,
            0.2500001,
            -0.0,
            0.0,
        ];
        let mut v: Vec<Neighbour> = Vec::new();
        for (n, &c) in sims.iter().enumerate() {
            v.push((n as u32, c));
            v.push((100 - n as u32, c));
        }
        for &e in &v {
            let back = unkey(key(e));
            assert_eq!((back.0, back.1.to_bits()), (e.0, e.1.to_bits()));
        }
        let mut by_rank = v.clone();
        by_rank.sort_by(rank);
        let mut by_key: Vec<u64> = v.iter().map(|&e| key(e)).collect();
        by_key.sort_unstable();
        let by_key: Vec<Neighbour> = by_key.into_iter().map(unkey).collect();
        assert_eq!(
            by_key
                .iter()
                .map(|e| (e.0, e.1.to_bits()))
                .collect::<Vec<_>>(),
            by_rank
                .iter()
                .map(|e| (e.0, e.1.to_bits()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn raw_scores_follow_the_index_and_skip_seen_items() {
        // User 0 saw items 0 and 1 (item 1 twice, so with window 2 item 0 leaves the window
        // but stays seen); user 1 saw 0, 2, 3.
        let log = vec![
            (0, 0, 1.0),
            (1, 0, 2.0),
            (0, 1, 1.0),
            (2, 1, 2.0),
            (3, 1, -2.0),
            (1, 1, 1.0),
        ];
        let mut f = TopKFilter::from_log(5, 2, &log, 3, Some(3));
        f.record(1, 0, 1.0);
        f.record(1, 0, 1.0);
        assert_eq!(f.history_len(0), 3);
        assert_eq!(f.entry(0, 0), 0.0, "item 0 left user 0's window");
        assert!(f.has_seen(0, 0));
        let mut s = f.raw_scores(0);
        s.sort_by_key(|p| p.0);
        assert!(s.iter().all(|p| p.0 != 0 && p.0 != 1), "{s:?}");
        for &(j, score) in &s {
            let expected: f64 = [(1u32, 2.0), (1, 1.0), (1, 1.0)]
                .iter()
                .map(|&(h, w)| {
                    w * f
                        .neighbours(h as usize)
                        .iter()
                        .find(|e| e.0 as usize == j)
                        .map_or(0.0, |e| e.1 as f64)
                })
                .sum();
            assert!((score - expected).abs() < 1e-12);
        }
        // The scratch space is clean: a second call agrees.
        let mut again = f.raw_scores(0);
        again.sort_by_key(|p| p.0);
        assert_eq!(again, s);
    }

    #[test]
    fn matrix_entries_are_the_windowed_sums() {
        // User 0: item 1 twice (summed), then item 2, which pushes item 0 out of a window of 3.
        // User 1: item 3 scored +2 then -2 (a zero entry, left out).
        let log = vec![
            (0, 0, 1.0),
            (1, 0, 2.0),
            (3, 1, 2.0),
            (1, 0, 0.5),
            (3, 1, -2.0),
            (2, 0, 4.0),
            (4, 1, 1.0),
        ];
        let f = TopKFilter::from_log(5, 2, &log, 3, Some(3));
        let entries: Vec<(u32, u32, f64)> = f.matrix_entries().collect();
        assert_eq!(entries, vec![(1, 0, 2.5), (2, 0, 4.0), (4, 1, 1.0)]);
        for &(i, u, v) in &entries {
            assert_eq!(f.entry(i as usize, u as usize), v);
        }
    }
}
