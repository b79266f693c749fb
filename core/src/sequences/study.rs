//! Reading sequences for the STUDY and Individual recommenders.
//!
//! Three steps, each a pure function of the one before:
//! 1. [`student_sequences`]: each student's reads in time order (ties: source order), titles
//!    encoded with a [`TitleVocab`] built from training data only.
//! 2. [`group_classrooms`]: reads grouped by [`ClassroomKey`], the set of students whose reads
//!    the STUDY model may look at.
//! 3. [`pack_classroom`] (in `rows`): a classroom packed into fixed-length [`Row`]s, with the
//!    attention mask ([`can_attend`]) and per-student targets ([`Row::targets`]).
//!
//! ## Classrooms
//! The reference implementation keys its "school year" grouping on grade level only, so every
//! third-grader of every school lands in one classroom. Here a classroom is:
//! - the student's class id, when the data has one ([`StudentInfo::class`], e.g. ASSISTments'
//!   `student_class_id`); a class is already one group of students in one year;
//! - else (school, grade, school year): a school year runs from August 1 to July 31 (UTC), and
//!   each read is keyed by the school year of its own date, so a student whose reads span two
//!   school years is a member of two classrooms (with the reads of each year). A student with a
//!   school but no grade shares a classroom with the other grade-less students of that school
//!   and year;
//! - else the student alone ([`ClassroomKey::Alone`]): a student with neither class nor school
//!   gets no invented classmates (pooling strangers would feed the model noise as "social"
//!   signal), so STUDY sees only their own reads, as Individual would. They are counted in
//!   [`StudyReport::unplaced_students`] so callers can warn.
//!
//! In the STUDY files that `synth` writes, `OrgnID` holds the class id, so the loader's school
//! is a simulated class and (school, grade, year) is exactly one class.

mod rows;
mod vocab;

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use rows::{NO_STUDENT, PackConfig, PackConfigError, ReadRef, Row, Token, attention_mask, can_attend, individual_rows, pack_classroom, pack_classrooms};
pub use vocab::{FIRST_TITLE, OOV, PAD, SEP, SPECIAL_TOKENS, TitleVocab, VocabError};

use crate::data::{EventKind, Interactions, StudentInfo};

/// One reading session in model terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
    /// Vocabulary id ([`OOV`] for titles outside the vocabulary).
    pub title: u32,
    /// Seconds since the Unix epoch (00:00 UTC of the read's date for STUDY files).
    pub time: i64,
    /// Index into the source's [`Interactions::items`]: the real title, even when `title` is OOV,
    /// so evaluation can tell two different unknown titles apart.
    pub item: u32,
    /// Reading time of the session in whole seconds (0 when the log does not say).
    #[serde(default)]
    pub seconds: u32,
}

/// One student's dated reads in time order (ties: source order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentReads {
    /// Index into the source's [`Interactions::students`].
    pub student: u32,
    pub info: StudentInfo,
    pub reads: Vec<Read>,
}

/// What building the sequences counted or left out, for callers to report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StudyReport {
    /// Students with at least one dated read.
    pub students: usize,
    /// Dated reads kept.
    pub reads: usize,
    /// Reads without a time: they cannot be placed before or after classmates' reads, so they
    /// are left out.
    pub undated_reads: usize,
    /// Kept reads whose title is outside the vocabulary.
    pub oov_reads: usize,
    /// Students with neither class nor school: each forms a classroom of their own.
    pub unplaced_students: usize,
    /// Students whose reads fall into more than one classroom (two school years).
    pub students_in_several_classrooms: usize,
    pub classrooms: usize,
    pub rows: usize,
    /// Classrooms whose reads did not fit into one row and continue in further rows.
    pub classrooms_over_one_row: usize,
}

