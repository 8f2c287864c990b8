//! RFC 9605 Appendix C test vectors, kept as data in `tests/data/sframe/`.

use serde_json::Value;

use super::key::{ctr_hmac_seal, derive};
use super::*;

const VECTORS: &str = include_str!("../../../../tests/data/sframe/rfc9605-test-vectors.json");

fn hex(v: &Value) -> Vec<u8> {
    let s = v.as_str().expect("hex strings in the vector file");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit")).collect()
}

fn vectors(section: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(VECTORS).expect("the vector file is JSON");
    all[section].as_array().expect("a list of vectors").clone()
}

#[test]
fn header_vectors() {
    let v = vectors("header");
    assert!(v.len() > 200);
    for t in v {
        let h = Header { kid: t["kid"].as_u64().unwrap(), ctr: t["ctr"].as_u64().unwrap() };
        let encoded = hex(&t["encoded"]);
        assert_eq!(h.encode(), encoded, "{h:?}");
        assert_eq!(Header::parse(&encoded).unwrap(), (h, encoded.len()));
    }
}

#[test]
fn aes_ctr_hmac_vectors() {
    let v = vectors("aes_ctr_hmac");
    assert_eq!(v.len(), 3);
    for t in v {
        let suite = CipherSuite::from_id(t["cipher_suite"].as_u64().unwrap() as u16).unwrap();
        let key = hex(&t["key"]);
        assert_eq!(&key[..16], hex(&t["enc_key"]).as_slice());
        assert_eq!(&key[16..], hex(&t["auth_key"]).as_slice());
        let nonce: [u8; 12] = hex(&t["nonce"]).try_into().unwrap();
        let ct = ctr_hmac_seal(suite, &key, &nonce, &hex(&t["aad"]), &hex(&t["pt"]));
        assert_eq!(ct, hex(&t["ct"]), "{suite:?}");
    }
}

#[test]
fn sframe_vectors_for_all_five_suites() {
    let v = vectors("sframe");
    let mut suites = vec![];
    for t in v {
        let suite = CipherSuite::from_id(t["cipher_suite"].as_u64().unwrap() as u16).unwrap();
        suites.push(suite.id());
        let (kid, ctr) = (t["kid"].as_u64().unwrap(), t["ctr"].as_u64().unwrap());
        let base_key = hex(&t["base_key"]);
        let d = derive(suite, kid, &base_key);
        assert_eq!(d.secret.as_slice(), hex(&t["sframe_secret"]).as_slice(), "{suite:?} secret");
        assert_eq!(d.key.as_slice(), hex(&t["sframe_key"]).as_slice(), "{suite:?} key");
        assert_eq!(d.salt.as_slice(), hex(&t["sframe_salt"]).as_slice(), "{suite:?} salt");

        let key = FrameKey::new(suite, kid, &base_key);
        let metadata = hex(&t["metadata"]);
        let mut out = Vec::new();
        key.seal(ctr, &metadata, &hex(&t["pt"]), &mut out);
        let expected = hex(&t["ct"]);
        assert_eq!(out, expected, "{suite:?} ciphertext");

        let (header, hlen) = Header::parse(&expected).unwrap();
        assert_eq!((header.kid, header.ctr), (kid, ctr));
        // The AAD the RFC lists is header ‖ metadata.
        assert_eq!([&expected[..hlen], &metadata[..]].concat(), hex(&t["aad"]));
        let mut rx = ReceiverContext::new(FrameKey::new(suite, kid, &base_key));
        let mut pt = Vec::new();
        rx.decrypt(&header, &expected[..hlen], &metadata, &expected[hlen..], &mut pt).unwrap();
        assert_eq!(pt, hex(&t["pt"]));
        assert_eq!(rx.decrypt(&header, &expected[..hlen], &metadata, &expected[hlen..], &mut pt), Err(Dropped::Replay));
    }
    assert_eq!(suites, [1, 2, 3, 4, 5]);
}
