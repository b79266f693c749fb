//! Student × item matrices for matrix factorisation, a time-ordered held-out split, and the
//! vectorised batch sampler.
//!
//! Why a sampler of whole batches: the MF reference notebook profiles PyTorch's per-item `Dataset` +
//! `DataLoader` and finds 65–90% of an epoch spent building examples one at a time. Here a batch is
//! drawn at once: `B` random indices into flat (user, item, rating) arrays, gathered into three
//! vectors; BPR negatives are drawn for the whole batch and only the ones that hit an item the
//! user has (a binary search in the user's sorted row) are redrawn. `classlens bench sampler`
//! measures the share this takes of an epoch.
//!
//! The split is by time, not at random: each student's most recent distinct items are held out,
//! so the model is scored on what a student did *next*, never on a shuffle of the same period.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{EventKind, Interactions};

/// What a cell of the matrix holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RatingKind {
    /// Answered problems: the student's share of correct answers on the problem (0..1).
    Correct,
    /// Reading sessions: ln(1 + total seconds read) of the title.
    Seconds,
    /// Any event: 1 (implicit feedback, for BPR).
    Implicit,
}

impl RatingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RatingKind::Correct => "correct",
            RatingKind::Seconds => "seconds",
            RatingKind::Implicit => "implicit",
        }
    }
}

/// One observed (user, item) cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub user: u32,
    pub item: u32,
    pub rating: f32,
}

/// A sparse student × item matrix: flat cells (for sampling) and, per user, their items sorted
/// (for negative rejection and for masking known items in a full ranking).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ratings {
    pub n_users: usize,
    pub n_items: usize,
    pub users: Vec<u32>,
    pub items: Vec<u32>,
    pub ratings: Vec<f32>,
    /// CSR: the items of user `u` are `row_items[row_start[u]..row_start[u + 1]]`, sorted.
    row_start: Vec<usize>,
    row_items: Vec<u32>,
}

