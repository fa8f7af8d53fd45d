//! Pasted text (bracketed paste): text for the focused input only, never keystrokes. Line
//! breaks and tabs become spaces, other control characters are dropped, and a paste is cut
//! at a bound so a pasted file cannot flood an input.

use tui_input::{Input, InputRequest};

/// The most characters one paste adds: more than any note or filter needs.
pub const MAX_PASTE_CHARS: usize = 4096;

/// Inserts `text` at the cursor as plain characters.
pub fn insert(input: &mut Input, text: &str) {
    for c in clean(text).chars() {
        input.handle(InputRequest::InsertChar(c));
    }
}

/// The text as it may enter an input: one line, printable, bounded.
pub fn clean(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .take(MAX_PASTE_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_become_spaces_and_escapes_go() {
        assert_eq!(clean("note one\nok\r\n"), "note one ok  ");
        assert_eq!(clean("a\u{1b}[2Jb"), "a[2Jb");
        assert_eq!(clean(&"x".repeat(10_000)).len(), MAX_PASTE_CHARS);
    }
}