/// Every student's dated reads, in student index order; students without any are left out.
pub fn student_sequences(data: &Interactions, vocab: &TitleVocab) -> (Vec<StudentReads>, StudyReport) {
    let titles = vocab.encode_items(data);
    let mut report = StudyReport::default();
    let mut out = Vec::new();
    for (student, events) in data.by_student().into_iter().enumerate() {
        let mut reads = Vec::new();
        for e in events.into_iter().map(|i| &data.events[i]).filter(|e| e.kind == EventKind::Reading) {
            let Some(time) = e.time else {
                report.undated_reads += 1;
                continue;
            };
            let title = titles.get(e.item as usize).copied().unwrap_or(OOV);
            report.oov_reads += usize::from(title == OOV);
            let seconds = e.seconds.filter(|s| s.is_finite() && *s > 0.0).map_or(0, |s| s.round().min(u32::MAX as f32) as u32);
            reads.push(Read { title, time, item: e.item, seconds });
        }
        if !reads.is_empty() {
            report.reads += reads.len();
            let info = data.student_info.get(student).cloned().unwrap_or_default();
            out.push(StudentReads { student: student as u32, info, reads });
        }
    }
    report.students = out.len();
    (out, report)
}

/// The month a school year starts in (August); it runs to the end of July.
pub const SCHOOL_YEAR_START_MONTH: u32 = 8;

/// The school year `time` (epoch seconds, UTC) falls in, named by the calendar year it starts
/// in: 2020-08-01 and 2021-07-31 are both in school year 2020.
pub fn school_year(time: i64) -> i64 {
    let (year, month, _) = crate::calendar::civil_from_days(time.div_euclid(86_400));
    if month >= SCHOOL_YEAR_START_MONTH { year } else { year - 1 }
}

/// Which students' reads a read may be seen alongside (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClassroomKey {
    /// Index into [`Interactions::classes`].
    Class(u32),
    /// Index into [`Interactions::schools`], the grade, and the [`school_year`] of the read.
    School { school: u32, grade: Option<u8>, year: i64 },
    /// A student (index into [`Interactions::students`]) with neither class nor school.
    Alone(u32),
}

/// The classroom a read of `student` at `time` belongs to.
pub fn classroom_key(student: u32, info: &StudentInfo, time: i64) -> ClassroomKey {
    match (info.class, info.school) {
        (Some(class), _) => ClassroomKey::Class(class),
        (None, Some(school)) => ClassroomKey::School { school, grade: info.grade, year: school_year(time) },
        (None, None) => ClassroomKey::Alone(student),
    }
}

/// Consecutive reads of one student that belong to one classroom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Index into the [`StudentReads`] list the classroom was grouped from.
    pub seq: usize,
    /// Indices into that student's `reads`.
    pub reads: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classroom {
    pub key: ClassroomKey,
    /// In student order; never empty.
    pub members: Vec<Member>,
}

/// Groups every read by its [`ClassroomKey`]; classrooms come in key order, so the grouping is
/// the same on every run.
pub fn group_classrooms(seqs: &[StudentReads]) -> Vec<Classroom> {
    let mut by_key: BTreeMap<ClassroomKey, Vec<Member>> = BTreeMap::new();
    for (seq, s) in seqs.iter().enumerate() {
        for (key, reads) in runs_by_key(s) {
            by_key.entry(key).or_default().push(Member { seq, reads });
        }
    }
    by_key.into_iter().map(|(key, members)| Classroom { key, members }).collect()
}

/// A student's reads cut where their classroom key changes (at a school-year boundary).
fn runs_by_key(s: &StudentReads) -> Vec<(ClassroomKey, Range<usize>)> {
    let mut runs: Vec<(ClassroomKey, Range<usize>)> = Vec::new();
    for (i, r) in s.reads.iter().enumerate() {
        let key = classroom_key(s.student, &s.info, r.time);
        match runs.last_mut() {
            Some((last, range)) if *last == key => range.end = i + 1,
            _ => runs.push((key, i..i + 1)),
        }
    }
    runs
}

/// Everything the STUDY model trains or predicts on, built from one data set.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyData {
    pub seqs: Vec<StudentReads>,
    pub classrooms: Vec<Classroom>,
    pub rows: Vec<Row>,
    pub report: StudyReport,
}

