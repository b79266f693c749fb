//! Classrooms packed into fixed-length rows, the attention mask and the targets.
//!
//! ## Packing
//! Each member's reads are cut into chunks of at most `student_chunk_size` reads. Chunks are
//! ordered by the time of their first read (then student, then chunk order), so a row holds
//! classmates' reads from the same stretch of time, which is what the mask lets the model use.
//! They are then laid into rows of exactly `seq_len` tokens: a chunk goes into the current row
//! if it fits (after a `<SEP>` token when the row is not empty), else it starts a new row; a
//! classroom larger than one row simply continues in further rows, and a chunk is never split
//! across rows. Unused tail positions are `<PAD>`.
//!
//! The layout depends only on read times and on how many reads each student has, never on
//! titles. Chunks that start before a given day are laid out the same whatever happens from that
//! day on, as long as chunk membership does not change: so changing a later read's title, or
//! moving it to a later date without reordering its student's reads, changes nothing any earlier
//! token sees (tested). *Adding* reads can lengthen a student's open chunk and so re-pack the
//! rows that follow it, which may move an earlier token into a row with different context; the
//! reference packs the same way. For a prediction after a student's last read, use that read's
//! own token rather than appending a placeholder read.
//!
//! ## Tokens, inputs and targets
//! A read token's *input* is its own title (nothing is shifted across the row). Its *target*
//! ([`Row::targets`]) is the title of the same student's next read in the data, wherever that
//! read was packed (later in this row, or in a later row), or `<PAD>` when it is the student's
//! last read; `<SEP>` and `<PAD>` tokens have target `<PAD>`. So every read but a student's
//! first is the target of exactly one token, and no token is ever scored on a read it can see.
//! OOV targets are kept (a real read the model cannot name); PAD targets must never be scored.
//!
//! ## The mask
//! [`can_attend`]: token `i` sees token `j` iff both are reads (not `<SEP>`, not `<PAD>`) and
//! either `j` is the same student at an earlier or equal position, or `j` is a classmate's read
//! with a strictly earlier timestamp. Dates have day resolution, so a classmate's read of the same
//! day may have happened after this one: it stays invisible. `<SEP>` and `<PAD>` see nothing and
//! are seen by nothing; a model must therefore guard their fully-masked attention rows (e.g. a
//! large negative instead of -inf); their outputs are never scored.
//!
//! Because inputs are per token rather than shifted across the row, a classmate's *last* read in
//! a row is visible like any other; the reference implementation shifts the whole row and masks
//! on target positions, so the last read of each student before a separator was never seen by
//! classmates.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::{Classroom, ClassroomKey, Member, PAD, SEP, StudentReads};

/// The student field of `<SEP>` and `<PAD>` tokens.
pub const NO_STUDENT: u32 = u32::MAX;

/// One position of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Vocabulary id: a title, OOV, or SEP / PAD.
    pub title: u32,
    /// Index into the source's students ([`NO_STUDENT`] for SEP and PAD).
    pub student: u32,
    /// Epoch seconds (0 for SEP and PAD).
    pub time: i64,
    /// 0-based index of this read in the student's whole sequence (not in the row), so two
    /// chunks of one student in one row still order correctly; 0 for SEP and PAD.
    pub position: u32,
    /// This session's reading time in seconds (0: unknown, or SEP / PAD).
    pub seconds: u32,
    /// Seconds the student has spent on this title over the run of consecutive sessions on it
    /// that ends here (this one included): how far into the book they are, which tells a model
    /// whether the next read is likely to continue it. Depends only on this and earlier reads.
    pub run_seconds: u32,
}

impl Token {
    pub const PAD: Token = Token { title: PAD, student: NO_STUDENT, time: 0, position: 0, seconds: 0, run_seconds: 0 };
    pub const SEP: Token = Token { title: SEP, student: NO_STUDENT, time: 0, position: 0, seconds: 0, run_seconds: 0 };

    /// True for reads (titles and OOV), false for SEP and PAD.
    pub fn is_read(&self) -> bool {
        self.title != PAD && self.title != SEP
    }
}

/// Where a read token came from: `seqs[seq].reads[read]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadRef {
    pub seq: usize,
    pub read: usize,
}