impl Ratings {
    pub fn from_cells(n_users: usize, n_items: usize, cells: &[Cell]) -> Self {
        let mut by_user: Vec<Vec<u32>> = vec![Vec::new(); n_users];
        for c in cells {
            by_user[c.user as usize].push(c.item);
        }
        let mut row_start = Vec::with_capacity(n_users + 1);
        let mut row_items = Vec::with_capacity(cells.len());
        row_start.push(0);
        for mut items in by_user {
            items.sort_unstable();
            items.dedup();
            row_items.extend(items);
            row_start.push(row_items.len());
        }
        Self {
            n_users,
            n_items,
            users: cells.iter().map(|c| c.user).collect(),
            items: cells.iter().map(|c| c.item).collect(),
            ratings: cells.iter().map(|c| c.rating).collect(),
            row_start,
            row_items,
        }
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The sorted items of `user`.
    pub fn user_items(&self, user: u32) -> &[u32] {
        let u = user as usize;
        if u + 1 >= self.row_start.len() {
            return &[];
        }
        &self.row_items[self.row_start[u]..self.row_start[u + 1]]
    }

    pub fn has(&self, user: u32, item: u32) -> bool {
        self.user_items(user).binary_search(&item).is_ok()
    }

    pub fn mean_rating(&self) -> f32 {
        if self.ratings.is_empty() { 0.0 } else { (self.ratings.iter().map(|&r| r as f64).sum::<f64>() / self.ratings.len() as f64) as f32 }
    }
}

/// The training and held-out matrices over one id space (the source's student and item indices).
#[derive(Debug, Clone, PartialEq)]
pub struct MfSplit {
    pub train: Ratings,
    pub test: Ratings,
    /// Held-out cells dropped because no training student has the item (a factor model knows
    /// nothing of it).
    pub cold_items_dropped: usize,
    /// Students with a single distinct item: all of it is training data.
    pub users_without_test: usize,
}

/// Builds the matrix from `data` and holds out, per student, the last `test_frac` of their
/// distinct items in time order (at least one when they have two or more).
pub fn mf_split(data: &Interactions, kind: RatingKind, test_frac: f64) -> Result<MfSplit, String> {
    if !(0.0..1.0).contains(&test_frac) {
        return Err(format!("the held-out share must be in [0, 1), got {test_frac}"));
    }
    let want = |k: EventKind| match kind {
        RatingKind::Correct => k == EventKind::Problem,
        RatingKind::Seconds => k == EventKind::Reading,
        RatingKind::Implicit => true,
    };
    // Per student: items in order of first appearance, and the running sum for the cell's rating.
    let mut order: Vec<usize> = (0..data.events.len()).filter(|&i| want(data.events[i].kind)).collect();
    if order.is_empty() {
        return Err(match kind {
            RatingKind::Correct => "no answered problems in the data (--rating correct needs a log of answers)".into(),
            RatingKind::Seconds => "no reading sessions in the data (--rating seconds needs a reading log)".into(),
            RatingKind::Implicit => "no events in the data".into(),
        });
    }
    order.sort_by_key(|&i| {
        let e = &data.events[i];
        (e.student, e.time.unwrap_or(i64::MIN), e.order)
    });
    let mut per_user: Vec<Vec<(u32, f64, u32)>> = vec![Vec::new(); data.students.len()];
    let mut slot: HashMap<(u32, u32), usize> = HashMap::new();
    for &i in &order {
        let e = &data.events[i];
        let value = match kind {
            RatingKind::Correct => f64::from(u8::from(e.correct.unwrap_or(false))),
            RatingKind::Seconds => e.seconds.unwrap_or(0.0).max(0.0) as f64,
            RatingKind::Implicit => 1.0,
        };
        let row = &mut per_user[e.student as usize];
        match slot.get(&(e.student, e.item)) {
            Some(&k) => {
                row[k].1 += value;
                row[k].2 += 1;
            }
            None => {
                slot.insert((e.student, e.item), row.len());
                row.push((e.item, value, 1));
            }
        }
    }
    let rating = |sum: f64, n: u32| -> f32 {
        match kind {
            RatingKind::Correct => (sum / n as f64) as f32,
            RatingKind::Seconds => sum.ln_1p() as f32,
            RatingKind::Implicit => 1.0,
        }
    };
    let (mut train, mut test, mut users_without_test) = (Vec::new(), Vec::new(), 0usize);
    for (u, row) in per_user.iter().enumerate() {
        if row.is_empty() {
            continue;
        }
        let held = if row.len() >= 2 && test_frac > 0.0 { ((row.len() as f64 * test_frac).round() as usize).clamp(1, row.len() - 1) } else { 0 };
        if held == 0 {
            users_without_test += 1;
        }
        let cut = row.len() - held;
        for (k, &(item, sum, n)) in row.iter().enumerate() {
            let cell = Cell { user: u as u32, item, rating: rating(sum, n) };
            if k < cut { train.push(cell) } else { test.push(cell) }
        }
    }
    let mut known = vec![false; data.items.len()];
    train.iter().for_each(|c| known[c.item as usize] = true);
    let before = test.len();
    test.retain(|c| known[c.item as usize]);
    let (n_users, n_items) = (data.students.len(), data.items.len());
    Ok(MfSplit {
        train: Ratings::from_cells(n_users, n_items, &train),
        test: Ratings::from_cells(n_users, n_items, &test),
        cold_items_dropped: before - test.len(),
        users_without_test,
    })
}

/// One batch: parallel vectors. `negatives` is empty unless the sampler draws them (BPR).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MfBatch {
    pub users: Vec<i64>,
    pub items: Vec<i64>,
    pub ratings: Vec<f32>,
    pub negatives: Vec<i64>,
}

/// Draws whole batches: an epoch is `ceil(len / batch)` batches of cells drawn uniformly with
/// replacement (the reference notebook's `InteractionIterator`), seeded from `(seed, epoch)` so a resumed run
/// draws what the uninterrupted run would have.
pub struct BatchSampler<'a> {
    data: &'a Ratings,
    batch: usize,
    negatives: bool,
    rng: ChaCha8Rng,
    drawn: usize,
}

impl<'a> BatchSampler<'a> {
    pub fn new(data: &'a Ratings, batch: usize, negatives: bool, seed: u64, epoch: usize) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(seed ^ (epoch as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
        Self { data, batch: batch.max(1), negatives, rng, drawn: 0 }
    }

    pub fn batches(&self) -> usize {
        self.data.len().div_ceil(self.batch)
    }
}

