//! Masking of personal data (phone, ID, card and account numbers) for roles below admin. Pure functions, shared
//! by the engine's server (snapshots and events) and the console (what a supervisor typed), so both mask alike.
//!
//! `mask_text` scans free text for runs of digits and masks the ones that can identify a person, keeping the last 4
//! digits so an agent can still confirm a number with the caller:
//! - mainland mobiles `1[3-9]` + 9 digits, alone or after `+86` / `0086` / `86`: the first 3 digits stay too, as
//!   Chinese apps show them (`138****5678`);
//! - other phone numbers, including US-style `(415) 555-0100`, `415-555-0100`, `+1 415 555 0100` and `555-0100`;
//! - 18-character Chinese ID numbers (the last may be `X`): `**************123X`;
//! - bank cards (13–19 digits) and record / account numbers of 8 digits or more.
//!
//! Digit groups may be separated by single spaces or dashes; a group joins the number only when it has 3 digits or
//! more, so dates (`2024-01-15`), times, amounts with decimals or thousands separators and short numbers are left
//! alone. The country code after `+` is kept.

use std::borrow::Cow;

/// At most this many digit groups are considered one number.
const MAX_GROUPS: usize = 8;

/// A run of digits in the text that may be a number to mask.
struct Candidate {
    start: usize,
    end: usize,
    /// Digits, counting a trailing ID-card `X` as one.
    digits: usize,
    plus: bool,
    groups: usize,
    group_lens: [usize; MAX_GROUPS],
    /// Only dashes separate the groups.
    dashes_only: bool,
}

/// Length of the country calling code at the start of `digits` (ITU E.164 zones: 1 and 7 are one digit, the listed
/// two-digit codes are two, all others three).
fn country_code_len(digits: &[u8]) -> usize {
    const TWO: &[&[u8]] = &[
        b"20", b"27", b"30", b"31", b"32", b"33", b"34", b"36", b"39", b"40", b"41", b"43", b"44", b"45", b"46", b"47",
        b"48", b"49", b"51", b"52", b"53", b"54", b"55", b"56", b"57", b"58", b"60", b"61", b"62", b"63", b"64", b"65",
        b"66", b"81", b"82", b"84", b"86", b"90", b"91", b"92", b"93", b"94", b"95", b"98",
    ];
    match digits.first() {
        Some(b'1' | b'7') => 1,
        _ if TWO.iter().any(|c| digits.starts_with(c)) => 2,
        _ => 3.min(digits.len()),
    }
}

/// A mainland China mobile number: 11 digits, `1[3-9]...`.
fn is_cn_mobile(national: &[u8]) -> bool {
    national.len() == 11 && national[0] == b'1' && (b'3'..=b'9').contains(&national[1])
}

/// How many leading digits stay visible: the country code, and for a mainland mobile its first 3 digits.
fn visible_prefix(digits: &[u8], plus: bool) -> usize {
    let cc = if plus {
        country_code_len(digits)
    } else if digits.starts_with(b"0086") {
        4
    } else if digits.len() == 13 && digits.starts_with(b"86") {
        2
    } else {
        0
    };
    let national = digits.get(cc..).unwrap_or_default();
    let keep = if is_cn_mobile(national) { cc + 3 } else { cc };
    // Always hide something: a number of which nothing would be masked keeps only its last 4 digits.
    if keep + 4 < digits.len() { keep } else { 0 }
}

/// Digits in a group starting at `i`: a plain run, or `(ddd)`. Returns (digits, end of the group).
fn group_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    if b.get(i) == Some(&b'(') {
        let n = b.get(i + 1..)?.iter().take_while(|c| c.is_ascii_digit()).count();
        return ((1..=4).contains(&n) && b.get(i + 1 + n) == Some(&b')')).then_some((n, i + n + 2));
    }
    let n = b.get(i..)?.iter().take_while(|c| c.is_ascii_digit()).count();
    (n > 0).then_some((n, i + n))
}

