//! The kernels over the compact layout: which leaf each (row, tree) reaches.
//!
//! A walk is a chain of dependent loads (node, then the row's feature, then the child), so
//! one walk at a time leaves the core waiting on memory, and a branch per split mispredicts
//! on real rows. The kernels walk `LANES` independent (row, tree) pairs in lock step
//! instead, branch-free, so their loads overlap: a batch takes `LANES` rows through the same
//! tree (blocked row interleaving, as XGBoost's and treelite's predictors do), one row takes
//! `LANES` trees at once. A lane that reached its leaf keeps its (negative) reference and
//! re-reads node 0 without effect; the loop ends when every lane is done. Measured against
//! one walk at a time, 4 and 16 lanes, and lanes refilled as they finish: 8 in lock step
//! was best or tied on the models tried (BENCHMARKS.md, "Tree kernels"). Models small enough
//! for the first-level cache walk one branchy walk at a time instead (`for_each_leaf`).
//!
//! The lock step is bound by its instructions (~26 a lane-step on an Ice Lake core, 8 lanes
//! in ~50 cycles: ~4 a cycle), not by memory: rows without a NaN, almost all of them, take
//! a step without the missing-value routing, five instructions fewer (BENCHMARKS.md, "Tree
//! kernels": 8-byte nodes, more lanes and AVX-512 gathers lost for that reason). For the
//! same reason a lock step skips the finished-lane handling until some lane is at a leaf
//! (5-25% fewer instructions on the suite's tree models, "the lock step in two phases").
//!
//! The drivers call back `(row, tree, leaf)` with every row meeting its trees in file order,
//! so a per-row sum in the callback has the reference's bits whatever the interleaving.
//!
//! Indexing is unchecked in the loops, sound because the layout is built whole by
//! `CompactTrees::build` (every reference is a node it wrote or a leaf) and each driver
//! checks once that the rows are at least `min_width` wide.

use alloc::vec::Vec;

use super::{CompactTrees, SplitValue};

/// (row, tree) pairs walked in lock step.
pub const LANES: usize = 8;

/// Models with at most this many bytes of splits are walked one branchy walk at a time
/// (`for_each_leaf`).
pub const SMALL_BYTES: usize = 32 << 10;

impl<T: SplitValue> CompactTrees<T> {
    /// The leaf id `row` reaches in tree `tree`: one walk, with checked indexing (the
    /// property tests' view of one walk).
    #[inline]
    pub fn leaf(&self, tree: usize, row: &[T]) -> u32 {
        let mut c = self.roots[tree];
        while c >= 0 {
            c = self.nodes[c as usize].next(row);
        }
        !c as u32
    }

    /// One walk of tree `tree` on the row at `row`, branching on each test (see
    /// `CompactNode::choose_branchy`).
    ///
    /// # Safety
    /// `row` points at `min_width` readable values.
    #[inline(always)]
    unsafe fn walk(&self, tree: usize, row: *const T) -> u32 {
        let nodes = self.nodes.as_ptr();
        let mut c = self.roots[tree];
        while c >= 0 {
            // SAFETY: a non-negative reference is a node index (`build`); the node's feature
            // is below `min_width`.
            let n = unsafe { &*nodes.add(c as usize) };
            c = n.choose_branchy(unsafe { *row.add(n.feature()) });
        }
        !c as u32
    }

    /// The leaf ids of `LANES` walks started at `cur`, lane `l` on the row at
    /// `rows + l * stride` (`stride` 0: one row for every lane). With `nan` false the
    /// steps skip the missing-value routing (`choose_not_nan`), and where the value type
    /// says so (`SplitValue::BRANCHY_ONE_ROW`) the lanes of one row branch on their tests
    /// (`choose_not_nan_branchy`).
    ///
    /// # Safety
    /// Every lane's row points at `min_width` readable values, none of them NaN when `nan`
    /// is false.
    #[inline(always)]
    unsafe fn lock_step(
        &self,
        cur: [i32; LANES],
        rows: *const T,
        stride: usize,
        nan: bool,
    ) -> [u32; LANES] {
        // SAFETY: the caller's.
        unsafe {
            if nan {
                self.lock_step_with::<true, false>(cur, rows, stride)
            } else if stride == 0 && T::BRANCHY_ONE_ROW {
                self.lock_step_with::<false, true>(cur, rows, stride)
            } else {
                self.lock_step_with::<false, false>(cur, rows, stride)
            }
        }
    }

