//! What a text filter asks for: an order by its number (a primary-key probe), or the orders
//! whose title, customer or seller contains the text. A search needs three characters: a
//! shorter one matches nearly everything and tells nobody anything, and three is the
//! shortest piece a trigram text index can look up.
//!
//! A board searched by text is answered from one `MatchSet`: the matches are looked up in the
//! database's text index once, with what a column needs to count and order them, and every
//! column's count, first page and later pages, and the matches in each workflow, come from
//! that set. Looking them up once per column was ten lookups a keystroke (BENCHMARKS.md).

use super::order::{OrderId, OrderSort, SortFields, SortKey};

/// The fewest characters a text search takes.
pub const MIN_SEARCH_CHARS: usize = 3;

/// The longest search: a longer one says nothing a shorter one does not.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The most matches one search reads, newest first. A text in more orders than this (three
/// common letters) is answered from its newest matches, and the board says so: nobody reads
/// two thousand cards, and on PostgreSQL each match read is a row visited (about 1 µs, and
/// a common text's matches are found by reading the newest orders until enough matched), so
/// the cap is what bounds a keystroke (BENCHMARKS.md).
pub const MATCHES_READ: usize = 2_000;

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
            TextFilter::Contains(text) if text.chars().any(char::is_control) => {
                Some("a search cannot contain control characters".to_string())
            }
            _ => None,
        }
    }
}

/// One order matching a search: where it sits on a board and what its column sorts by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub workflow: String,
    pub state: String,
    pub fields: SortFields,
}

/// The orders matching one search (and the filters beside it), newest first, at most
/// `MATCHES_READ` of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchSet {
    matches: Vec<Match>,
    /// More orders matched than were read: the counts are of the newest `MATCHES_READ`.
    pub capped: bool,
}

impl MatchSet {
    /// The set from what a lookup found, newest first: it asks for one more than
    /// `MATCHES_READ`, so that a set at the cap can tell it left some out.
    pub fn new(mut found: Vec<Match>) -> MatchSet {
        let capped = found.len() > MATCHES_READ;
        found.truncate(MATCHES_READ);
        MatchSet {
            matches: found,
            capped,
        }
    }

    /// Matches per workflow, those with none left out.
    pub fn per_workflow(&self) -> Vec<(String, i64)> {
        count_by(self.matches.iter().map(|m| m.workflow.as_str()))
    }

    /// Matches per state of one workflow, those with none left out.
    pub fn per_state(&self, workflow: &str) -> Vec<(String, i64)> {
        count_by(
            self.matches
                .iter()
                .filter(|m| m.workflow == workflow)
                .map(|m| m.state.as_str()),
        )
    }

    /// A column's matches after the cursor (`OrderSort::cursor`), in the column's order, as
    /// the store pages it: a page is the first ones that still stand in the column.
    pub fn column_after(
        &self,
        workflow: &str,
        state: &str,
        sort: OrderSort,
        after: Option<(Option<SortKey>, Option<OrderId>)>,
    ) -> Vec<OrderId> {
        let cursor = after.and_then(|(key, id)| sort.cursor(key, id));
        let mut column: Vec<&SortFields> = self
            .matches
            .iter()
            .filter(|m| m.workflow == workflow && m.state == state)
            .map(|m| &m.fields)
            .filter(|f| {
                cursor
                    .as_ref()
                    .is_none_or(|c| sort.compare(f, c) == std::cmp::Ordering::Greater)
            })
            .collect();
        column.sort_unstable_by(|a, b| sort.compare(a, b));
        column.into_iter().map(|f| f.id).collect()
    }

    pub fn len(&self) -> usize {
        self.matches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.matches.is_empty()
    }
}

/// How many times each name occurs, in the order first seen.
fn count_by<'a>(names: impl Iterator<Item = &'a str>) -> Vec<(String, i64)> {
    let mut counts: Vec<(String, i64)> = Vec::new();
    for name in names {
        match counts.iter_mut().find(|(n, _)| n == name) {
            Some((_, count)) => *count += 1,
            None => counts.push((name.to_string(), 1)),
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn found(id: OrderId, state: &str, due_in_days: Option<i64>, cents: i64) -> Match {
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        Match {
            workflow: "checkout".into(),
            state: state.into(),
            fields: SortFields {
                id,
                due_at: due_in_days.map(|d| epoch + chrono::Duration::days(d)),
                state_entered_at: epoch + chrono::Duration::seconds(100 - id),
                amount_cents: cents,
            },
        }
    }

    #[test]
    fn a_set_counts_and_pages_its_columns_as_the_store_would() {
        let set = MatchSet::new(vec![
            found(6, "paid", None, 500),
            found(5, "paid", Some(3), 700),
            found(4, "paid", Some(1), 700),
            found(3, "placed", None, 100),
            found(2, "paid", None, 900),
        ]);
        assert!(!set.capped);
        assert_eq!(set.per_workflow(), vec![("checkout".to_string(), 5)]);
        assert_eq!(
            set.per_state("checkout"),
            vec![("paid".to_string(), 4), ("placed".to_string(), 1)]
        );
        assert!(set.per_state("returns").is_empty());
        let page = |sort, after, limit| {
            let mut ids = set.column_after("checkout", "paid", sort, after);
            ids.truncate(limit);
            ids
        };
        assert_eq!(page(OrderSort::Id, None, 2), vec![2, 4]);
        assert_eq!(page(OrderSort::Id, Some((None, Some(4))), 2), vec![5, 6]);
        // Dated first, soonest first; the undated after them by id.
        assert_eq!(page(OrderSort::Due, None, 9), vec![4, 5, 2, 6]);
        let after_dated = Some((Some(SortKey::Due(set.matches[1].fields.due_at)), Some(5)));
        assert_eq!(page(OrderSort::Due, after_dated, 9), vec![2, 6]);
        assert_eq!(
            page(OrderSort::Due, Some((Some(SortKey::Due(None)), Some(2))), 9),
            vec![6]
        );
        // Longest in its state first (a higher id entered later here).
        assert_eq!(page(OrderSort::Age, None, 2), vec![6, 5]);
        // Largest first, ties by id.
        assert_eq!(page(OrderSort::Amount, None, 9), vec![2, 4, 5, 6]);
        assert_eq!(
            page(
                OrderSort::Amount,
                Some((Some(SortKey::Amount(700)), Some(4))),
                9
            ),
            vec![5, 6]
        );
        // A sorted column's first page has no key: the id alone is no cursor.
        assert_eq!(page(OrderSort::Amount, Some((None, Some(4))), 1), vec![2]);
    }

    #[test]
    fn a_set_at_the_cap_says_it_left_matches_out() {
        let many: Vec<Match> = (0..=MATCHES_READ as i64)
            .map(|id| found(id, "paid", None, 1))
            .collect();
        let set = MatchSet::new(many);
        assert!(set.capped);
        assert_eq!(set.len(), MATCHES_READ);
        let exact = MatchSet::new(
            (0..MATCHES_READ as i64)
                .map(|id| found(id, "paid", None, 1))
                .collect(),
        );
        assert!(!exact.capped);
    }

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
        assert!(TextFilter::of(Some("fox\u{1}x")).problem().is_some());
    }
}
