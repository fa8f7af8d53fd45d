//! What a text filter asks for: an order by its number (a primary-key probe), or the orders
//! whose title, customer or seller contains the text. A search needs three characters: a
//! shorter one matches nearly everything and tells nobody anything, and three is the
//! shortest piece a trigram text index can look up.

/// The fewest characters a text search takes.
pub const MIN_SEARCH_CHARS: usize = 3;

/// The longest search: a longer one says nothing a shorter one does not.
pub const MAX_SEARCH_CHARS: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFilter<'a> {
    /// No text: every order.
    Everything,
    /// "42" or "#42": that order only.
    Number(i64),
    /// Orders whose title, customer or seller contains this, ignoring case.
    Contains(&'a str),
}

impl<'a> TextFilter<'a> {
    pub fn of(text: Option<&'a str>) -> TextFilter<'a> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return TextFilter::Everything;
        };
        let digits = text.strip_prefix('#').unwrap_or(text);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            // A number too long to be an order's matches no order, as a number.
            return TextFilter::Number(digits.parse().unwrap_or(-1));
        }
        TextFilter::Contains(text)
    }

    /// Why the text cannot be searched for, in one sentence.
    pub fn problem(&self) -> Option<String> {
        match self {
            TextFilter::Contains(text) if text.chars().count() < MIN_SEARCH_CHARS => Some(format!(
                "a search needs at least {MIN_SEARCH_CHARS} characters (or an order number)"
            )),
            TextFilter::Contains(text) if text.chars().count() > MAX_SEARCH_CHARS => Some(format!(
                "a search is at most {MAX_SEARCH_CHARS} characters long"
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_orders_and_words_are_searches() {
        assert_eq!(TextFilter::of(None), TextFilter::Everything);
        assert_eq!(TextFilter::of(Some("  ")), TextFilter::Everything);
        assert_eq!(TextFilter::of(Some("#42")), TextFilter::Number(42));
        assert_eq!(TextFilter::of(Some(" 42 ")), TextFilter::Number(42));
        assert_eq!(
            TextFilter::of(Some("99999999999999999999")),
            TextFilter::Number(-1)
        );
        assert_eq!(TextFilter::of(Some("#")), TextFilter::Contains("#"));
        assert_eq!(TextFilter::of(Some("fox 2")), TextFilter::Contains("fox 2"));
        assert!(TextFilter::of(Some("fo")).problem().is_some());
        assert!(TextFilter::of(Some("fox")).problem().is_none());
        assert!(TextFilter::of(Some("7")).problem().is_none());
    }
}