/// `seq_len` tokens of one classroom (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub classroom: ClassroomKey,
    /// The grade most of the row's students are in (ties: the lower grade); `None` when none of
    /// them has a known grade. For a (school, grade, year) classroom this is its grade.
    pub grade: Option<u8>,
    pub tokens: Vec<Token>,
    targets: Vec<u32>,
    sources: Vec<Option<ReadRef>>,
}

impl Row {
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The model's input ids: each token's own title.
    pub fn inputs(&self) -> Vec<u32> {
        self.tokens.iter().map(|t| t.title).collect()
    }

    /// Per position, the title of the same student's next read, or PAD (see the module docs).
    pub fn targets(&self) -> &[u32] {
        &self.targets
    }

    /// The read at position `i`, to map a prediction back to a student's read; `None` for SEP,
    /// PAD and out-of-range positions.
    pub fn source(&self, i: usize) -> Option<ReadRef> {
        self.sources.get(i).copied().flatten()
    }

    /// The same row with every target PAD, as if no student read again (tests).
    #[cfg(test)]
    pub(crate) fn without_targets(&self) -> Row {
        Row { targets: vec![PAD; self.targets.len()], ..self.clone() }
    }

    /// Number of read tokens (not SEP, not PAD).
    pub fn reads(&self) -> usize {
        self.tokens.iter().filter(|t| t.is_read()).count()
    }
}

/// Whether token `i` may attend to token `j` (see the module docs); false out of range.
pub fn can_attend(row: &Row, i: usize, j: usize) -> bool {
    let (Some(a), Some(b)) = (row.tokens.get(i), row.tokens.get(j)) else { return false };
    if !a.is_read() || !b.is_read() {
        return false;
    }
    if a.student == b.student { b.position <= a.position } else { b.time < a.time }
}

/// [`can_attend`] for every pair, row-major: entry `i * len + j` says whether `i` sees `j`.
pub fn attention_mask(row: &Row) -> Vec<bool> {
    let n = row.len();
    (0..n * n).map(|k| can_attend(row, k / n, k % n)).collect()
}

/// Row length and chunk size, checked once so packing cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackConfig {
    seq_len: usize,
    student_chunk_size: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackConfigError {
    #[error("--seq-len must be at least 1")]
    ZeroSeqLen,
    #[error("--student-chunk-size must be at least 1")]
    ZeroChunk,
    #[error("--student-chunk-size ({chunk}) must not exceed --seq-len ({seq_len}): a chunk has to fit in one row")]
    ChunkLongerThanRow { chunk: usize, seq_len: usize },
}

impl PackConfig {
    pub fn new(seq_len: usize, student_chunk_size: usize) -> Result<Self, PackConfigError> {
        match (seq_len, student_chunk_size) {
            (0, _) => Err(PackConfigError::ZeroSeqLen),
            (_, 0) => Err(PackConfigError::ZeroChunk),
            (s, c) if c > s => Err(PackConfigError::ChunkLongerThanRow { chunk: c, seq_len: s }),
            (seq_len, student_chunk_size) => Ok(Self { seq_len, student_chunk_size }),
        }
    }

    pub fn seq_len(&self) -> usize {
        self.seq_len
    }

    pub fn student_chunk_size(&self) -> usize {
        self.student_chunk_size
    }
}

/// Reads `reads` of `seqs[seq]`, to be laid into a row without a break.
struct Chunk {
    seq: usize,
    reads: Range<usize>,
}

/// A classroom's reads packed into rows (see the module docs). Members that do not point into
/// `seqs` are skipped rather than trusted.
pub fn pack_classroom(classroom: &Classroom, seqs: &[StudentReads], config: &PackConfig) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut row = RowBuilder::new(classroom.key, config.seq_len);
    for chunk in chunks(&classroom.members, seqs, config.student_chunk_size) {
        if !row.fits(chunk.reads.len()) {
            rows.push(std::mem::replace(&mut row, RowBuilder::new(classroom.key, config.seq_len)).finish(seqs));
        }
        row.push(&chunk, seqs);
    }
    if !row.tokens.is_empty() {
        rows.push(row.finish(seqs));
    }
    rows
}