    /// `lock_step`, compiled with or without the missing-value routing, and for rows
    /// without NaN with the tests as selects or as branches (`BRANCHY`).
    ///
    /// Branches or selects: a batch's lanes are rows in one tree, and its tests as branches
    /// mispredict often (2.2-2.9x slower on the suite's tree models, BENCHMARKS.md
    /// "Tree kernels"); one row's lanes are trees, each a walk from memory for a large model,
    /// and there the core running ahead on predicted branches, loading the next nodes
    /// early, wins (1.2-1.3x on the suite's forests and deep boosting).
    ///
    /// Inlined into each caller natively (the stride-0 lanes of one row share a register,
    /// and the leaf callbacks fuse: 6-8% fewer instructions than a call); one copy per
    /// value type in wasm, where each inlined copy costs the browser module's size budget.
    ///
    /// # Safety
    /// As `lock_step`'s, `NAN` for its `nan`.
    #[cfg_attr(not(target_family = "wasm"), inline(always))]
    #[cfg_attr(target_family = "wasm", inline(never))]
    unsafe fn lock_step_with<const NAN: bool, const BRANCHY: bool>(
        &self,
        mut cur: [i32; LANES],
        rows: *const T,
        stride: usize,
    ) -> [u32; LANES] {
        let nodes = self.nodes.as_ptr();
        // Lane `l`'s step from split `c`.
        let step = |l: usize, c: i32| {
            // SAFETY: `c` is a node index (each loop's own argument); features are below
            // `min_width`, the caller's rows that wide.
            let n = unsafe { &*nodes.add(c as usize) };
            let x = unsafe { *rows.add(l * stride + n.feature()) };
            if NAN {
                n.choose(x)
            } else if BRANCHY {
                n.choose_not_nan_branchy(x)
            } else {
                n.choose_not_nan(x)
            }
        };
        // While every lane is at a split (the OR of the references is not negative), the
        // steps need no finished-lane handling (the clamp and the keep, 5 instructions a
        // lane-step; see the module doc).
        while cur.iter().fold(0, |any, c| any | c) >= 0 {
            for (l, c) in cur.iter_mut().enumerate() {
                *c = step(l, *c);
            }
        }
        // Then until every lane is at a leaf (the AND is negative): a finished lane keeps
        // its reference and re-reads node 0 (it exists: some lane is still walking).
        while cur.iter().fold(-1, |all, c| all & c) >= 0 {
            for (l, c) in cur.iter_mut().enumerate() {
                let next = step(l, (*c).max(0));
                *c = if *c >= 0 { next } else { *c };
            }
        }
        cur.map(|c| !c as u32)
    }

    fn check_rows(&self, rows: &[T], width: usize) -> usize {
        assert!(
            width >= self.min_width.max(1),
            "rows too narrow for the trees"
        );
        rows.len() / width
    }

