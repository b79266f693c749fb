//! [`TitleVocab`]: the titles a reading recommender can suggest, with its three special ids.
//!
//! Built from training reads only, so validation and test titles the model never saw map to
//! `<OOV>` instead of leaking into the model's output layer. Ids are dense: `<PAD>` = 0,
//! `<SEP>` = 1, `<OOV>` = 2, then titles from 3 in descending training read count, so a lower
//! title id also means a more popular title (the baselines use that as their tie-break).
//!
//! ## `vocab.json`
//! ```json
//! { "format": "classlens.title_vocab", "version": 1,
//!   "special": ["<PAD>", "<SEP>", "<OOV>"],
//!   "titles": ["HB11", "HB12"] }
//! ```
//! `special[i]` has id `i`; `titles[i]` has id `3 + i`. A title literally spelled like a special
//! token (say `<SEP>`) is still an ordinary title: [`TitleVocab::encode`] only looks at `titles`.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::{EventKind, Interactions, Interner};

/// Padding after the last token of a row: seen by nothing, sees nothing, never scored.
pub const PAD: u32 = 0;
/// Between two student chunks of a row: seen by nothing, sees nothing, never scored.
pub const SEP: u32 = 1;
/// A title outside the vocabulary: a real read that the model cannot name or recommend.
pub const OOV: u32 = 2;
/// The id of the most-read training title.
pub const FIRST_TITLE: u32 = 3;
/// The spelling of the special ids in `vocab.json`, by id.
pub const SPECIAL_TOKENS: [&str; 3] = ["<PAD>", "<SEP>", "<OOV>"];

const FORMAT: &str = "classlens.title_vocab";
const VERSION: u32 = 1;

/// Why a `vocab.json` could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not a title vocabulary: {source}")]
    Json {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// The on-disk shape, kept separate so the in-memory type can hold a lookup index.
#[derive(Serialize, Deserialize)]
struct VocabFile {
    format: String,
    version: u32,
    special: Vec<String>,
    titles: Vec<String>,
}

/// Special ids plus the top training titles; see the module docs for the id layout.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TitleVocab {
    titles: Interner,
}

impl TitleVocab {
    /// A vocabulary holding `titles` in order (ids from [`FIRST_TITLE`]); a repeated title keeps
    /// its first id.
    pub fn from_titles(titles: impl IntoIterator<Item = String>) -> Self {
        Self { titles: Interner::from_names(titles) }
    }