impl Iterator for BatchSampler<'_> {
    type Item = MfBatch;

    fn next(&mut self) -> Option<MfBatch> {
        let n = self.data.len();
        if self.drawn >= n {
            return None;
        }
        let size = self.batch.min(n - self.drawn);
        self.drawn += size;
        let idx: Vec<usize> = (0..size).map(|_| self.rng.random_range(0..n)).collect();
        let d = self.data;
        let mut b = MfBatch {
            users: idx.iter().map(|&i| d.users[i] as i64).collect(),
            items: idx.iter().map(|&i| d.items[i] as i64).collect(),
            ratings: idx.iter().map(|&i| d.ratings[i]).collect(),
            negatives: Vec::new(),
        };
        if self.negatives {
            let n_items = d.n_items as u32;
            b.negatives = (0..size).map(|_| self.rng.random_range(0..n_items) as i64).collect();
            for (k, &u) in b.users.iter().enumerate() {
                let row = d.user_items(u as u32);
                // A user who has every item has no negative: keep the draw (its loss is noise).
                if row.len() >= d.n_items {
                    continue;
                }
                while row.binary_search(&(b.negatives[k] as u32)).is_ok() {
                    b.negatives[k] = self.rng.random_range(0..n_items) as i64;
                }
            }
        }
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Event, EventKind, Interactions};

    fn log(rows: &[(&str, &str, bool, i64)]) -> Interactions {
        let mut d = Interactions::new();
        for (k, &(s, item, correct, t)) in rows.iter().enumerate() {
            let student = d.student(s);
            let item = d.items.intern(item);
            d.events.push(Event {
                student,
                item,
                skills: vec![],
                correct: Some(correct),
                time: Some(t),
                order: k as u64,
                seconds: None,
                kind: EventKind::Problem,
            });
        }
        d
    }

    #[test]
    fn the_split_holds_out_each_students_latest_items() {
        // a answers p1 twice (once right), then p2, then p3; b answers p3 then p1.
        let d = log(&[("a", "p1", true, 1), ("a", "p1", false, 2), ("b", "p3", true, 3), ("a", "p2", true, 4), ("a", "p3", false, 5), ("b", "p1", true, 6)]);
        let s = mf_split(&d, RatingKind::Correct, 0.34).unwrap();
        // a: 3 distinct items, round(1.02) = 1 held out (p3); b: 2 items, 1 held out (p1).
        let cells = |r: &Ratings| {
            (0..r.len()).map(|k| (d.students.name(r.users[k]).to_string(), d.items.name(r.items[k]).to_string(), r.ratings[k])).collect::<Vec<_>>()
        };
        assert_eq!(cells(&s.train), [("a".into(), "p1".into(), 0.5), ("a".into(), "p2".into(), 1.0), ("b".into(), "p3".into(), 1.0)]);
        assert_eq!(cells(&s.test), [("a".into(), "p3".into(), 0.0), ("b".into(), "p1".into(), 1.0)]);
        assert_eq!((s.cold_items_dropped, s.users_without_test), (0, 0));
        // An item only ever held out is dropped from the test matrix, and counted.
        let d2 = log(&[("a", "p1", true, 1), ("a", "q", true, 2)]);
        let s2 = mf_split(&d2, RatingKind::Correct, 0.5).unwrap();
        assert_eq!((s2.test.len(), s2.cold_items_dropped), (0, 1));
        assert!(mf_split(&d2, RatingKind::Seconds, 0.5).unwrap_err().contains("no reading sessions"));
    }

    #[test]
    fn the_sampler_covers_an_epoch_in_whole_batches_and_rejects_known_negatives() {
        let cells: Vec<Cell> = (0..50u32).flat_map(|u| (0..8u32).map(move |i| Cell { user: u, item: (u + i * 3) % 10, rating: 1.0 })).collect();
        let r = Ratings::from_cells(50, 10, &cells);
        let sampler = BatchSampler::new(&r, 64, true, 7, 1);
        assert_eq!(sampler.batches(), 7);
        let batches: Vec<MfBatch> = sampler.collect();
        assert_eq!(batches.iter().map(|b| b.users.len()).sum::<usize>(), 400);
        assert_eq!(batches.last().unwrap().users.len(), 400 - 6 * 64);
        for b in &batches {
            for k in 0..b.users.len() {
                assert!(r.has(b.users[k] as u32, b.items[k] as u32), "positives are the user's items");
                assert!(!r.has(b.users[k] as u32, b.negatives[k] as u32), "negatives are not");
            }
        }
        // Same seed and epoch: same draws; another epoch: other draws.
        let again: Vec<MfBatch> = BatchSampler::new(&r, 64, true, 7, 1).collect();
        assert_eq!(again, batches);
        let other: Vec<MfBatch> = BatchSampler::new(&r, 64, true, 7, 2).collect();
        assert_ne!(other, batches);
    }
}