/// [`student_sequences`], [`group_classrooms`] and [`pack_classrooms`] in one go, with the
/// report filled in.
pub fn build_study(data: &Interactions, vocab: &TitleVocab, config: &PackConfig) -> StudyData {
    let (seqs, mut report) = student_sequences(data, vocab);
    let classrooms = group_classrooms(&seqs);
    let mut rows = Vec::new();
    for c in &classrooms {
        let packed = pack_classroom(c, &seqs, config);
        report.classrooms_over_one_row += usize::from(packed.len() > 1);
        rows.extend(packed);
    }
    let mut memberships = vec![0usize; seqs.len()];
    for m in classrooms.iter().flat_map(|c| &c.members) {
        memberships[m.seq] += 1;
    }
    report.students_in_several_classrooms = memberships.iter().filter(|&&n| n > 1).count();
    report.unplaced_students = classrooms.iter().filter(|c| matches!(c.key, ClassroomKey::Alone(_))).count();
    report.classrooms = classrooms.len();
    report.rows = rows.len();
    StudyData { seqs, classrooms, rows, report }
}

/// Holds out whole classrooms for validation: students are grouped by class id, else by
/// (school, grade), else each alone, and a seeded `valid_frac` of those groups goes to the second
/// result. Holding out classrooms rather than students keeps every held-out student's classmates
/// with them, which is what the STUDY model is evaluated on.
pub fn split_by_classroom(data: &Interactions, valid_frac: f64, seed: u64) -> Result<(Interactions, Interactions), String> {
    if !(0.0..1.0).contains(&valid_frac) {
        return Err(format!("--valid-frac must be in [0, 1), got {valid_frac}"));
    }
    let [train, valid, _] = split_classrooms(data, valid_frac, 0.0, seed);
    Ok((train, valid))
}

/// The training classrooms cut off to choose the step or epoch kept (`train study`,
/// `individual` and `bst`'s `--select-frac`): [`split_by_classroom`] of the training data with a
/// seed of its own, so the cut does not repeat the validation split's draw.
pub fn split_selection(train: &Interactions, select_frac: f64, seed: u64) -> Result<(Interactions, Interactions), String> {
    if !(0.0..1.0).contains(&select_frac) {
        return Err(format!("--select-frac must be in [0, 1), got {select_frac}"));
    }
    split_by_classroom(train, select_frac, seed ^ 0x5e1e_c7ed)
}

/// [`split_by_classroom`] three ways: training, validation and test classrooms (the page's fit
/// chooses its step on the second and is judged on the third). With `test_frac` 0 the
/// validation classrooms are [`split_by_classroom`]'s. `valid_frac + test_frac` must be in
/// `[0, 1)` (see [`crate::sequences::split::check_fractions`]).
pub fn split_classrooms(data: &Interactions, valid_frac: f64, test_frac: f64, seed: u64) -> [Interactions; 3] {
    #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
    enum Home {
        Class(u32),
        School(u32, Option<u8>),
        Alone(u32),
    }
    let home = |s: u32| {
        let info = data.student_info.get(s as usize).cloned().unwrap_or_default();
        match (info.class, info.school) {
            (Some(c), _) => Home::Class(c),
            (None, Some(school)) => Home::School(school, info.grade),
            (None, None) => Home::Alone(s),
        }
    };
    let mut homes: Vec<Home> = data.events.iter().map(|e| home(e.student)).collect();
    homes.sort();
    homes.dedup();
    let (_, valid, test) = crate::sequences::split::split3(&homes, valid_frac, test_frac, seed);
    let (valid, test): (std::collections::HashSet<Home>, std::collections::HashSet<Home>) = (valid.into_iter().collect(), test.into_iter().collect());
    let (mut train_data, mut valid_data, mut test_data) = (data.clone(), data.clone(), data.clone());
    train_data.retain_students(|s| !valid.contains(&home(s)) && !test.contains(&home(s)));
    valid_data.retain_students(|s| valid.contains(&home(s)));
    test_data.retain_students(|s| test.contains(&home(s)));
    [train_data, valid_data, test_data]
}

#[cfg(test)]
pub(crate) mod test_data {
    //! Hand-made reading logs shared by the sequence and recommender tests.

    use crate::calendar::days_from_civil;
    use crate::data::{Event, EventKind, Interactions};

    /// Epoch seconds of a date.
    pub fn day(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * 86_400
    }

