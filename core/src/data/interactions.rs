//! [`Interactions`]: the one in-memory form of every data source.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Maps external string ids to dense `u32` indices, in first-seen order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interner {
    names: Vec<String>,
    #[serde(skip)]
    index: HashMap<String, u32>,
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// An interner holding `names` in order (duplicates keep their first index).
    pub fn from_names(names: impl IntoIterator<Item = String>) -> Self {
        let mut it = Self::new();
        for n in names {
            it.intern(&n);
        }
        it
    }

    /// Returns the index of `name`, adding it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    pub fn get(&self, name: &str) -> Option<u32> {
        if self.index.len() != self.names.len() {
            // Deserialized without its index: fall back to a scan rather than lie.
            return self.names.iter().position(|n| n == name).map(|i| i as u32);
        }
        self.index.get(name).copied()
    }

    pub fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Rebuilds the lookup index after deserialization.
    pub fn reindex(&mut self) {
        self.index = self.names.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
    }

    /// [`Self::reindex`], by value.
    pub fn reindexed(mut self) -> Self {
        self.reindex();
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// An answered problem: `correct` is set, `skills` holds its skill tags (possibly none).
    Problem,
    /// A reading session: `item` is the title, `correct` is `None`.
    Reading,
}

/// One answered problem or one reading session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Index into [`Interactions::students`].
    pub student: u32,
    /// Index into [`Interactions::items`]: a problem id or a reading title.
    pub item: u32,
    /// Indices into [`Interactions::skills`]; each skill once, even when the source repeats the
    /// response once per skill.
    pub skills: Vec<u32>,
    pub correct: Option<bool>,
    /// Seconds since the Unix epoch when the source has a clock, else `None`.
    pub time: Option<i64>,
    /// Position in the source (order id, or row number): orders events that share a time.
    pub order: u64,
    /// Reading time in seconds (STUDY) or response time, when known.
    pub seconds: Option<f32>,
    pub kind: EventKind,
}

/// What is known about a student beyond their events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StudentInfo {
    /// Index into [`Interactions::classes`].
    pub class: Option<u32>,
    /// Index into [`Interactions::schools`].
    pub school: Option<u32>,
    pub grade: Option<u8>,
}

/// Every loader's output: interned ids plus a flat event list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interactions {
    pub students: Interner,
    pub items: Interner,
    pub skills: Interner,
    pub classes: Interner,
    pub schools: Interner,
    /// Indexed by student index; always as long as `students`.
    pub student_info: Vec<StudentInfo>,
    /// Human-readable skill names by skill index, where the source has them (ASSISTments'
    /// `skill_name`); ids stay the stable key, labels are for people.
    #[serde(default)]
    pub skill_labels: Vec<Option<String>>,
    pub events: Vec<Event>,
}

impl Interactions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Interns a student id and makes sure it has an info slot.
    pub fn student(&mut self, name: &str) -> u32 {
        let i = self.students.intern(name);
        if self.student_info.len() <= i as usize {
            self.student_info.resize(i as usize + 1, StudentInfo::default());
        }
        i
    }

    /// Records a label for a skill the first time one is seen.
    pub fn label_skill(&mut self, skill: u32, label: &str) {
        let i = skill as usize;
        if self.skill_labels.len() <= i {
            self.skill_labels.resize(i + 1, None);
        }
        if self.skill_labels[i].is_none() && !label.trim().is_empty() {
            self.skill_labels[i] = Some(label.trim().to_string());
        }
    }

    /// The label of a skill, or its id when the source has none.
    pub fn skill_label(&self, skill: u32) -> &str {
        self.skill_labels.get(skill as usize).and_then(|l| l.as_deref()).unwrap_or_else(|| self.skills.name(skill))
    }

    pub fn info_mut(&mut self, student: u32) -> &mut StudentInfo {
        &mut self.student_info[student as usize]
    }

    /// Each student's events in time order (time, then source order), as indices into `events`.
    /// Students with no events get an empty list.
    pub fn by_student(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.students.len()];
        for (i, e) in self.events.iter().enumerate() {
            out[e.student as usize].push(i);
        }
        for list in &mut out {
            list.sort_by_key(|&i| (self.events[i].time.unwrap_or(i64::MIN), self.events[i].order));
        }
        out
    }

    /// Keeps only the students for which `keep` is true (by student index); ids stay interned.
    pub fn retain_students(&mut self, keep: impl Fn(u32) -> bool) {
        self.events.retain(|e| keep(e.student));
    }

    pub fn problem_events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| e.kind == EventKind::Problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interner_is_dense_and_stable() {
        let mut it = Interner::new();
        assert_eq!(it.intern("b"), 0);
        assert_eq!(it.intern("a"), 1);
        assert_eq!(it.intern("b"), 0);
        assert_eq!(it.get("a"), Some(1));
        assert_eq!(it.name(1), "a");
        let mut back: Interner = serde_json::from_str(&serde_json::to_string(&it).unwrap()).unwrap();
        assert_eq!(back.get("a"), Some(1));
        back.reindex();
        assert_eq!(back.get("b"), Some(0));
    }

    #[test]
    fn by_student_orders_by_time_then_source_order() {
        let mut d = Interactions::new();
        let s = d.student("s1");
        let ev = |time, order| Event { student: s, item: 0, skills: vec![], correct: Some(true), time, order, seconds: None, kind: EventKind::Problem };
        d.events = vec![ev(Some(10), 0), ev(Some(5), 2), ev(Some(5), 1)];
        assert_eq!(d.by_student(), vec![vec![2, 1, 0]]);
    }
}
