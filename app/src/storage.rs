//! What the app keeps in this browser (localStorage, this origin only): the teacher's imported
//! files, so a reload shows them again, and the mastery thresholds. "Forget this data" removes
//! the import. Nothing here is ever sent anywhere.
//!
//! localStorage holds strings, and an import must come back byte for byte (its encoding is the
//! loader's to decide, see [`UploadedFile`]). Each byte is kept as the character of the same
//! code point (U+0000–U+00FF, "Latin-1 as a string"): exact, and for CSV text about one
//! character per byte, where base64 would take 4 per 3 of a quota of a few megabytes. Imports
//! saved before, as decoded text (`{"name", "text"}`), still load: their text's UTF-8 bytes
//! are what the loader was given then.

use serde::{Deserialize, Serialize};

use crate::classroom::UploadedFile;
use crate::dashboard::levels::Thresholds;

const IMPORT_KEY: &str = "classlens.import.v1";
const THRESHOLDS_KEY: &str = "classlens.thresholds.v1";

/// An import as the page keeps it and sends it to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedImport {
    pub files: Vec<UploadedFile>,
    pub mapping: Option<String>,
}

/// What the page says when a kept import no longer loads (it is forgotten, and the demo shown).
pub fn lost_import(error: &str) -> String {
    format!("The saved data could not be read again and was forgotten: {error}")
}

#[derive(Serialize, Deserialize)]
struct Stored {
    files: Vec<StoredFile>,
    mapping: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum StoredFile {
    /// The bytes, one character per byte.
    Bytes { name: String, latin1: String },
    /// The format before bytes were kept: the file as the browser decoded it (UTF-8).
    Text { name: String, text: String },
}

/// Bytes as a string of the characters with the same code points.
pub fn bytes_to_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The inverse of [`bytes_to_latin1`]; `None` if a character is above U+00FF.
pub fn latin1_to_bytes(text: &str) -> Option<Vec<u8>> {
    text.chars().map(|c| u8::try_from(c).ok()).collect()
}

/// The import as localStorage keeps it.
pub fn encode_import(saved: &SavedImport) -> String {
    let files = saved.files.iter().map(|f| StoredFile::Bytes { name: f.name.clone(), latin1: bytes_to_latin1(&f.bytes) }).collect();
    serde_json::to_string(&Stored { files, mapping: saved.mapping.clone() }).expect("strings serialise")
}

/// A kept import, in this format or the earlier text one; `None` if it is neither.
pub fn decode_import(text: &str) -> Option<SavedImport> {
    let stored: Stored = serde_json::from_str(text).ok()?;
    let files = stored
        .files
        .into_iter()
        .map(|f| match f {
            StoredFile::Bytes { name, latin1 } => latin1_to_bytes(&latin1).map(|bytes| UploadedFile { name, bytes }),
            StoredFile::Text { name, text } => Some(UploadedFile { name, bytes: text.into_bytes() }),
        })
        .collect::<Option<Vec<_>>>()?;
    Some(SavedImport { files, mapping: stored.mapping })
}

fn store() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn read(key: &str) -> Option<String> {
    store()?.get_item(key).ok()?
}

/// Keeps the import; fails (and keeps nothing) when the browser refuses, e.g. over its quota.
pub fn save_import(saved: &SavedImport) -> Result<(), String> {
    let s = store().ok_or("this browser offers no local storage")?;
    let text = encode_import(saved);
    s.set_item(IMPORT_KEY, &text).map_err(|_| {
        let _ = s.remove_item(IMPORT_KEY);
        format!("the browser refused to keep {} kB (storage quota)", text.len() / 1000)
    })
}

/// The kept import. One that is stored but cannot be read is an `Err`, so the caller can say
/// it was dropped.
pub fn load_import() -> Option<Result<SavedImport, String>> {
    let text = read(IMPORT_KEY)?;
    Some(decode_import(&text).ok_or_else(|| "it is not in a format this version keeps".to_string()))
}

pub fn forget_import() {
    if let Some(s) = store() {
        let _ = s.remove_item(IMPORT_KEY);
    }
}

pub fn save_thresholds(t: &Thresholds) {
    if let (Some(s), Ok(text)) = (store(), serde_json::to_string(t)) {
        let _ = s.set_item(THRESHOLDS_KEY, &text);
    }
}

/// Saved thresholds, if they still pass [`Thresholds::new`].
pub fn load_thresholds() -> Option<Thresholds> {
    serde_json::from_str::<Thresholds>(&read(THRESHOLDS_KEY)?)
        .ok()
        .and_then(|t| Thresholds::new(t.proficient, t.near).and_then(|c| c.with_min_answers(t.min_answers)).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classroom::Classroom;

    #[test]
    fn every_byte_survives_the_round_trip() {
        let all: Vec<u8> = (0..=255).collect();
        let saved = SavedImport {
            files: vec![UploadedFile { name: "x.csv".into(), bytes: all.clone() }, UploadedFile { name: "y.json".into(), bytes: Vec::new() }],
            mapping: Some("student=kid".into()),
        };
        let text = encode_import(&saved);
        assert_eq!(decode_import(&text), Some(saved));
        assert_eq!(bytes_to_latin1(b"caf\xe9,1\n").chars().count(), 7, "one character per byte");
        assert_eq!(latin1_to_bytes("Ā"), None, "above U+00FF is not a byte");
    }

    #[test]
    fn a_latin1_import_comes_back_with_its_accents() {
        let bytes = b"order_id,user_id,problem_id,original,correct,skill_id,skill_name\n1,Jos\xe9,p,1,0,7,\xc9quations\n".to_vec();
        let saved = SavedImport { files: vec![UploadedFile { name: "skill_builder_data.csv".into(), bytes }], mapping: None };
        let back = decode_import(&encode_import(&saved)).unwrap();
        let c = Classroom::from_files(&back.files, None).unwrap();
        assert_eq!(c.practice.skill_label(0), "Équations");
        assert_eq!(c.students_of(None), ["José"]);
    }

    #[test]
    fn an_import_kept_as_text_by_the_earlier_version_still_loads() {
        let old = r#"{"files":[{"name":"dkt.csv","text":"2\n1,2\n1,0\n"}],"mapping":null}"#;
        let saved = decode_import(old).unwrap();
        assert_eq!(saved.files, [UploadedFile { name: "dkt.csv".into(), bytes: b"2\n1,2\n1,0\n".to_vec() }]);
        assert_eq!(Classroom::from_files(&saved.files, None).unwrap().students_of(None).len(), 1);
        assert_eq!(decode_import(r#"{"files":[{"name":"x"}]}"#), None, "neither format");
        assert_eq!(decode_import("not json"), None);
    }
}