    /// A read: (student, title, epoch seconds).
    pub type R<'a> = (&'a str, &'a str, i64);

    /// Interactions holding `reads` in source order.
    pub fn log(reads: &[R<'_>]) -> Interactions {
        let mut d = Interactions::new();
        for (k, &(s, t, time)) in reads.iter().enumerate() {
            let student = d.student(s);
            let item = d.items.intern(t);
            d.events.push(Event { student, item, skills: vec![], correct: None, time: Some(time), order: k as u64, seconds: None, kind: EventKind::Reading });
        }
        d
    }

    /// The reading log of a generated classroom, read back through the STUDY loader.
    pub fn synth_reads(config: &crate::synth::SynthConfig) -> Interactions {
        let dir = tempfile::tempdir().unwrap();
        crate::synth::write_dir(&crate::synth::generate(config), dir.path()).unwrap();
        let (activity, info) = (dir.path().join(crate::synth::STUDENT_ACTIVITY_FILE), dir.path().join(crate::synth::STUDENT_INFO_FILE));
        crate::data::study::load_study(&activity, Some(&info)).unwrap().0
    }

    /// Puts every student of `d` into one school (grade 3), i.e. one classroom per school year.
    pub fn one_school(mut d: Interactions) -> Interactions {
        let school = d.schools.intern("S1");
        for info in &mut d.student_info {
            (info.school, info.grade) = (Some(school), Some(3));
        }
        d
    }

    /// Three classmates (a, b, c), six reads over a week in January 2021.
    pub fn three_classmates() -> Interactions {
        one_school(log(&[
            ("a", "T1", day(2021, 1, 1)),
            ("b", "T2", day(2021, 1, 1)),
            ("a", "T2", day(2021, 1, 2)),
            ("b", "T3", day(2021, 1, 4)),
            ("c", "T3", day(2021, 1, 4)),
            ("c", "T1", day(2021, 1, 6)),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::test_data::*;
    use super::*;

    fn vocab_of(d: &Interactions) -> TitleVocab {
        TitleVocab::from_training(d, 100)
    }

    #[test]
    fn sequences_are_in_time_then_source_order_and_skip_undated_reads() {
        let mut d = log(&[("a", "X", day(2021, 1, 5)), ("a", "Y", day(2021, 1, 3)), ("b", "Z", day(2021, 1, 1)), ("a", "Z", day(2021, 1, 3))]);
        d.events[2].time = None;
        let v = TitleVocab::from_titles(["X".to_string(), "Y".to_string()]);
        let (seqs, report) = student_sequences(&d, &v);
        assert_eq!(seqs.len(), 1, "b's only read is undated");
        let titles: Vec<u32> = seqs[0].reads.iter().map(|r| r.title).collect();
        assert_eq!(titles, [4, OOV, 3], "same-day reads keep source order");
        assert_eq!(d.items.name(seqs[0].reads[1].item), "Z", "OOV reads keep their real title");
        assert_eq!(report, StudyReport { students: 1, reads: 3, undated_reads: 1, oov_reads: 1, ..Default::default() });
    }

    #[test]
    fn school_years_start_on_august_first() {
        assert_eq!(school_year(day(2020, 7, 31)), 2019);
        assert_eq!(school_year(day(2020, 8, 1)), 2020);
        assert_eq!(school_year(day(2021, 1, 1)), 2020);
        assert_eq!(school_year(day(2021, 7, 31) + 86_399), 2020);
        assert_eq!(school_year(day(2040, 9, 1)), 2040, "after 2038");
        assert_eq!(school_year(day(1969, 12, 31)), 1969);
    }

    #[test]
    fn grouping_uses_class_when_known() {
        let mut d = log(&[("a", "X", day(2020, 7, 1)), ("b", "X", day(2020, 9, 1)), ("c", "X", day(2020, 9, 1))]);
        let (c1, c2) = (d.classes.intern("101"), d.classes.intern("102"));
        let school = d.schools.intern("S");
        d.student_info[0] = StudentInfo { class: Some(c1), school: Some(school), grade: Some(3) };
        d.student_info[1] = StudentInfo { class: Some(c1), school: Some(school), grade: Some(4) };
        d.student_info[2] = StudentInfo { class: Some(c2), school: Some(school), grade: Some(3) };
        let (seqs, _) = student_sequences(&d, &vocab_of(&d));
        let rooms = group_classrooms(&seqs);
        let keys: Vec<_> = rooms.iter().map(|c| (c.key, c.members.iter().map(|m| m.seq).collect::<Vec<_>>())).collect();
        assert_eq!(keys, [(ClassroomKey::Class(c1), vec![0, 1]), (ClassroomKey::Class(c2), vec![2])], "class wins over school, grade and year");
    }

    #[test]
    fn grouping_by_school_grade_and_school_year() {
        let (jul, aug) = (day(2020, 7, 31), day(2020, 8, 1));
        let mut d = log(&[("a", "X", jul), ("a", "Y", aug), ("b", "X", jul), ("c", "X", aug), ("d", "X", aug), ("e", "X", aug)]);
        let (s1, s2) = (d.schools.intern("S1"), d.schools.intern("S2"));
        d.student_info[0] = StudentInfo { class: None, school: Some(s1), grade: Some(3) };
        d.student_info[1] = StudentInfo { class: None, school: Some(s1), grade: Some(3) };
        d.student_info[2] = StudentInfo { class: None, school: Some(s1), grade: Some(4) };
        // Same grade as a, another school: the reference's grade-only key would merge them.
        d.student_info[3] = StudentInfo { class: None, school: Some(s2), grade: Some(3) };
        // e has no info at all.
        let data = build_study(&d, &vocab_of(&d), &PackConfig::new(8, 8).unwrap());
        let rooms: Vec<_> = data.classrooms.iter().map(|c| (c.key, c.members.iter().map(|m| (m.seq, m.reads.clone())).collect::<Vec<_>>())).collect();
        let school = |school, grade, year| ClassroomKey::School { school, grade: Some(grade), year };
        assert_eq!(
            rooms,
            [
                (school(s1, 3, 2019), vec![(0, 0..1), (1, 0..1)]),
                (school(s1, 3, 2020), vec![(0, 1..2)]),
                (school(s1, 4, 2020), vec![(2, 0..1)]),
                (school(s2, 3, 2020), vec![(3, 0..1)]),
                (ClassroomKey::Alone(4), vec![(4, 0..1)]),
            ]
        );
        let r = &data.report;
        assert_eq!((r.unplaced_students, r.students_in_several_classrooms, r.classrooms, r.rows), (1, 1, 5, 5));
        // a's second-year read keeps its position over a's whole sequence.
        let a_aug = data.rows.iter().flat_map(|row| &row.tokens).find(|t| t.student == 0 && t.time == aug).unwrap();
        assert_eq!(a_aug.position, 1);
    }

    #[test]
    fn classroom_split_keeps_classmates_together() {
        let mut d = log(&[("a", "X", day(2021, 1, 1)), ("b", "X", day(2021, 1, 1)), ("c", "X", day(2021, 1, 1)), ("d", "X", day(2021, 1, 1))]);
        let (c1, c2) = (d.classes.intern("1"), d.classes.intern("2"));
        for (s, c) in [(0, c1), (1, c1), (2, c2), (3, c2)] {
            d.student_info[s].class = Some(c);
        }
        let (train, valid) = split_by_classroom(&d, 0.5, 1).unwrap();
        let students = |x: &Interactions| x.events.iter().map(|e| e.student).collect::<Vec<_>>();
        let (t, v) = (students(&train), students(&valid));
        assert_eq!((t.len(), v.len()), (2, 2));
        assert_eq!(d.student_info[t[0] as usize].class, d.student_info[t[1] as usize].class);
        assert_ne!(d.student_info[t[0] as usize].class, d.student_info[v[0] as usize].class);
        assert!(split_by_classroom(&d, 1.0, 1).is_err());
    }

    #[test]
    fn empty_data_builds_nothing() {
        let d = Interactions::new();
        let data = build_study(&d, &vocab_of(&d), &PackConfig::new(4, 2).unwrap());
        assert!(data.rows.is_empty() && data.classrooms.is_empty());
        assert_eq!(data.report, StudyReport::default());
    }
}
