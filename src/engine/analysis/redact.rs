//! Masking of personal data for roles below admin. STUB (contract only).

use std::borrow::Cow;

/// Masks phone numbers and ID / card numbers in free text: keeps the last 4 digits.
pub fn mask_text(text: &str) -> Cow<'_, str> {
    Cow::Borrowed(text)
}

/// Masks a caller number, keeping the last 4 digits: `+86 138****5678` style.
pub fn mask_number(number: &str) -> String {
    number.to_string()
}