    /// The `vocab_size` most-read titles among the reading events of `train`. Ties keep the order
    /// in which `train` first met the titles (its item interning order, i.e. source order), so
    /// the same file always gives the same ids.
    pub fn from_training(train: &Interactions, vocab_size: usize) -> Self {
        let mut counts = vec![0u64; train.items.len()];
        for e in train.events.iter().filter(|e| e.kind == EventKind::Reading) {
            if let Some(c) = counts.get_mut(e.item as usize) {
                *c += 1;
            }
        }
        let mut ranked: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 0).collect();
        ranked.sort_by_key(|&i| (std::cmp::Reverse(counts[i]), i));
        ranked.truncate(vocab_size);
        Self::from_titles(ranked.into_iter().map(|i| train.items.name(i as u32).to_string()))
    }

    /// The id of `title`, or [`OOV`] when the vocabulary does not hold it.
    pub fn encode(&self, title: &str) -> u32 {
        self.titles.get(title).map_or(OOV, |i| i + FIRST_TITLE)
    }

    /// The title (or special token spelling) of `id`; `None` past the end.
    pub fn decode(&self, id: u32) -> Option<&str> {
        match id.checked_sub(FIRST_TITLE) {
            None => SPECIAL_TOKENS.get(id as usize).copied(),
            Some(i) if (i as usize) < self.titles.len() => Some(self.titles.name(i)),
            Some(_) => None,
        }
    }

    /// True for title ids only: PAD, SEP and OOV must never be suggested to a reader.
    pub fn is_recommendable(&self, id: u32) -> bool {
        id >= FIRST_TITLE && ((id - FIRST_TITLE) as usize) < self.titles.len()
    }

    /// Every id, special ones included: the size of a model's output layer.
    pub fn len(&self) -> usize {
        self.titles.len() + FIRST_TITLE as usize
    }

    /// Never true: the special ids are always there.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn num_titles(&self) -> usize {
        self.titles.len()
    }

    /// Title ids from most to least read in training.
    pub fn title_ids(&self) -> std::ops::Range<u32> {
        FIRST_TITLE..self.len() as u32
    }

    /// For each item index of `data`, its vocabulary id (OOV for titles not in the vocabulary):
    /// encodes a whole data set with one lookup per distinct title.
    pub fn encode_items(&self, data: &Interactions) -> Vec<u32> {
        data.items.names().iter().map(|n| self.encode(n)).collect()
    }

    /// `vocab.json` text (see the module docs).
    pub fn to_json(&self) -> String {
        let file = VocabFile {
            format: FORMAT.to_string(),
            version: VERSION,
            special: SPECIAL_TOKENS.iter().map(|s| s.to_string()).collect(),
            titles: self.titles.names().to_vec(),
        };
        // A struct of strings always serializes.
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// Parses `vocab.json` text; `file` names it in errors. Rejects other formats, other special
    /// ids (a model trained with them would mean something else by ids 0-2) and repeated titles.
    pub fn from_json(text: &str, file: &str) -> Result<Self, VocabError> {
        let parsed: VocabFile = serde_json::from_str(text).map_err(|source| VocabError::Json { file: file.to_string(), source })?;
        let invalid = |message: String| VocabError::Invalid { file: file.to_string(), message };
        if parsed.format != FORMAT || parsed.version != VERSION {
            return Err(invalid(format!("expected format {FORMAT} version {VERSION}, found {} version {}", parsed.format, parsed.version)));
        }
        if parsed.special != SPECIAL_TOKENS {
            return Err(invalid(format!("expected special tokens {SPECIAL_TOKENS:?}, found {:?}", parsed.special)));
        }
        let mut seen = HashMap::with_capacity(parsed.titles.len());
        for (i, t) in parsed.titles.iter().enumerate() {
            if let Some(first) = seen.insert(t.as_str(), i) {
                return Err(invalid(format!("title {t:?} is listed twice (ids {} and {})", first as u32 + FIRST_TITLE, i as u32 + FIRST_TITLE)));
            }
        }
        Ok(Self::from_titles(parsed.titles))
    }

    /// Writes `vocab.json` atomically, so a crash never leaves half a vocabulary beside a model.
    pub fn save(&self, path: &Path) -> Result<(), VocabError> {
        crate::io::write_atomic(path, self.to_json().as_bytes()).map_err(|source| VocabError::Io { file: path.display().to_string(), source })
    }

    pub fn load(path: &Path) -> Result<Self, VocabError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| VocabError::Io { file: file.clone(), source })?;
        Self::from_json(&text, &file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Event;

    /// Reads as `(student, title)` pairs, one day apart, in this order.
    fn reads(list: &[(&str, &str)]) -> Interactions {
        let mut d = Interactions::new();
        for (k, (s, t)) in list.iter().enumerate() {
            let student = d.student(s);
            let item = d.items.intern(t);
            d.events.push(Event {
                student,
                item,
                skills: vec![],
                correct: None,
                time: Some(k as i64 * 86_400),
                order: k as u64,
                seconds: None,
                kind: EventKind::Reading,
            });
        }
        d
    }

    #[test]
    fn top_n_by_count_ties_in_first_seen_order() {
        let d = reads(&[("a", "C"), ("a", "B"), ("b", "B"), ("b", "A"), ("c", "A"), ("c", "D"), ("c", "B")]);
        // B: 3 reads; A: 2; C and D: 1 each, C seen first.
        let v = TitleVocab::from_training(&d, 3);
        assert_eq!((v.encode("B"), v.encode("A"), v.encode("C")), (3, 4, 5));
        assert_eq!(v.encode("D"), OOV, "cut by vocab_size");
        assert_eq!((v.len(), v.num_titles(), v.title_ids()), (6, 3, 3..6));
        assert_eq!(TitleVocab::from_training(&d, 100).num_titles(), 4);
        assert_eq!(TitleVocab::from_training(&d, 0).len(), 3, "specials only");
    }

    #[test]
    fn problems_do_not_count_as_reads() {
        let mut d = reads(&[("a", "A")]);
        let item = d.items.intern("P1");
        d.events.push(Event { student: 0, item, skills: vec![], correct: Some(true), time: None, order: 9, seconds: None, kind: EventKind::Problem });
        assert_eq!(TitleVocab::from_training(&d, 10).num_titles(), 1);
    }

    #[test]
    fn encode_decode_and_specials() {
        let v = TitleVocab::from_titles(["HB11".to_string(), "<SEP>".to_string()]);
        assert_eq!(v.encode("HB11"), 3);
        assert_eq!(v.encode("<SEP>"), 4, "a title spelled like a special token is a title");
        assert_eq!(v.encode("nope"), OOV);
        assert_eq!((v.decode(PAD), v.decode(SEP), v.decode(OOV)), (Some("<PAD>"), Some("<SEP>"), Some("<OOV>")));
        assert_eq!((v.decode(3), v.decode(4), v.decode(5), v.decode(u32::MAX)), (Some("HB11"), Some("<SEP>"), None, None));
        let recommendable: Vec<u32> = (0..7).filter(|&i| v.is_recommendable(i)).collect();
        assert_eq!(recommendable, [3, 4]);
        let d = reads(&[("a", "x"), ("a", "HB11")]);
        assert_eq!(v.encode_items(&d), [OOV, 3]);
    }

    #[test]
    fn json_round_trip_and_shape() {
        let v = TitleVocab::from_titles(["HB11".to_string(), "Ünïcode \"t\"".to_string()]);
        let text = v.to_json();
        let back = TitleVocab::from_json(&text, "vocab.json").unwrap();
        assert_eq!(back, v);
        assert_eq!(back.encode("Ünïcode \"t\""), 4, "lookup works after loading");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["special"], serde_json::json!(["<PAD>", "<SEP>", "<OOV>"]));
        assert_eq!(value["titles"][0], "HB11");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/vocab.json");
        v.save(&path).unwrap();
        assert_eq!(TitleVocab::load(&path).unwrap(), v);
    }

    #[test]
    fn bad_vocab_files_are_errors_not_panics() {
        let err = |text: &str| TitleVocab::from_json(text, "vocab.json").unwrap_err().to_string();
        let head = r#""format": "classlens.title_vocab", "version": 1"#;
        assert!(err("[1, 2]").starts_with("vocab.json: not a title vocabulary"));
        assert_eq!(
            err(&format!(r#"{{{head}, "special": ["<PAD>", "<OOV>", "<SEP>"], "titles": []}}"#)),
            r#"vocab.json: expected special tokens ["<PAD>", "<SEP>", "<OOV>"], found ["<PAD>", "<OOV>", "<SEP>"]"#
        );
        assert_eq!(
            err(&format!(r#"{{{head}, "special": ["<PAD>", "<SEP>", "<OOV>"], "titles": ["a", "b", "a"]}}"#)),
            r#"vocab.json: title "a" is listed twice (ids 3 and 5)"#
        );
        assert!(err(r#"{"format": "x", "version": 1, "special": [], "titles": []}"#).contains("expected format classlens.title_vocab"));
        assert!(TitleVocab::load(Path::new("/nonexistent/vocab.json")).unwrap_err().to_string().starts_with("/nonexistent/vocab.json: "));
    }
}
