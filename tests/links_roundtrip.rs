//! Round trips: what Trygg writes, Trygg reads back the same — links, SIP and tel URIs, and whole
//! invites (shared, personal, with a private agenda), also when the link sits in prose.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use trygg::links::invitation::normalize_invitee;
use trygg::links::invite_out::{self, Meeting};
use trygg::links::{
    Input, Invitation, InvitationCheck, InvitationId, JoinLink, Kind, LinkForm, LinkSecret, SipUri, TelUri, agenda,
    extract, ics,
};

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec("[a-z][a-z0-9]{0,9}", 1..4).prop_map(|l| format!("{}.example", l.join("."))),
        Just("møte.example.no".to_owned()),
        Just("localhost".to_owned()),
        Just("[2001:db8::1]".to_owned()),
        // Dotted decimal has no leading zeros (a URL parser refuses "08").
        "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])".prop_map(|o| format!("192.0.2.{o}")),
    ]
}

fn email() -> impl Strategy<Value = String> {
    ("[a-z][a-z0-9._+-]{0,15}", "[a-z]{1,10}", "(com|no|org|co\\.uk)").prop_map(|(l, d, t)| format!("{l}@{d}.{t}"))
}

fn secret() -> impl Strategy<Value = LinkSecret> {
    proptest::collection::vec(any::<u8>(), 16..=32).prop_map(|b| LinkSecret::from_bytes(&b).unwrap())
}

fn link() -> impl Strategy<Value = JoinLink> {
    (prop_oneof![Just(LinkForm::Trygg), Just(LinkForm::Https)], host(), proptest::option::of(1u16..), secret())
        .prop_map(|(form, host, port, secret)| JoinLink::new(form, &host, port, secret).unwrap())
}

/// Text with everything an invite must escape: `\ ; , :` newlines, quotes, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9 ]{1,12}",
            Just("\\".to_owned()),
            Just(";".to_owned()),
            Just(",".to_owned()),
            Just(":".to_owned()),
            Just("\n".to_owned()),
            Just("\"".to_owned()),
            "[æøåÆØÅ€→✓日本]{1,3}",
        ],
        1..12,
    )
    .prop_map(|v| v.concat())
}

/// The host's device key in these tests.
fn host_key() -> trygg::e2ee::identity::DeviceIdentity {
    trygg::e2ee::identity::DeviceIdentity::from_seed([7; 32].into())
}

/// A personal invitation to `link`'s meeting for `invitee`, signed by [`host_key`].
fn invitation(link: &JoinLink, invitee: &str, id: [u8; 8]) -> Invitation {
    let host = host_key();
    Invitation::issue(link.secret().expose_bytes(), invitee, InvitationId(id), *host.public_key(), [id[0]; 32], |m| {
        host.sign_statement(m).unwrap()
    })
    .unwrap()
}