/// Scans the number that starts at `start` (a digit, `+` or `(`).
fn scan(b: &[u8], start: usize) -> Option<Candidate> {
    let plus = b[start] == b'+';
    let mut i = if plus { start + 1 } else { start };
    let mut c = Candidate { start, end: i, digits: 0, plus, groups: 0, group_lens: [0; MAX_GROUPS], dashes_only: true };
    loop {
        let is_paren = b.get(i) == Some(&b'(');
        let (n, end) = group_at(b, i)?;
        if c.groups < MAX_GROUPS {
            c.group_lens[c.groups] = n;
        }
        c.groups += 1;
        c.digits += n;
        c.end = end;
        i = end;
        if c.groups >= MAX_GROUPS {
            break;
        }
        // Join the next group when it is 3+ digits long and this one is a country code, `(area)` or 2+ digits.
        let (sep, next) = match b.get(i) {
            Some(&s @ (b' ' | b'-')) => (Some(s), i + 1),
            Some(d) if is_paren && d.is_ascii_digit() => (None, i),
            _ => break,
        };
        let this_ok = is_paren || n >= 2 || (plus && c.groups == 1);
        let next_ok = group_at(b, next).is_some_and(|(m, _)| m >= 3);
        if !(this_ok && next_ok) {
            break;
        }
        if sep != Some(b'-') {
            c.dashes_only = false;
        }
        i = next;
    }
    // An ID number's check character.
    if c.digits == 17
        && matches!(b.get(c.end), Some(b'X' | b'x'))
        && !b.get(c.end + 1).is_some_and(u8::is_ascii_alphanumeric)
    {
        c.end += 1;
        c.digits += 1;
    }
    Some(c)
}

/// Whether a scanned run is personal data worth masking.
fn is_sensitive(b: &[u8], c: &Candidate) -> bool {
    // Part of a decimal number: "1234.5678" or "3.14159265".
    let decimal_after = b.get(c.end) == Some(&b'.') && b.get(c.end + 1).is_some_and(u8::is_ascii_digit);
    if decimal_after {
        return false;
    }
    if c.digits >= 8 {
        return true;
    }
    // A US local number: 555-0100.
    c.digits == 7 && c.groups == 2 && c.dashes_only && c.group_lens[..2] == [3, 4]
}

/// Writes `text[c.start..c.end]` with all digits but the visible prefix and the last 4 replaced by `*`.
fn push_masked(out: &mut String, text: &str, c: &Candidate) {
    let span = &text[c.start..c.end];
    let digits: Vec<u8> = span.bytes().filter(|b| b.is_ascii_digit() || *b == b'X' || *b == b'x').collect();
    let keep_prefix = visible_prefix(&digits, c.plus);
    let keep_from = digits.len().saturating_sub(4);
    let mut k = 0;
    for ch in span.chars() {
        if ch.is_ascii_digit() || ch == 'X' || ch == 'x' {
            out.push(if k < keep_prefix || k >= keep_from { ch } else { '*' });
            k += 1;
        } else {
            out.push(ch);
        }
    }
}

