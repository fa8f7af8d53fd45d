//! Fuzzy matching for the command palette: the query's characters in order, anywhere in the
//! candidate, scored so that matches at word starts and runs of consecutive characters come
//! first ("ld" finds "only late orders" before "reload the board"). Small enough to keep
//! here; the palette's few dozen rows need no index.

/// Longest query scored; the palette's box takes no more.
pub const MAX_QUERY: usize = 64;
/// Candidates are scored on their first this many characters.
const MAX_CANDIDATE: usize = 160;

// A run of typed characters counts for more than the same characters scattered over word
// starts: "sort" finds "sort columns" before "show or hide this".
const MATCH: i32 = 16;
const WORD_START: i32 = 16;
const CONSECUTIVE: i32 = 24;
const FIRST_CHAR: i32 = 8;
const GAP: i32 = 2;

/// How well a candidate matched, and which of its characters (by index) matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub score: i32,
    pub positions: Vec<usize>,
}

/// The best way `query` (case-insensitive, spaces ignored) is a subsequence of `candidate`,
/// or `None` when it is not. An empty query matches everything with score 0.
pub fn score(query: &str, candidate: &str) -> Option<Match> {
    let query: Vec<char> = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .take(MAX_QUERY)
        .collect();
    if query.is_empty() {
        return Some(Match {
            score: 0,
            positions: Vec::new(),
        });
    }
    let text: Vec<char> = candidate.chars().take(MAX_CANDIDATE).collect();
    let lower: Vec<char> = text
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    if query.len() > lower.len() {
        return None;
    }
    let bonus = |j: usize| {
        let start = j == 0 || !text[j - 1].is_alphanumeric();
        MATCH + if start { WORD_START } else { 0 } + if j == 0 { FIRST_CHAR } else { 0 }
    };
    // best[i][j]: the best score with query[i] matched at text[j]; from[i][j] the j of
    // query[i - 1] it came after.
    let (n, m) = (query.len(), lower.len());
    let mut best = vec![vec![None::<i32>; m]; n];
    let mut from = vec![vec![0usize; m]; n];
    for j in 0..m {
        if lower[j] == query[0] {
            best[0][j] = Some(bonus(j) - GAP * j.min(10) as i32);
        }
    }
    for i in 1..n {
        // The best earlier match with room for a gap, as score + GAP * position, so the gap
        // to any later j is one subtraction: (best, its j) over j' <= j - 2.
        let mut running: Option<(i32, usize)> = None;
        for j in 1..m {
            if j >= 2
                && let Some(previous) = best[i - 1][j - 2]
            {
                let weighed = previous + GAP * (j - 2) as i32;
                if running.is_none_or(|(score, _)| weighed > score) {
                    running = Some((weighed, j - 2));
                }
            }
            if lower[j] != query[i] {
                continue;
            }
            let after_gap = running.map(|(weighed, at)| (weighed - GAP * (j - 1) as i32, at));
            let adjacent = best[i - 1][j - 1].map(|previous| (previous + CONSECUTIVE, j - 1));
            let Some((previous, at)) = [adjacent, after_gap].into_iter().flatten().max() else {
                continue;
            };
            best[i][j] = Some(previous + bonus(j));
            from[i][j] = at;
        }
    }
    let (end, top) = (0..m)
        .filter_map(|j| best[n - 1][j].map(|s| (j, s)))
        .max_by_key(|(j, s)| (*s, std::cmp::Reverse(*j)))?;
    let mut positions = vec![end; n];
    for i in (1..n).rev() {
        positions[i - 1] = from[i][positions[i]];
    }
    // Between equals, the shorter candidate is the closer one.
    Some(Match {
        score: top - (m as i32) / 8,
        positions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked<'a>(query: &str, candidates: &[&'a str]) -> Vec<&'a str> {
        let mut scored: Vec<(i32, &str)> = candidates
            .iter()
            .filter_map(|c| score(query, c).map(|m| (m.score, *c)))
            .collect();
        scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        scored.into_iter().map(|(_, c)| c).collect()
    }

    #[test]
    fn word_starts_and_runs_rank_first() {
        assert_eq!(
            ranked(
                "late",
                &["reload the board", "only late orders", "translate"]
            ),
            vec!["only late orders", "translate", "reload the board"]
        );
        assert_eq!(
            ranked("sd", &["sort by due date", "disputes", "show or hide"]),
            vec!["sort by due date", "show or hide"]
        );
        assert!(score("xyz", "export").is_none());
        assert!(score("LATE", "only late orders").is_some());
    }

    #[test]
    fn a_run_beats_scattered_word_starts() {
        assert_eq!(
            ranked(
                "sort",
                &["show or hide this help", "sort columns by id, due date"]
            ),
            vec!["sort columns by id, due date", "show or hide this help"]
        );
    }

    #[test]
    fn positions_name_the_matched_characters() {
        let found = score("wf", "switch to workflow").unwrap();
        assert_eq!(found.positions, vec![10, 14]);
        assert_eq!(score("", "anything").unwrap().score, 0);
        // Bounded: a long query or candidate costs no more than the bounds.
        let long = "a".repeat(10_000);
        assert!(score(&long, &long).is_some());
    }
}