/// Whether `link` carries an invitation the host made for `invitee`.
fn invited(link: &JoinLink, invitee: &str) -> bool {
    let host = host_key();
    link.invitation().is_some_and(|i| {
        let shown = i.show(link.secret().expose_bytes(), &[1; 16], b"a KeyPackage");
        matches!(shown.check(link.secret().expose_bytes(), &[1; 16], b"a KeyPackage", &[&host.public_key()[..]], |_| false),
            InvitationCheck::Invited { invitee: ref got, .. } if *got == normalize_invitee(invitee))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn join_links_round_trip(link in link(), invitee in email(), nonce in any::<[u8; 8]>(), personal in any::<bool>()) {
        let link = if personal { link.personal(invitation(&link, &invitee, nonce)) } else { link };
        let back = JoinLink::parse(&link.expose_url()).unwrap();
        prop_assert_eq!(&back, &link);
        prop_assert_eq!(back.server_view(), link.server_view());
        prop_assert_eq!(back.room(), back.secret().room_id());
        if personal {
            prop_assert!(invited(&back, &invitee));
            let other = format!("x{}", invitee);
            prop_assert!(!invited(&back, &other));
        }
        // Whatever the link, extraction finds it and joins it, and the plan's server view is the link's.
        let x = extract(Input::Url(&link.expose_url()), None).unwrap();
        let p = &x.candidates[x.preferred.unwrap()];
        prop_assert_eq!(p.kind, Kind::Trygg);
        prop_assert_eq!(p.join.as_ref().unwrap().server_view(), link.server_view());
    }

    #[test]
    fn tel_and_sip_uris_round_trip(
        cc in "[1-9][0-9]{0,2}", national in "[0-9]{6,10}", pin in proptest::option::of("[0-9]{4,12}"),
        user in "[a-zA-Z0-9._-]{1,20}", h in host(), port in proptest::option::of(1u16..), secure in any::<bool>(),
    ) {
        let dtmf = pin.as_ref().map(|p| format!(",,{p}#")).unwrap_or_default();
        let number = format!("+{cc}{national}");
        prop_assume!(number.len() <= 16);
        let t = TelUri::parse(&format!("tel:{number}{dtmf}")).unwrap();
        prop_assert_eq!(&TelUri::parse(&t.to_uri()).unwrap(), &t);
        prop_assert_eq!(t.to_dial_in().pin, pin);
        prop_assume!(!h.contains('ø'));
        let scheme = if secure { "sips" } else { "sip" };
        let p = port.map(|p| format!(":{p}")).unwrap_or_default();
        let u = SipUri::parse(&format!("{scheme}:{user}@{h}{p};transport=tls")).unwrap();
        prop_assert_eq!(&SipUri::parse(&u.to_string()).unwrap(), &u);
        prop_assert_eq!(u.address(), format!("{user}@{h}"));
    }

    #[test]
    fn vendor_links_in_prose_are_found(
        before in "[a-zA-Z ,.]{0,40}", after in "[a-zA-Z ,.]{0,40}", id in 100_000_000u64..99_999_999_999,
        code in "[a-z]{3}-[a-z]{4}-[a-z]{3}", which in 0..3usize, wrap in any::<bool>(),
    ) {
        let (url, kind) = match which {
            0 => (format!("https://zoom.us/j/{id}?pwd=abc"), Kind::Zoom),
            1 => (format!("https://meet.google.com/{code}"), Kind::Meet),
            _ => (format!("https://teams.microsoft.com/l/meetup-join/19%3ameeting_{id}%40thread.v2/0"), Kind::Teams),
        };
        let shown = if wrap { format!("<{url}>") } else { url.clone() };
        let text = format!("{before} {shown} {after}");
        let x = extract(Input::Text(&text), None).unwrap();
        let p = &x.candidates[x.preferred.unwrap()];
        prop_assert_eq!(p.kind, kind);
        prop_assert_eq!(&p.url, &url);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn invites_round_trip(
        link in link(), title in text(), agenda_text in text(), attendees in proptest::collection::btree_set(email(), 1..4),
        start_s in 1_700_000_000i64..2_000_000_000, minutes in 1i64..600, private in any::<bool>(), personal in any::<bool>(),
        with_tel in any::<bool>(), with_sip in any::<bool>(), agenda_nonce in any::<[u8; 12]>(), nonces in any::<[[u8; 8]; 4]>(),
    ) {
        // Markers that must (not) show in the clear text.
        let title = format!("T1tl3 {title}");
        let agenda_text = format!("Ag3nd4 {agenda_text}");
        let attendees: Vec<String> = attendees.into_iter().collect();
        let start = Timestamp::from_second(start_s).unwrap();
        let end = start + SignedDuration::from_mins(minutes);
        let tel = TelUri::parse("tel:+4721000000,,424242#").unwrap();
        let sip = SipUri::parse("sip:bridge@sip.example.org").unwrap();
        let m = Meeting {
            uid: "round-trip@trygg",
            stamp: start,
            start,
            end,
            title: &title,
            agenda: &agenda_text,
            organizer: Some("host@example.org"),
            attendees: &attendees,
            sip: with_sip.then_some(&sip),
            tel: with_tel.then_some(&tel),
            private_agenda_nonce: private.then_some(agenda_nonce),
        };
        let files: Vec<(Option<String>, JoinLink, String)> = if personal {
            let mut n = nonces.iter();
            invite_out::write_personal(&m, &link, |a| Ok(invitation(&link, a, *n.next().unwrap())))
                .unwrap()
                .into_iter()
                .map(|p| (Some(p.attendee), p.link, p.ics))
                .collect()
        } else {
            vec![(None, link.without_invitation(), invite_out::write(&m, &link).unwrap())]
        };
        for (who, sent, ics_text) in files {
            for line in ics_text.split_terminator("\r\n") {
                prop_assert!(line.len() <= 75 && !line.contains('\n') && !line.contains('\r'), "{:?}", line);
            }
            let cal = ics::parse(ics_text.as_bytes()).unwrap();
            prop_assert!(cal.warnings.is_empty(), "{:?}", cal.warnings);
            let e = &cal.events[0];
            prop_assert_eq!(e.start.as_ref().and_then(|t| t.timestamp()), Some(start));
            prop_assert_eq!(e.end.as_ref().and_then(|t| t.timestamp()), Some(end));
            let summary = e.summary().unwrap();
            let listed: Vec<String> = e.all("ATTENDEE").map(|p| p.value.trim_start_matches("mailto:").to_owned()).collect();
            match &who {
                Some(a) => prop_assert_eq!(&listed, &vec![a.clone()]),
                None => prop_assert_eq!(&listed, &attendees),
            }
            let x = extract(Input::Ics(ics_text.as_bytes()), None).unwrap();
            let p = &x.candidates[x.preferred.unwrap()];
            prop_assert_eq!(p.kind, Kind::Trygg);
            prop_assert_eq!(&p.url, &sent.expose_url());
            let got = p.join.as_ref().unwrap();
            prop_assert_eq!(got, &sent);
            if let Some(a) = &who {
                prop_assert!(invited(got, a));
            }
            if with_tel {
                prop_assert!(p.dial_in.iter().any(|d| d.number == "+4721000000" && d.pin.as_deref() == Some("424242")));
            }
            if with_sip {
                prop_assert!(x.candidates.iter().any(|c| c.kind == Kind::Sip && c.url == "sip:bridge@sip.example.org"));
            }
            if private {
                prop_assert_eq!(summary.as_str(), invite_out::PRIVATE_TITLE);
                let clear = ics_text.replace("\r\n ", "");
                prop_assert!(!clear.contains("T1tl3") && !clear.contains("Ag3nd4"));
                let sealed = x.sealed_agenda.as_ref().unwrap();
                let opened = agenda::open(got.secret(), sealed).unwrap();
                prop_assert_eq!(&opened.title, &title);
                prop_assert_eq!(&opened.agenda, &agenda_text);
            } else {
                prop_assert_eq!(summary, title.clone());
                prop_assert!(e.prop("DESCRIPTION").unwrap().text().starts_with(agenda_text.trim()));
                prop_assert!(x.sealed_agenda.is_none());
            }
        }
    }
}
