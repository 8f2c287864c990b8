//! The names things have in the room protocol: rooms, members, connections, and the opaque
//! values (proofs, tokens, sealed blobs) the server handles without understanding.
//!
//! Every type here validates itself when it is parsed or deserialized, so a value of the type is
//! always well-formed. Secrets ([`RoomProof`], [`ResumeToken`]) and personal data ([`Blob`], which
//! carries sealed profiles) never print their contents in `Debug`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::ProtocolError;

/// Length of a [`RoomId`] in characters.
pub const ROOM_ID_LEN: usize = 26;

/// A room, named by an id derived from the join link's secret (by the link module). The server
/// sees only this id, never the secret: 26 characters of lowercase base32 (`a`–`z`, `2`–`7`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomId(String);

impl RoomId {
    /// Parses and validates a room id.
    pub fn parse(s: &str) -> Result<Self, ProtocolError> {
        if s.len() != ROOM_ID_LEN {
            return Err(ProtocolError::InvalidId { what: "room id", why: "must be 26 characters" });
        }
        if !s.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)) {
            return Err(ProtocolError::InvalidId { what: "room id", why: "must be lowercase base32 (a-z, 2-7)" });
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The room id that commits to a room proof: base32 of the first 16 bytes of
    /// SHA-256("trygg/room-id/v2" ‖ proof). The server checks it on `create` and `recreate`, so
    /// that nobody can create a room without its link's proof (a squatter who knows only the
    /// room id would need a preimage).
    pub fn bound_to(proof: &RoomProof) -> Self {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(ROOM_ID_V2_DOMAIN);
        h.update(proof.as_bytes());
        let digest = h.finalize();
        Self(data_encoding::BASE32_NOPAD.encode(&digest[..16]).to_ascii_lowercase())
    }

    /// Whether this room id commits to `proof` ([`RoomId::bound_to`]).
    pub fn is_bound_to(&self, proof: &RoomProof) -> bool {
        *self == Self::bound_to(proof)
    }
}

/// Domain of [`RoomId::bound_to`].
const ROOM_ID_V2_DOMAIN: &[u8] = b"trygg/room-id/v2";

impl TryFrom<String> for RoomId {
    type Error = ProtocolError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RoomId> for String {
    fn from(id: RoomId) -> Self {
        id.0
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoomId({})", self.0)
    }
}

/// A member (or a knocker waiting in the lobby) of one room: 8 random bytes chosen by the server,
/// written as 16 lowercase hex digits. It says nothing about the person.
///
/// Ids are ordered by their bytes, which is also the order of their hex text, so every client
/// computes the same answer to "which of us is polite" ([`MemberId::is_polite_towards`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberId([u8; 8]);

impl MemberId {
    /// A member id from its bytes (the server draws them from its RNG; tests pick them).
    pub const fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }

    /// The id's bytes.
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0
    }

    /// Parses 16 lowercase hex digits.
    pub fn parse(s: &str) -> Result<Self, ProtocolError> {
        let bad = ProtocolError::InvalidId { what: "member id", why: "must be 16 lowercase hex digits" };
        let b = s.as_bytes();
        if b.len() != 16 {
            return Err(bad);
        }
        let mut out = [0u8; 8];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            let hi = hex_digit(pair[0]).ok_or(bad.clone())?;
            let lo = hex_digit(pair[1]).ok_or(bad.clone())?;
            out[i] = hi << 4 | lo;
        }
        Ok(Self(out))
    }

    /// In perfect negotiation between two members, the one with the larger id is the polite
    /// peer (it rolls back its own offer on glare); both ends compute the same answer.
    pub fn is_polite_towards(&self, other: &MemberId) -> bool {
        self > other
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberId({self})")
    }
}

impl Serialize for MemberId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MemberId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// One run of a meeting: 16 random bytes the host draws when it starts the meeting, which are
/// also the id of the meeting's MLS group. The server keeps it with the room and tells it to
/// whoever asks to knock ([`crate::room::proto::ClientMsg::Look`]); the knocker seals it into
/// its knock, and the host refuses knocks sealed for another run. So a knock a server kept from
/// an earlier meeting of the same link cannot be replayed into this one. Not a secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeetingInstance([u8; 16]);

impl MeetingInstance {
    /// An instance from its bytes (the host draws them from its RNG).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The bytes (the MLS group id).
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// From a group id: None unless it is 16 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }
}

impl fmt::Debug for MeetingInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MeetingInstance(")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
        f.write_str(")")
    }
}

impl Serialize for MeetingInstance {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl<'de> Deserialize<'de> for MeetingInstance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = Blob::deserialize(d)?.0;
        Self::from_slice(&bytes).ok_or_else(|| serde::de::Error::custom("meeting instance must be 16 bytes"))
    }
}

/// A connection (one WebSocket), numbered by the runtime. Never sent on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Bytes that travel as base64url without padding in JSON. The server relays blobs without
/// parsing them; their `Debug` shows only the length, because a blob may carry a display name.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl Blob {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        URL_SAFE_NO_PAD.decode(s.as_bytes()).map(Self).map_err(|_| serde::de::Error::custom("invalid base64url"))
    }
}

/// Shortest and longest [`RoomProof`] the server accepts, in bytes.
pub const ROOM_PROOF_LEN: std::ops::RangeInclusive<usize> = 16..=64;