/// [`pack_classroom`] for every classroom, in order.
pub fn pack_classrooms(classrooms: &[Classroom], seqs: &[StudentReads], config: &PackConfig) -> Vec<Row> {
    classrooms.iter().flat_map(|c| pack_classroom(c, seqs, config)).collect()
}

/// Rows for the Individual model: each student alone, cut into consecutive rows of `seq_len`
/// reads (no SEP). `seq_len` 0 gives no rows.
pub fn individual_rows(seqs: &[StudentReads], seq_len: usize) -> Vec<Row> {
    let Ok(config) = PackConfig::new(seq_len, seq_len) else { return Vec::new() };
    let alone = |(seq, s): (usize, &StudentReads)| Classroom { key: ClassroomKey::Alone(s.student), members: vec![Member { seq, reads: 0..s.reads.len() }] };
    seqs.iter().enumerate().map(alone).flat_map(|c| pack_classroom(&c, seqs, &config)).collect()
}

/// Members cut into chunks of at most `size` reads, ordered by first read time, then student,
/// then position.
fn chunks(members: &[Member], seqs: &[StudentReads], size: usize) -> Vec<Chunk> {
    let mut out = Vec::new();
    for m in members {
        let Some(s) = seqs.get(m.seq) else { continue };
        if m.reads.start > m.reads.end || m.reads.end > s.reads.len() {
            continue;
        }
        let mut start = m.reads.start;
        while start < m.reads.end {
            let end = (start + size.max(1)).min(m.reads.end);
            out.push(Chunk { seq: m.seq, reads: start..end });
            start = end;
        }
    }
    out.sort_by_key(|c| (seqs[c.seq].reads[c.reads.start].time, c.seq, c.reads.start));
    out
}

struct RowBuilder {
    key: ClassroomKey,
    seq_len: usize,
    tokens: Vec<Token>,
    targets: Vec<u32>,
    sources: Vec<Option<ReadRef>>,
}

impl RowBuilder {
    fn new(key: ClassroomKey, seq_len: usize) -> Self {
        Self { key, seq_len, tokens: Vec::with_capacity(seq_len), targets: Vec::with_capacity(seq_len), sources: Vec::with_capacity(seq_len) }
    }

    /// Whether `n` more reads fit, counting the separator they would need.
    fn fits(&self, n: usize) -> bool {
        let sep = usize::from(!self.tokens.is_empty());
        self.tokens.len() + sep + n <= self.seq_len
    }

    fn push_special(&mut self, token: Token) {
        self.tokens.push(token);
        self.targets.push(PAD);
        self.sources.push(None);
    }

    fn push(&mut self, chunk: &Chunk, seqs: &[StudentReads]) {
        if !self.tokens.is_empty() {
            self.push_special(Token::SEP);
        }
        let s = &seqs[chunk.seq];
        for k in chunk.reads.clone() {
            let r = s.reads[k];
            // Compare real titles (items): two different OOV titles are not one run.
            let run_seconds = s.reads[..=k].iter().rev().take_while(|p| p.item == r.item).fold(0u32, |acc, p| acc.saturating_add(p.seconds));
            self.tokens.push(Token { title: r.title, student: s.student, time: r.time, position: k as u32, seconds: r.seconds, run_seconds });
            self.targets.push(s.reads.get(k + 1).map_or(PAD, |next| next.title));
            self.sources.push(Some(ReadRef { seq: chunk.seq, read: k }));
        }
    }

    fn finish(mut self, seqs: &[StudentReads]) -> Row {
        let grade = majority_grade(self.sources.iter().flatten().map(|r| r.seq), seqs);
        while self.tokens.len() < self.seq_len {
            self.push_special(Token::PAD);
        }
        Row { classroom: self.key, grade, tokens: self.tokens, targets: self.targets, sources: self.sources }
    }
}

