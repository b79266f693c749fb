//! The packs this browser keeps (opened or fitted), in IndexedDB: one per [`Role`], until
//! "forget". localStorage is no place for them (a few MB of quota for everything, text only);
//! IndexedDB keeps bytes, and each write is one transaction, so a pack is either kept whole or
//! not at all. A refused write (a full quota) is an error the page shows; the pack stays in use
//! for the visit.
//!
//! The IndexedDB calls are a few lines of JavaScript (`inline_js`), the one place the app talks
//! to it; everything about what is kept is here in Rust. Outside a browser (the native unit
//! tests) nothing is kept and every call says so.

use crate::packs::{Origin, Role};

/// A kept pack.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptPack {
    pub role: Role,
    pub file: String,
    pub origin: Origin,
    pub bytes: Vec<u8>,
}

fn origin_name(o: Origin) -> &'static str {
    match o {
        Origin::Demo => "demo",
        Origin::Opened => "opened",
        Origin::Fitted => "fitted",
    }
}

fn origin_of(name: &str) -> Option<Origin> {
    match name {
        "opened" => Some(Origin::Opened),
        "fitted" => Some(Origin::Fitted),
        _ => None,
    }
}

fn role_of(key: &str) -> Option<Role> {
    [Role::Mastery, Role::Suggestions].into_iter().find(|r| r.key() == key)
}

#[cfg(target_arch = "wasm32")]
mod idb {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(inline_js = r#"
const DB = 'classlens', STORE = 'packs';
function request(r) {
  return new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
}
function open() {
  const r = indexedDB.open(DB, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(STORE);
  return request(r);
}
function committed(tx) {
  // An error aborts the transaction unless handled, so the verdict is onabort's: tx.error is
  // the cause there (a full quota is a QuotaExceededError on the transaction; a failed request's
  // error is copied to it). The request's own error is kept in case tx.error is empty.
  return new Promise((resolve, reject) => {
    let requestError = null;
    tx.oncomplete = () => resolve();
    tx.onerror = (e) => { requestError = requestError ?? e.target?.error ?? null; };
    tx.onabort = () => reject(tx.error ?? requestError ?? new DOMException('the write was aborted', 'AbortError'));
  });
}
async function withStore(mode, f) {
  const db = await open();
  try {
    const tx = db.transaction(STORE, mode);
    const out = f(tx.objectStore(STORE));
    await committed(tx);
    return out === undefined ? undefined : await out;
  } finally {
    db.close();
  }
}
export function packs_put(key, file, origin, bytes) {
  return withStore('readwrite', (s) => { s.put({ file, origin, bytes }, key); });
}
export function packs_all() {
  return withStore('readonly', (s) => {
    const keys = request(s.getAllKeys()), values = request(s.getAll());
    return Promise.all([keys, values]).then(([k, v]) => k.map((key, i) => [key, v[i].file, v[i].origin, v[i].bytes]));
  });
}
export function packs_delete(key) {
  return withStore('readwrite', (s) => { s.delete(key); });
}
export function packs_clear() {
  return withStore('readwrite', (s) => { s.clear(); });
}
"#)]
    extern "C" {
        #[wasm_bindgen(catch)]
        pub async fn packs_put(key: &str, file: &str, origin: &str, bytes: js_sys::Uint8Array) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch)]
        pub async fn packs_all() -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch)]
        pub async fn packs_delete(key: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch)]
        pub async fn packs_clear() -> Result<JsValue, JsValue>;
    }

    /// A DOMException as the page says it: a full quota in words, anything else by name.
    pub fn message(e: JsValue) -> String {
        let name = js_sys::Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
        let text = js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|n| n.as_string()).unwrap_or_else(|| format!("{e:?}"));
        if name == "QuotaExceededError" { "this browser's storage for the page is full (QuotaExceededError)".to_string() } else { format!("{name}: {text}") }
    }
}

/// Keeps `pack` in its role's place, replacing what was kept there.
pub async fn keep(pack: &KeptPack) -> Result<(), String> {
    #[cfg(target_arch = "wasm32")]
    {
        let bytes = js_sys::Uint8Array::from(pack.bytes.as_slice());
        idb::packs_put(pack.role.key(), &pack.file, origin_name(pack.origin), bytes).await.map(|_| ()).map_err(idb::message)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (pack, origin_name(Origin::Demo));
        Err("no IndexedDB outside a browser".into())
    }
}

/// Every kept pack (records this version cannot read are skipped).
pub async fn kept() -> Result<Vec<KeptPack>, String> {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        let all = idb::packs_all().await.map_err(idb::message)?;
        let rows: js_sys::Array = all.dyn_into().map_err(|_| "IndexedDB answered something that is not a list".to_string())?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let row: js_sys::Array = row.dyn_into().ok()?;
                let role = role_of(&row.get(0).as_string()?)?;
                let file = row.get(1).as_string()?;
                let origin = origin_of(&row.get(2).as_string()?)?;
                let bytes = row.get(3).dyn_into::<js_sys::Uint8Array>().ok()?.to_vec();
                Some(KeptPack { role, file, origin, bytes })
            })
            .collect())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (role_of("mastery"), origin_of("opened"));
        Err("no IndexedDB outside a browser".into())
    }
}

/// Removes the pack kept for `role` (one that no longer loads).
pub async fn forget(role: Role) -> Result<(), String> {
    #[cfg(target_arch = "wasm32")]
    {
        idb::packs_delete(role.key()).await.map(|_| ()).map_err(idb::message)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = role;
        Err("no IndexedDB outside a browser".into())
    }
}

/// Removes every kept pack.
pub async fn forget_all() -> Result<(), String> {
    #[cfg(target_arch = "wasm32")]
    {
        idb::packs_clear().await.map(|_| ()).map_err(idb::message)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        Err("no IndexedDB outside a browser".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_origins_are_stored_by_name() {
        for r in [Role::Mastery, Role::Suggestions] {
            assert_eq!(role_of(r.key()), Some(r));
        }
        for o in [Origin::Opened, Origin::Fitted] {
            assert_eq!(origin_of(origin_name(o)), Some(o));
        }
        assert_eq!(origin_of(origin_name(Origin::Demo)), None, "demo packs are never kept: they come with the page");
        assert_eq!(role_of("other"), None);
    }
}
