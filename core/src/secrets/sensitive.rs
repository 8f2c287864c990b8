//! [`Sensitive<T>`]: a value that must not leak through logs, serialization or freed memory.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret value: redacted in `Debug`, never serialized, zeroed when dropped.
///
/// There is deliberately no `Display`, no `Serialize`, no `Deref`: the only way to the value is
/// [`Sensitive::expose`], so every use of a secret is visible in the code.
///
/// ```
/// use trygg_core::secrets::Sensitive;
/// let key = Sensitive::new(vec![1u8, 2, 3]);
/// assert_eq!(format!("{key:?}"), "<redacted>");
/// assert_eq!(key.expose(), &[1, 2, 3]);
/// ```
///
/// Serializing one does not compile:
///
/// ```compile_fail
/// use trygg_core::secrets::Sensitive;
/// let key = Sensitive::new(vec![1u8, 2, 3]);
/// serde_json::to_string(&key).unwrap();
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T: Zeroize>(T);

impl<T: Zeroize> Sensitive<T> {
    /// Wraps a secret. The caller should not keep other copies of it.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Every call is a place where the secret is used: keep them few.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The secret, mutably (to fill a buffer in place without a second copy).
    pub fn expose_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Zeroize> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T: Zeroize> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: Zeroize> Drop for Sensitive<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> ZeroizeOnDrop for Sensitive<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_even_nested() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            name: &'static str,
            key: Sensitive<Vec<u8>>,
        }
        let h = Holder { name: "device", key: Sensitive::new(b"hunter2".to_vec()) };
        let printed = format!("{h:?} {h:#?}");
        assert!(printed.contains("<redacted>"));
        assert!(!printed.contains("hunter2") && !printed.contains("104"), "{printed}");
    }

    #[test]
    fn zeroize_clears_the_value() {
        let mut s = Sensitive::new([7u8; 32]);
        s.expose_mut().zeroize();
        assert_eq!(s.expose(), &[0u8; 32]);
    }
}
