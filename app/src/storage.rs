//! What the app keeps in this browser (localStorage, this origin only): the teacher's imported
//! files, so a reload shows them again, and the mastery thresholds. "Forget this data" removes
//! the import. Nothing here is ever sent anywhere.

use classlens_web::classroom::UploadedFile;
use classlens_web::dashboard::levels::Thresholds;
use serde::{Deserialize, Serialize};

const IMPORT_KEY: &str = "classlens.import.v1";
const THRESHOLDS_KEY: &str = "classlens.thresholds.v1";

#[derive(Serialize, Deserialize)]
pub struct SavedImport {
    pub files: Vec<UploadedFile>,
    pub mapping: Option<String>,
}

fn store() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn read<T: for<'de> Deserialize<'de>>(key: &str) -> Option<T> {
    serde_json::from_str(&store()?.get_item(key).ok()??).ok()
}

/// Keeps the import; fails (and keeps nothing) when the browser refuses, e.g. over its quota.
pub fn save_import(saved: &SavedImport) -> Result<(), String> {
    let s = store().ok_or("this browser offers no local storage")?;
    let text = serde_json::to_string(saved).map_err(|e| e.to_string())?;
    s.set_item(IMPORT_KEY, &text).map_err(|_| {
        let _ = s.remove_item(IMPORT_KEY);
        format!("the browser refused to keep {} kB (storage quota)", text.len() / 1000)
    })
}

pub fn load_import() -> Option<SavedImport> {
    read(IMPORT_KEY)
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
    read::<Thresholds>(THRESHOLDS_KEY).and_then(|t| Thresholds::new(t.proficient, t.near).ok())
}