/// Proof that the sender holds the join link: a value only link holders can compute (the runtime
/// derives it, e.g. HMAC-SHA-256 of the room id under a key derived from the link secret). The
/// server keeps the value it got from the room's creator and compares later ones against it;
/// it cannot compute it itself. Compared in constant time; redacted in `Debug`.
#[derive(Clone, Eq)]
pub struct RoomProof(Vec<u8>);

impl RoomProof {
    /// A proof from its bytes (16 to 64 of them).
    pub fn new(bytes: Vec<u8>) -> Result<Self, ProtocolError> {
        if ROOM_PROOF_LEN.contains(&bytes.len()) {
            Ok(Self(bytes))
        } else {
            Err(ProtocolError::InvalidId { what: "room proof", why: "must be 16 to 64 bytes" })
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The proof of holding a link that the server checks on create, knock and rejoin: an HKDF
    /// of the link secret, so the server (which never sees the secret) cannot make it for
    /// another room, and a stranger who knows only the room id cannot knock.
    pub fn derive(link_secret: &[u8]) -> Self {
        let mut out = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(None, link_secret)
            .expand(b"trygg/room-proof/v1", &mut out)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self(out.to_vec())
    }
}

/// Zeroed on drop: it is a capability (whoever holds it may knock and rejoin).
impl Drop for RoomProof {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl PartialEq for RoomProof {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for RoomProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RoomProof(..)")
    }
}

impl Serialize for RoomProof {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Blob(self.0.clone()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for RoomProof {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(Blob::deserialize(d)?.0).map_err(serde::de::Error::custom)
    }
}

/// The secret a member presents to take its seat back after its connection dropped (within the
/// grace period, while the server still runs). 32 random bytes from the server's RNG, replaced at
/// every resume, so an old token is worthless. Compared in constant time; redacted in `Debug`.
#[derive(Clone, Eq)]
pub struct ResumeToken([u8; 32]);

impl PartialEq for ResumeToken {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(&self.0, &other.0)
    }
}

impl ResumeToken {
    /// A token from its bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for ResumeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResumeToken(..)")
    }
}

impl Serialize for ResumeToken {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl<'de> Deserialize<'de> for ResumeToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = Blob::deserialize(d)?.0;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| serde::de::Error::custom("resume token must be 32 bytes"))?;
        Ok(Self(arr))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_id_accepts_26_lowercase_base32() {
        let id = RoomId::parse("abcdefghijklmnopqrstuvwxyz").expect("valid");
        assert_eq!(id.as_str(), "abcdefghijklmnopqrstuvwxyz");
        assert!(RoomId::parse("abcdefghijklmnopqrstuvwx27").is_ok());
    }

    #[test]
    fn room_id_rejects_wrong_length_case_and_alphabet() {
        assert!(RoomId::parse("abc").is_err());
        assert!(RoomId::parse("ABCDEFGHIJKLMNOPQRSTUVWXYZ").is_err());
        assert!(RoomId::parse("abcdefghijklmnopqrstuvwxy1").is_err(), "1 is not base32");
        assert!(RoomId::parse("abcdefghijklmnopqrstuvwxyé").is_err());
    }

    #[test]
    fn member_id_round_trips_through_hex_and_orders_like_its_text() {
        let a = MemberId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0x0f]);
        let b = MemberId::from_bytes([0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(a.to_string(), "000000000000000f");
        assert_eq!(MemberId::parse(&b.to_string()).expect("round trip"), b);
        assert!(a < b && a.to_string() < b.to_string());
        assert!(b.is_polite_towards(&a) && !a.is_polite_towards(&b));
        assert!(MemberId::parse("000000000000000F").is_err(), "uppercase is refused");
        assert!(MemberId::parse("00000000000000").is_err());
        assert!(MemberId::parse("00000000000000gg").is_err());
    }

    #[test]
    fn secrets_and_blobs_do_not_print_their_contents() {
        let proof = RoomProof::new(vec![7; 32]).expect("valid");
        let blob = Blob(b"{\"name\":\"Alice\"}".to_vec());
        assert_eq!(format!("{proof:?}"), "RoomProof(..)");
        assert_eq!(format!("{:?}", ResumeToken::from_bytes([1; 32])), "ResumeToken(..)");
        assert!(!format!("{blob:?}").contains("Alice"));
    }

    #[test]
    fn blob_is_base64url_without_padding_and_strict() {
        let json = serde_json::to_string(&Blob(vec![0xfb, 0xff])).expect("serializes");
        assert_eq!(json, "\"-_8\"");
        assert_eq!(serde_json::from_str::<Blob>("\"-_8\"").expect("decodes").0, vec![0xfb, 0xff]);
        assert!(serde_json::from_str::<Blob>("\"-_8=\"").is_err(), "padding is refused");
        assert!(serde_json::from_str::<Blob>("\"+/8\"").is_err(), "standard alphabet is refused");
    }

    #[test]
    fn room_proof_length_is_bounded_and_equality_is_by_value() {
        assert!(RoomProof::new(vec![0; 15]).is_err());
        assert!(RoomProof::new(vec![0; 65]).is_err());
        assert_eq!(RoomProof::new(vec![1; 32]).ok(), RoomProof::new(vec![1; 32]).ok());
        assert_ne!(RoomProof::new(vec![1; 32]).ok(), RoomProof::new(vec![2; 32]).ok());
        assert_ne!(RoomProof::new(vec![1; 32]).ok(), RoomProof::new(vec![1; 33]).ok());
    }
}