/// The most common known grade among the distinct students `seq_ids` (ties: the lower grade).
fn majority_grade(seq_ids: impl Iterator<Item = usize>, seqs: &[StudentReads]) -> Option<u8> {
    let mut students: Vec<usize> = seq_ids.collect();
    students.sort_unstable();
    students.dedup();
    let mut counts = [0usize; 256];
    for grade in students.iter().filter_map(|&s| seqs[s].info.grade) {
        counts[grade as usize] += 1;
    }
    let best = (0..=255u8).max_by_key(|&g| (counts[g as usize], std::cmp::Reverse(g)))?;
    (counts[best as usize] > 0).then_some(best)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::super::test_data::*;
    use super::super::{OOV, StudentInfo, TitleVocab, build_study, group_classrooms, student_sequences};
    use super::*;
    use crate::data::Interactions;

    fn rows_of(d: &Interactions, seq_len: usize, chunk: usize) -> (TitleVocab, Vec<StudentReads>, Vec<Row>) {
        let v = TitleVocab::from_training(d, 100);
        let data = build_study(d, &v, &PackConfig::new(seq_len, chunk).unwrap());
        (v, data.seqs, data.rows)
    }

    /// (student name, position) of a read token, or "SEP" / "PAD".
    fn layout(d: &Interactions, row: &Row) -> Vec<String> {
        row.tokens
            .iter()
            .map(|t| match t.title {
                PAD => "PAD".to_string(),
                SEP => "SEP".to_string(),
                _ => format!("{}{}", d.students.name(t.student), t.position),
            })
            .collect()
    }

    #[test]
    fn config_is_checked() {
        assert_eq!(PackConfig::new(0, 1), Err(PackConfigError::ZeroSeqLen));
        assert_eq!(PackConfig::new(4, 0), Err(PackConfigError::ZeroChunk));
        assert_eq!(PackConfig::new(4, 5).unwrap_err().to_string(), "--student-chunk-size (5) must not exceed --seq-len (4): a chunk has to fit in one row");
        assert_eq!(PackConfig::new(65, 65).map(|c| (c.seq_len(), c.student_chunk_size())), Ok((65, 65)));
    }

    #[test]
    fn packing_chunks_separators_and_continuation_rows() {
        // a reads on days 1, 2, 3; b on days 1, 2: one classroom.
        let d = one_school(log(&[
            ("a", "A1", day(2021, 1, 1)),
            ("a", "A2", day(2021, 1, 2)),
            ("a", "A3", day(2021, 1, 3)),
            ("b", "B1", day(2021, 1, 1)),
            ("b", "B2", day(2021, 1, 2)),
        ]));
        let (v, _, rows) = rows_of(&d, 6, 2);
        // Chunks a0-1 (day 1), b0-1 (day 1), a2 (day 3): the third needs SEP + 1 more slot.
        assert_eq!(rows.len(), 2, "the classroom continues in a second row");
        assert_eq!(layout(&d, &rows[0]), ["a0", "a1", "SEP", "b0", "b1", "PAD"]);
        assert_eq!(layout(&d, &rows[1]), ["a2", "PAD", "PAD", "PAD", "PAD", "PAD"]);
        let e = |t: &str| v.encode(t);
        assert_eq!(rows[0].inputs(), [e("A1"), e("A2"), SEP, e("B1"), e("B2"), PAD]);
        // a1's next read lies in the next row: still its target. b1 and a2 are last reads.
        assert_eq!(rows[0].targets(), [e("A2"), e("A3"), PAD, e("B2"), PAD, PAD]);
        assert_eq!(rows[1].targets(), [PAD; 6]);
        assert_eq!((rows[0].grade, rows[0].reads()), (Some(3), 4));
        assert_eq!(rows[1].source(0), Some(ReadRef { seq: 0, read: 2 }));
        assert_eq!((rows[0].source(2), rows[0].source(5), rows[0].source(99)), (None, None, None));
        let t = rows[0].tokens[3];
        assert_eq!((t.student, t.time, t.position), (1, day(2021, 1, 1), 0));

        // One student longer than a row, chunk = row: consecutive full rows, no SEP.
        let (_, _, rows) = rows_of(&d, 2, 2);
        let all: Vec<Vec<String>> = rows.iter().map(|r| layout(&d, r)).collect();
        assert_eq!(all, [vec!["a0", "a1"], vec!["b0", "b1"], vec!["a2", "PAD"]]);
    }

    #[test]
    fn two_chunks_of_one_student_share_a_row_in_order() {
        let d = one_school(log(&[("a", "A1", day(2021, 1, 1)), ("a", "A2", day(2021, 1, 2)), ("a", "A3", day(2021, 1, 3))]));
        let (_, _, rows) = rows_of(&d, 8, 2);
        assert_eq!(layout(&d, &rows[0]), ["a0", "a1", "SEP", "a2", "PAD", "PAD", "PAD", "PAD"]);
        assert!(can_attend(&rows[0], 3, 0) && can_attend(&rows[0], 3, 1), "own earlier chunk is visible");
        assert!(!can_attend(&rows[0], 1, 3));
    }

    #[test]
    fn individual_rows_hold_one_student_each() {
        let d = log(&[("a", "A1", day(2021, 1, 1)), ("b", "B1", day(2021, 1, 1)), ("a", "A2", day(2021, 1, 2)), ("a", "A3", day(2021, 1, 3))]);
        let v = TitleVocab::from_training(&d, 100);
        let (seqs, _) = student_sequences(&d, &v);
        let rows = individual_rows(&seqs, 2);
        let all: Vec<Vec<String>> = rows.iter().map(|r| layout(&d, r)).collect();
        assert_eq!(all, [vec!["a0", "a1"], vec!["a2", "PAD"], vec!["b0", "PAD"]]);
        assert_eq!(rows[0].targets(), [v.encode("A2"), v.encode("A3")]);
        assert!(individual_rows(&seqs, 0).is_empty());
    }

    #[test]
    fn row_grade_is_the_majority_grade() {
        let mut d = log(&[("a", "X", day(2021, 1, 1)), ("b", "X", day(2021, 1, 1)), ("c", "X", day(2021, 1, 1)), ("e", "X", day(2021, 1, 1))]);
        let class = d.classes.intern("101");
        for (s, grade) in [(0, Some(4)), (1, Some(3)), (2, Some(4)), (3, None)] {
            d.student_info[s] = StudentInfo { class: Some(class), school: None, grade };
        }
        let (_, _, rows) = rows_of(&d, 16, 4);
        assert_eq!(rows[0].grade, Some(4));
        d.student_info[2].grade = None;
        assert_eq!(rows_of(&d, 16, 4).2[0].grade, Some(3), "tie between 4 and 3: the lower grade");
        for info in &mut d.student_info {
            info.grade = None;
        }
        assert_eq!(rows_of(&d, 16, 4).2[0].grade, None);
    }

    /// Classmates a and b; b's last read (B2, day 2) is the last b token before a SEP.
    fn classroom_ab() -> Interactions {
        one_school(log(&[
            ("b", "B1", day(2021, 1, 1)),
            ("b", "B2", day(2021, 1, 2)),
            ("a", "A1", day(2021, 1, 2)),
            ("a", "A2", day(2021, 1, 5)),
            ("a", "A3", day(2021, 1, 5)),
            ("a", "A4", day(2021, 1, 9)),
        ]))
    }

    /// The input titles token `i` sees.
    fn visible_inputs(row: &Row, i: usize) -> Vec<u32> {
        let inputs = row.inputs();
        (0..row.len()).filter(|&j| can_attend(row, i, j)).map(|j| inputs[j]).collect()
    }

    #[test]
    fn mask_rules() {
        let d = classroom_ab();
        let (_, _, rows) = rows_of(&d, 10, 10);
        let row = &rows[0];
        assert_eq!(layout(&d, row), ["b0", "b1", "SEP", "a0", "a1", "a2", "a3", "PAD", "PAD", "PAD"]);
        let sees = |i, j| can_attend(row, i, j);
        // a0 (day 2) sees b0 (day 1), not b1 (same day 2).
        assert!(sees(3, 0));
        assert!(!sees(3, 1), "a classmate's same-day read stays invisible");
        // b0 / b1 never see a's reads of the same or later days.
        assert!(!sees(1, 3) && !sees(0, 3) && !sees(1, 4));
        // a1 (day 5) sees both of b's reads, including b's last read in the row.
        assert!(sees(4, 0) && sees(4, 1));
        // Own reads: earlier and equal positions, even on the same day; never later ones.
        assert!(sees(5, 4) && sees(5, 5) && sees(5, 3));
        assert!(!sees(4, 5), "a1 must not see a2 although both are on day 5");
        assert!(!sees(3, 6));
        // SEP and PAD are isolated.
        for special in [2, 7, 9] {
            assert!((0..row.len()).all(|k| !sees(special, k) && !sees(k, special)));
        }
        assert!(!sees(0, 99) && !sees(99, 0));
        let mask = attention_mask(row);
        assert_eq!(mask.len(), 100);
        assert!((0..10).all(|i| (0..10).all(|j| mask[i * 10 + j] == sees(i, j))));
    }

    #[test]
    fn a_classmates_last_read_in_a_row_is_visible() {
        // The reference shifts inputs across the whole row (input at j = title at j - 1) and
        // masks on target positions, so b's last title B2 sits on the SEP position and is hidden.
        let d = classroom_ab();
        let (v, _, rows) = rows_of(&d, 10, 10);
        let row = &rows[0];
        let a1 = 4;
        assert!(visible_inputs(row, a1).contains(&v.encode("B2")), "b's last read must reach a's later token");
        // What the reference's row shift would have shown a1 under the same mask: no B2.
        let inputs = row.inputs();
        let shifted: Vec<u32> = (0..row.len()).filter(|&j| can_attend(row, a1, j)).map(|j| if j == 0 { PAD } else { inputs[j - 1] }).collect();
        assert!(!shifted.contains(&v.encode("B2")), "the defect this test guards against");
    }

    #[test]
    fn targets_are_the_same_students_next_read() {
        let d = classroom_ab();
        let (v, seqs, rows) = rows_of(&d, 10, 10);
        let row = &rows[0];
        let e = |t: &str| v.encode(t);
        assert_eq!(row.targets(), [e("B2"), PAD, PAD, e("A2"), e("A3"), e("A4"), PAD, PAD, PAD, PAD]);
        for i in 0..row.len() {
            let Some(src) = row.source(i) else { continue };
            let expected = seqs[src.seq].reads.get(src.read + 1).map_or(PAD, |r| r.title);
            assert_eq!(row.targets()[i], expected);
            // Never a title the token itself can see at the target's own position.
            assert!(!(0..row.len()).any(|j| can_attend(row, i, j) && row.source(j) == Some(ReadRef { seq: src.seq, read: src.read + 1 })));
        }
    }

    /// For each read token, keyed by (student, position): what it sees, as
    /// (student, position, time, title) of each visible token. Independent of the row layout.
    type Views = BTreeMap<(u32, u32), BTreeSet<(u32, u32, i64, u32)>>;

    fn views(d: &Interactions, v: &TitleVocab, seq_len: usize, chunk: usize) -> Views {
        let rows = build_study(d, v, &PackConfig::new(seq_len, chunk).unwrap()).rows;
        let mut out = BTreeMap::new();
        for row in &rows {
            for i in (0..row.len()).filter(|&i| row.tokens[i].is_read()) {
                let seen = (0..row.len()).filter(|&j| can_attend(row, i, j)).map(|j| row.tokens[j]).map(|t| (t.student, t.position, t.time, t.title)).collect();
                out.insert((row.tokens[i].student, row.tokens[i].position), seen);
            }
        }
        out
    }

    /// Asserts that every token for which the read of `student` at `position` and `time` is
    /// later (a classmate's token of a strictly earlier day, or the student's own earlier
    /// position) sees exactly the same tokens in `after` as in `before`.
    fn earlier_views_unchanged(before: &[R<'_>], after: &[R<'_>], (student, position, time): (u32, u32, i64), seq_len: usize, chunk: usize) {
        // A vocabulary fixed in advance, as it is at inference time.
        let v = TitleVocab::from_titles(["T1", "T2", "T3"].map(String::from));
        let (d0, d1) = (one_school(log(before)), one_school(log(after)));
        let (v0, v1) = (views(&d0, &v, seq_len, chunk), views(&d1, &v, seq_len, chunk));
        for ((s, p), seen) in &v0 {
            let t = d0.events.iter().filter(|e| e.student == *s).nth(*p as usize).and_then(|e| e.time).unwrap();
            let earlier = if *s == student { *p < position } else { t < time };
            if earlier {
                assert_eq!(v1.get(&(*s, *p)), Some(seen), "token {:?} changed (seq_len {seq_len}, chunk {chunk})", (s, p));
            }
        }
    }

    #[test]
    fn changing_a_later_read_never_changes_what_earlier_tokens_see() {
        let base = [
            ("a", "T1", day(2021, 1, 1)),
            ("b", "T2", day(2021, 1, 1)),
            ("c", "T3", day(2021, 1, 2)),
            ("a", "T2", day(2021, 1, 3)),
            ("b", "T1", day(2021, 1, 4)),
            ("c", "T1", day(2021, 1, 4)),
            ("a", "T3", day(2021, 1, 6)),
        ];
        // The read being changed: b's second (and last) read, day 4.
        let changed = (1, 1, day(2021, 1, 4));
        let with = |title: &'static str, time: i64| {
            let mut v = base;
            v[4] = ("b", title, time);
            v
        };
        for (seq_len, chunk) in [(16, 16), (5, 2), (3, 1), (4, 1)] {
            earlier_views_unchanged(&base, &with("T3", changed.2), changed, seq_len, chunk);
            earlier_views_unchanged(&base, &with("UNKNOWN", changed.2), changed, seq_len, chunk);
            earlier_views_unchanged(&base, &with("T1", day(2021, 1, 8)), changed, seq_len, chunk);
        }
        // Reads added later (here: after everything else) change no earlier view either, when
        // the classroom fits one row; across rows, the lengths of later chunks can re-pack rows
        // (see the module docs).
        let mut more = base.to_vec();
        more.extend([("b", "T3", day(2021, 1, 7)), ("d", "T2", day(2021, 1, 7)), ("c", "T2", day(2021, 1, 4))]);
        earlier_views_unchanged(&base, &more, (2, 2, day(2021, 1, 4)), 16, 16);
    }

    #[test]
    fn run_seconds_add_up_consecutive_sessions_on_one_title() {
        let mut d = one_school(log(&[("a", "X", day(2021, 1, 1)), ("a", "X", day(2021, 1, 2)), ("a", "Y", day(2021, 1, 3)), ("a", "X", day(2021, 1, 4))]));
        for (e, s) in d.events.iter_mut().zip([100.0, 200.0, 50.0, 7.0]) {
            e.seconds = Some(s);
        }
        let (_, _, rows) = rows_of(&d, 8, 8);
        let runs: Vec<(u32, u32)> = rows[0].tokens[..4].iter().map(|t| (t.seconds, t.run_seconds)).collect();
        assert_eq!(runs, [(100, 100), (200, 300), (50, 50), (7, 7)], "a run restarts after another title");
    }

    #[test]
    fn oov_reads_are_real_tokens() {
        let d = one_school(log(&[("a", "X", day(2021, 1, 1)), ("a", "Y", day(2021, 1, 2))]));
        let v = TitleVocab::from_titles(["Y".to_string()]);
        let (seqs, _) = student_sequences(&d, &v);
        let rows = pack_classrooms(&group_classrooms(&seqs), &seqs, &PackConfig::new(3, 3).unwrap());
        assert_eq!(rows[0].inputs(), [OOV, 3, PAD]);
        assert!(can_attend(&rows[0], 1, 0), "an OOV read is still part of the context");
        assert_eq!(rows[0].targets(), [3, PAD, PAD]);
    }

    #[test]
    fn members_that_do_not_fit_the_sequences_are_skipped() {
        let d = one_school(log(&[("a", "X", day(2021, 1, 1))]));
        let (_, seqs, _) = rows_of(&d, 4, 4);
        let bad = Classroom { key: ClassroomKey::Alone(0), members: vec![Member { seq: 5, reads: 0..1 }, Member { seq: 0, reads: 0..9 }] };
        assert!(pack_classroom(&bad, &seqs, &PackConfig::new(4, 4).unwrap()).is_empty());
    }
}
