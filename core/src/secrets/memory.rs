//! [`MemoryStore`]: secrets in memory, for tests and core scenarios. Never used by the app.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{SecretStore, SecretsError, Sensitive};

/// An in-memory [`SecretStore`]. It can pretend to be locked, to test what callers do then.
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<HashMap<String, Sensitive<Vec<u8>>>>,
    locked: Mutex<bool>,
}

impl MemoryStore {
    /// An empty, unlocked store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every call fail with [`SecretsError::KeychainLocked`] (or work again).
    pub fn set_locked(&self, locked: bool) {
        *self.locked.lock().expect("memory store lock is never poisoned") = locked;
    }

    fn check(&self) -> Result<(), SecretsError> {
        if *self.locked.lock().expect("memory store lock is never poisoned") {
            return Err(SecretsError::KeychainLocked { detail: "memory store is locked".into() });
        }
        Ok(())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<Sensitive<Vec<u8>>>, SecretsError> {
        self.check()?;
        Ok(self.items.lock().expect("memory store lock is never poisoned").get(name).cloned())
    }

    fn set(&self, name: &str, secret: &Sensitive<Vec<u8>>) -> Result<(), SecretsError> {
        self.check()?;
        self.items.lock().expect("memory store lock is never poisoned").insert(name.to_owned(), secret.clone());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), SecretsError> {
        self.check()?;
        self.items.lock().expect("memory store lock is never poisoned").remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_delete_and_locked() {
        let s = MemoryStore::new();
        assert!(s.get("a").unwrap().is_none());
        s.set("a", &Sensitive::new(vec![1, 2])).unwrap();
        assert_eq!(s.get("a").unwrap().unwrap().expose(), &vec![1, 2]);
        s.set_locked(true);
        let e = s.get("a").unwrap_err();
        assert_eq!(e.code(), "secrets.keychain_locked");
        s.set_locked(false);
        s.delete("a").unwrap();
        s.delete("a").unwrap();
        assert!(s.get("a").unwrap().is_none());
    }
}
