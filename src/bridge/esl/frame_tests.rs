use std::borrow::Cow;

use proptest::prelude::*;

use super::*;

type Fields = Vec<(String, String)>;

/// A frame with everything copied out, to compare frames read from different splits.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owned {
    kind: Kind,
    headers: Fields,
    body: Vec<u8>,
    event: Option<(Fields, Option<String>)>,
}

fn own(f: &Frame<'_>) -> Owned {
    Owned {
        kind: f.kind(),
        headers: f.headers().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
        body: f.body().to_vec(),
        event: f.event().map(|e| {
            (e.headers().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(), e.body().map(Cow::into_owned))
        }),
    }
}

fn drain(r: &mut FrameReader, out: &mut Vec<Owned>) {
    while let Some(f) = r.next_frame() {
        out.push(own(&f));
    }
}

fn read_chunks<'a>(limits: Limits, chunks: impl IntoIterator<Item = &'a [u8]>) -> (Vec<Owned>, FrameStats) {
    let mut r = FrameReader::new(limits);
    let mut out = Vec::new();
    for c in chunks {
        r.push(c);
        drain(&mut r, &mut out);
    }
    (out, r.stats())
}

fn read(stream: &[u8]) -> (Vec<Owned>, FrameStats) {
    read_chunks(Limits::default(), [stream])
}

fn typed(content_type: &str, body: &str) -> Vec<u8> {
    format!("Content-Type: {content_type}\nContent-Length: {}\n\n{body}", body.len()).into_bytes()
}

fn api(body: &str) -> Vec<u8> {
    typed("api/response", body)
}