/// Masks phone numbers and ID / card / account numbers in free text, keeping the last 4 digits (and a mobile's first
/// 3 and a country code). Returns the text unchanged, without copying, when there is nothing to mask.
pub fn mask_text(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let starts_number = c.is_ascii_digit()
            || (c == b'+' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
            || (c == b'(' && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        // Not inside a longer number ("3.14159265", "1,234,567,890") or a word's tail digits after a digit.
        let after_number = i > 0
            && (b[i - 1].is_ascii_digit() || (matches!(b[i - 1], b'.' | b',') && i > 1 && b[i - 2].is_ascii_digit()));
        if !starts_number || after_number {
            i += 1;
            continue;
        }
        let Some(cand) = scan(b, i) else {
            i += 1;
            continue;
        };
        if is_sensitive(b, &cand) {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..cand.start]);
            push_masked(o, text, &cand);
            copied = cand.end;
        }
        i = cand.end.max(i + 1);
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

/// Masks a caller number, keeping the country code, a mainland mobile's first 3 digits and the last 4 digits:
/// `+8613812345678` → `+86 138****5678`, `+1 (415) 555-0100` → `+1 ******0100`. Numbers of 4 digits or fewer, and
/// values without digits ("anonymous"), are returned as they are.
pub fn mask_number(number: &str) -> String {
    let trimmed = number.trim();
    let digits: Vec<u8> = trimmed.bytes().filter(u8::is_ascii_digit).collect();
    if digits.len() <= 4 {
        return number.to_string();
    }
    let plus = trimmed.starts_with('+');
    let (cc, national) = if plus {
        digits.split_at(country_code_len(&digits))
    } else if digits.starts_with(b"0086") && digits.len() == 15 {
        digits.split_at(4)
    } else {
        (&digits[..0], &digits[..])
    };
    let keep_prefix = if is_cn_mobile(national) { 3 } else { 0 };
    let keep_from = national.len().saturating_sub(4);
    let mut out = String::with_capacity(trimmed.len() + 2);
    if plus {
        out.push('+');
    }
    out.extend(cc.iter().map(|&d| char::from(d)));
    if !cc.is_empty() {
        out.push(' ');
    }
    for (k, &d) in national.iter().enumerate() {
        out.push(if k < keep_prefix || k >= keep_from { char::from(d) } else { '*' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn masks(input: &str, expected: &str) {
        assert_eq!(mask_text(input), expected, "masking {input:?}");
    }

    #[track_caller]
    fn untouched(input: &str) {
        let out = mask_text(input);
        assert!(matches!(out, Cow::Borrowed(_)), "{input:?} should be left alone, got {out:?}");
    }

    #[test]
    fn mainland_mobiles_keep_first_three_and_last_four() {
        masks("我的手机是13812345678，谢谢", "我的手机是138****5678，谢谢");
        masks("call 138 1234 5678", "call 138 **** 5678");
        masks("138-1234-5678", "138-****-5678");
        masks("+86 138 1234 5678", "+86 138 **** 5678");
        masks("+8613812345678", "+86138****5678");
        masks("0086 13812345678", "0086 138****5678");
        masks("8613812345678", "86138****5678");
    }

    #[test]
    fn us_numbers_keep_last_four() {
        masks("(415) 555-0100", "(***) ***-0100");
        masks("call me at 415-555-0100.", "call me at ***-***-0100.");
        masks("+1 415 555 0100", "+1 *** *** 0100");
        masks("+1 (415) 555-0100", "+1 (***) ***-0100");
        masks("dial 555-0100 now", "dial ***-0100 now");
    }

    #[test]
    fn id_cards_keep_the_last_four_characters_including_x() {
        masks("身份证号11010519491231123X", "身份证号**************123X");
        masks("ID 110105194912311234 ok", "ID **************1234 ok");
        masks("old id 110105491231002", "old id ***********1002");
        masks("id 11010519491231123x.", "id **************123x.");
    }

    #[test]
    fn bank_cards_and_record_numbers() {
        masks("卡号 6222 0201 2345 6789", "卡号 **** **** **** 6789");
        masks("card 6222-0201-2345-6789-123", "card ****-****-****-***9-123");
        masks("6222020123456789012", "***************9012");
        masks("My record number is 12345678.", "My record number is ****5678.");
        masks("病历号是 12345678。", "病历号是 ****5678。");
        masks("account A12345678", "account A****5678");
    }

    #[test]
    fn ordinary_text_and_short_numbers_are_left_alone() {
        untouched("I have had a fever for two days.");
        untouched("我发烧两天了，想挂个号。");
        untouched("Room 1203, bed 4, at 10:30 on 2024-01-15.");
        untouched("It costs 1,234,567.89 yuan, or 3.14159265358 of them.");
        untouched("Order 1234567 and extension 2345.");
        untouched("");
        assert!(matches!(mask_text("no digits at all"), Cow::Borrowed("no digits at all")));
    }

    #[test]
    fn several_numbers_in_one_line() {
        masks("13812345678 or 13987654321", "138****5678 or 139****4321");
    }

    #[test]
    fn caller_numbers() {
        assert_eq!(mask_number("+8613812345678"), "+86 138****5678");
        assert_eq!(mask_number("+86 138-1234-5678"), "+86 138****5678");
        assert_eq!(mask_number("13812345678"), "138****5678");
        assert_eq!(mask_number("+1 (415) 555-0100"), "+1 ******0100");
        assert_eq!(mask_number("+44 20 7946 0958"), "+44 ******0958");
        assert_eq!(mask_number("02112345678"), "*******5678");
        assert_eq!(mask_number("anonymous"), "anonymous");
        assert_eq!(mask_number("1234"), "1234");
    }

    // Seeded, so every run checks the same inputs.
    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_4ed4),
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]
        #[test]
        fn masking_keeps_everything_but_digits(text in "[0-9 +()xX-]{0,40}|\\PC{0,40}") {
            let masked = mask_text(&text);
            proptest::prop_assert_eq!(masked.chars().count(), text.chars().count());
            for (a, b) in text.chars().zip(masked.chars()) {
                proptest::prop_assert!(a == b || (b == '*' && a.is_ascii_digit()), "{:?} became {:?}", text, masked);
            }
            // Idempotent: masking masked text changes nothing more.
            let twice = mask_text(&masked).into_owned();
            proptest::prop_assert_eq!(twice, masked.into_owned());
        }
    }
}