    /// `leaf(row, tree, leaf id)` for every row of `rows` (row-major, `width` values each)
    /// and every tree, tree by tree, `LANES` rows of a tree at a time: the tree's nodes stay
    /// in cache while the rows go through it. Every row meets its trees in order.
    ///
    /// Panics if `width` is below `min_width()`.
    pub fn for_each_leaf_by_tree(
        &self,
        rows: &[T],
        width: usize,
        mut leaf: impl FnMut(usize, usize, u32),
    ) {
        let n_rows = self.check_rows(rows, width);
        let lanes = n_rows / LANES * LANES;
        // Per group of `LANES` rows, whether any value is NaN: once, for every tree.
        let nan: Vec<bool> = rows[..lanes * width]
            .chunks_exact(LANES * width)
            .map(|group| group.iter().any(|x| x.is_nan()))
            .collect();
        for t in 0..self.roots.len() {
            let start = [self.roots[t]; LANES];
            for (b, &nan) in nan.iter().enumerate() {
                // SAFETY: rows `b * LANES ..` are inside `rows`, each `width >= min_width`;
                // with `nan` false, none of them holds a NaN.
                let leaves = unsafe {
                    self.lock_step(start, rows.as_ptr().add(b * LANES * width), width, nan)
                };
                for (l, id) in leaves.into_iter().enumerate() {
                    leaf(b * LANES + l, t, id);
                }
            }
            for r in lanes..n_rows {
                // SAFETY: as above.
                leaf(r, t, unsafe { self.walk(t, rows.as_ptr().add(r * width)) });
            }
        }
    }

    /// `leaf(tree, leaf id)` for every tree, in tree order, for one row: `LANES` trees at a
    /// time in lock step (a single row's latency).
    ///
    /// Panics if `row` is narrower than `min_width()`.
    pub fn for_each_leaf_of_row(&self, row: &[T], mut leaf: impl FnMut(usize, u32)) {
        self.check_rows(row, row.len());
        let n_trees = self.roots.len();
        let lanes = n_trees / LANES * LANES;
        let nan = row.iter().any(|x| x.is_nan());
        for (g, starts) in self.roots[..lanes].chunks_exact(LANES).enumerate() {
            let starts = starts.try_into().expect("LANES roots");
            // SAFETY: every lane reads the one row, `min_width` wide (checked), without a
            // NaN when `nan` is false.
            let leaves = unsafe { self.lock_step(starts, row.as_ptr(), 0, nan) };
            for (j, id) in leaves.into_iter().enumerate() {
                leaf(g * LANES + j, id);
            }
        }
        for t in lanes..n_trees {
            // SAFETY: as above.
            leaf(t, unsafe { self.walk(t, row.as_ptr()) });
        }
    }

    /// `leaf(row, tree, leaf id)` for every row and every tree, row by row, one branchy walk
    /// at a time (`walk`): what small models get (see `for_each_leaf`).
    ///
    /// Panics if `width` is below `min_width()`.
    pub fn for_each_leaf_by_row(
        &self,
        rows: &[T],
        width: usize,
        mut leaf: impl FnMut(usize, usize, u32),
    ) {
        let n_rows = self.check_rows(rows, width);
        for r in 0..n_rows {
            for t in 0..self.roots.len() {
                // SAFETY: row `r` is inside `rows`, `width >= min_width` (checked).
                leaf(r, t, unsafe { self.walk(t, rows.as_ptr().add(r * width)) });
            }
        }
    }

    /// `leaf(row, tree, leaf id)` for every row of `rows` and every tree, each row meeting
    /// its trees in order. Splits that fit a first-level cache (`SMALL_BYTES`: the zoo's
    /// 15-tree forests) are walked row by row, one branchy walk at a time: nothing waits on
    /// memory there, and the branches of repeated rows are learnt (criterion's zoo bench
    /// repeats ~200 rows; lock-stepped lanes were 0.6-0.9x there). Larger models go by tree
    /// in lock-stepped rows for a batch, by row in lock-stepped trees when there are fewer
    /// rows than lanes (and enough trees to fill them).
    ///
    /// Panics if `width` is below `min_width()`.
    pub fn for_each_leaf(&self, rows: &[T], width: usize, mut leaf: impl FnMut(usize, usize, u32)) {
        let n_rows = self.check_rows(rows, width);
        if self.node_bytes() <= SMALL_BYTES {
            self.for_each_leaf_by_row(rows, width, leaf);
        } else if n_rows < LANES && self.roots.len() >= LANES {
            for (r, row) in rows.chunks_exact(width).enumerate() {
                self.for_each_leaf_of_row(row, |t, id| leaf(r, t, id));
            }
        } else {
            self.for_each_leaf_by_tree(rows, width, leaf);
        }
    }
}