/// One of each content type the bridge meets, as FreeSWITCH writes them.
fn stream() -> Vec<u8> {
    let mut s = b"Content-Type: auth/request\n\n".to_vec();
    s.extend(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n");
    s.extend(api("name|status\n1001@default|Available\n张三|On Break\n+OK\n"));
    s.extend(plain_event(
        &[
            ("Event-Name", "CUSTOM"),
            ("Event-Subclass", "callcenter::info"),
            ("CC-Action", "member-queue-start"),
            ("CC-Member-CID-Name", "张三 (VIP)"),
            ("CC-Member-CID-Number", "+15550111"),
        ],
        None,
    ));
    s.extend(b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: job-1\nJob-UUID: job-1\n\n");
    s.extend(plain_event(&[("Event-Name", "BACKGROUND_JOB"), ("Job-UUID", "job-1")], Some("+OK leg-1\n")));
    s.extend(typed("text/disconnect-notice", "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"));
    s.extend(typed("text/rude-rejection", "Access Denied, go away.\n"));
    s
}

fn kinds(frames: &[Owned]) -> Vec<Kind> {
    frames.iter().map(|f| f.kind).collect()
}

#[test]
fn the_stream_reads_as_its_frames_with_their_headers_bodies_and_events() {
    let (frames, stats) = read(&stream());
    assert_eq!(
        kinds(&frames),
        vec![
            Kind::AuthRequest,
            Kind::CommandReply,
            Kind::ApiResponse,
            Kind::Event,
            Kind::CommandReply,
            Kind::Event,
            Kind::DisconnectNotice,
            Kind::RudeRejection
        ]
    );
    assert_eq!(frames[1].headers[1], ("Reply-Text".into(), "+OK accepted".into()));
    assert!(String::from_utf8_lossy(&frames[2].body).contains("张三|On Break\n+OK\n"));
    let (headers, body) = frames[3].event.clone().unwrap_or_default();
    assert_eq!(headers[3], ("CC-Member-CID-Name".into(), "张三 (VIP)".into()));
    assert_eq!(headers[4], ("CC-Member-CID-Number".into(), "+15550111".into()));
    assert_eq!(body, None);
    assert_eq!(frames[4].headers[2], ("Job-UUID".into(), "job-1".into()));
    assert!(frames[6].body.starts_with(b"Disconnected, goodbye."));
    assert_eq!(frames[7].body, b"Access Denied, go away.\n");
    assert_eq!(stats.frames, 8);
    assert_eq!((stats.garbage, stats.oversized, stats.bad_escapes), (0, 0, 0));
}

#[test]
fn every_split_point_and_one_byte_at_a_time_give_the_same_frames() {
    let s = stream();
    let (whole, _) = read(&s);
    assert_eq!(whole.len(), 8);
    for at in 0..=s.len() {
        let (a, b) = s.split_at(at);
        let (frames, stats) = read_chunks(Limits::default(), [a, b]);
        assert_eq!(frames, whole, "split at byte {at}");
        assert_eq!((stats.garbage, stats.oversized), (0, 0), "split at byte {at}");
    }
    let (frames, _) = read_chunks(Limits::default(), s.chunks(1));
    assert_eq!(frames, whole, "one byte at a time");
}

#[test]
fn values_decode_as_freeswitch_encodes_them_and_bad_escapes_are_kept_and_counted() {
    fn d(s: &str) -> (Cow<'_, str>, u64) {
        percent_decode(s.as_bytes())
    }
    assert_eq!(d("%E5%BC%A0%E4%B8%89"), (Cow::Owned("张三".into()), 0));
    assert_eq!(d("2025-12-06%2010%3A00%3A00"), (Cow::Owned("2025-12-06 10:00:00".into()), 0));
    // `+` stands for itself (FreeSWITCH writes a space as %20 and a plus as %2B).
    assert_eq!(d("+15550111"), (Cow::Borrowed("+15550111"), 0));
    assert_eq!(d("%2B1%20555"), (Cow::Owned("+1 555".into()), 0));
    assert!(matches!(d("plain"), (Cow::Borrowed("plain"), 0)), "nothing to decode borrows");
    assert_eq!(d("100%"), (Cow::Owned("100%".into()), 1));
    assert_eq!(d("%zz%4"), (Cow::Owned("%zz%4".into()), 2));
    assert_eq!(d("a%FFb"), (Cow::Owned("a\u{FFFD}b".into()), 1), "not UTF-8: replaced and counted");
    for v in ["张三 (VIP) +1 <sip:1001@10.0.0.5>;tag=x", "100% & more", "tab\there\r\n"] {
        let enc = percent_encode(v);
        assert!(enc.bytes().all(|b| b.is_ascii_graphic()), "{enc}");
        assert_eq!(d(&enc), (Cow::Owned(v.to_string()), 0));
    }

    // Counted by the reader only for the values read.
    let mut r = FrameReader::default();
    let inner = "A: 50%\nB: %E5%BC%A0\nC: %%%\nD: x\n\n";
    r.push(format!("Content-Length: {}\nContent-Type: text/event-plain\n\n{inner}", inner.len()).as_bytes());
    let f = r.next_frame().expect("a frame");
    let ev = f.event().expect("an event");
    assert_eq!(ev.header("b").as_deref(), Some("张"), "names in any case");
    assert_eq!(ev.raw("B"), Some(b"%E5%BC%A0".as_slice()));
    assert_eq!(ev.header("D"), Some(Cow::Borrowed("x")));
    assert_eq!(ev.header("A").as_deref(), Some("50%"));
    assert_eq!(ev.header("missing"), None);
    assert_eq!(r.stats().bad_escapes, 1, "C was never read");
}

#[test]
fn an_event_with_its_own_content_length_has_that_body() {
    let mut r = FrameReader::default();
    r.push(&plain_event(&[("Event-Name", "BACKGROUND_JOB"), ("Job-UUID", "j-7")], Some("-ERR USER_BUSY\n")));
    r.push(&plain_event(&[("Event-Name", "HEARTBEAT")], None));
    let f = r.next_frame().expect("the job");
    let ev = f.event().expect("an event");
    assert_eq!(ev.header("Event-Name").as_deref(), Some("BACKGROUND_JOB"));
    assert_eq!(ev.header("Job-UUID").as_deref(), Some("j-7"));
    assert_eq!(ev.body().as_deref(), Some("-ERR USER_BUSY\n"));
    let f = r.next_frame().expect("the heartbeat");
    let ev = f.event().expect("an event");
    assert_eq!((ev.len(), ev.body()), (1, None));
    assert!(r.next_frame().is_none());
    // A body shorter than its Content-Length promises: what is there, and counted.
    let inner = "Event-Name: BACKGROUND_JOB\nContent-Length: 50\n\n+OK\n";
    let outer = format!("Content-Length: {}\nContent-Type: text/event-plain\n\n{inner}", inner.len());
    r.push(outer.as_bytes());
    let f = r.next_frame().expect("the short job");
    assert_eq!(f.event().and_then(|e| e.body()).as_deref(), Some("+OK\n"));
    assert_eq!(r.stats().garbage, 1);
}

#[test]
fn garbage_is_skipped_and_counted_and_the_next_frame_still_reads() {
    let mut s = b"\n\nthis is no header\n\n".to_vec();
    s.extend(b"Content-Type: command/reply\nnot a header line\nReply-Text: +OK\n\n");
    // No Content-Type: skipped with its body.
    s.extend(b"Content-Length: 5\n\nhello");
    // An unreadable Content-Length: the block is skipped; its body reads as garbage lines.
    s.extend(b"Content-Type: api/response\nContent-Length: ten\n\n");
    s.extend(api("+OK\n"));
    let (frames, stats) = read(&s);
    assert_eq!(kinds(&frames), vec![Kind::CommandReply, Kind::ApiResponse]);
    assert_eq!(
        frames[0].headers,
        vec![("Content-Type".into(), "command/reply".into()), ("Reply-Text".into(), "+OK".into())]
    );
    assert_eq!(frames[1].body, b"+OK\n");
    assert_eq!(stats.garbage, 4, "{stats:?}");
    assert_eq!(stats.frames, 2);
}

#[test]
fn oversized_headers_and_bodies_are_skipped_without_being_held() {
    let limits = Limits { max_header_bytes: 256, max_body_bytes: 1024 };
    let big = "x".repeat(10_000);
    let mut s = api(&big);
    s.extend(api("+OK\n"));
    let mut long_header = b"Content-Type: command/reply\n".to_vec();
    for i in 0..100 {
        long_header.extend(format!("X-Filler-{i}: {}\n", "y".repeat(20)).into_bytes());
    }
    long_header.extend(b"\n");
    s.extend(long_header);
    s.extend(b"Content-Type: command/reply\nReply-Text: +OK after\n\n");
    // One line without an end, longer than the header limit.
    let mut r = FrameReader::new(limits);
    let mut frames = Vec::new();
    for chunk in s.chunks(100) {
        r.push(chunk);
        drain(&mut r, &mut frames);
        assert!(r.buffered() <= limits.max_body_bytes + 512, "held {} bytes", r.buffered());
    }
    assert_eq!(kinds(&frames), vec![Kind::ApiResponse, Kind::CommandReply]);
    assert_eq!(frames[0].body, b"+OK\n");
    assert_eq!(frames[1].headers[1].1, "+OK after");
    assert_eq!(r.stats().oversized, 2);
    // Endless bytes with no line end: dropped as they come, never held past the limit.
    for _ in 0..100 {
        r.push(&[b'z'; 1000]);
        assert!(r.next_frame().is_none());
        assert!(r.buffered() <= 2 * limits.max_header_bytes + 1000, "held {} bytes", r.buffered());
    }
    assert!(r.stats().oversized >= 3);
    r.push(b"\n\n");
    r.push(b"Content-Type: command/reply\nReply-Text: +OK back\n\n");
    let back = r.next_frame().map(|f| own(&f));
    assert_eq!(back.map(|f| f.headers[1].1.clone()), Some("+OK back".to_string()));
}

#[test]
fn a_frame_cut_mid_body_gives_nothing_and_a_fresh_reader_starts_clean() {
    let ev = plain_event(&[("Event-Name", "CUSTOM"), ("CC-Action", "members-count")], None);
    let mut r = FrameReader::default();
    r.push(&ev[..ev.len() / 2]);
    assert!(r.next_frame().is_none());
    assert!(r.next_frame().is_none());
    assert_eq!(r.buffered(), ev.len() / 2);
    assert_eq!(r.stats().frames, 0);
    drop(r);
    // The link came back: a new reader for the new connection.
    let (frames, stats) = read(&ev);
    assert_eq!((frames.len(), stats.garbage), (1, 0));
}

proptest! {
    #[test]
    fn any_chunking_gives_the_same_frames(cuts in proptest::collection::vec(0usize..2000, 0..12)) {
        let s = stream();
        let (whole, _) = read(&s);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (s.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for c in cuts {
            chunks.push(&s[from..c]);
            from = c;
        }
        chunks.push(&s[from..]);
        let (frames, _) = read_chunks(Limits::default(), chunks);
        prop_assert_eq!(frames, whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic_nor_grow_the_buffer(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let limits = Limits { max_header_bytes: 128, max_body_bytes: 512 };
        let mut r = FrameReader::new(limits);
        for chunk in data.chunks(37) {
            r.push(chunk);
            while let Some(f) = r.next_frame() {
                let _ = own(&f);
                if let Some(ev) = f.event() {
                    let _ = ev.header("Event-Name");
                }
            }
            prop_assert!(r.buffered() <= limits.max_body_bytes + limits.max_header_bytes + 37);
        }
    }
}
