//! Text from the database is untrusted: one user's note must not paint over another's
//! terminal. Everything drawn or printed for a person goes through `display_safe`.

use std::borrow::Cow;

/// Removes control characters (C0, DEL, C1, which covers ESC and CSI) and the bidirectional
/// overrides that can reorder what a reader sees; tabs and newlines become spaces.
/// The stored text stays unchanged: this is for display only.
pub fn display_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_replacing) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter_map(|c| match c {
                '\t' | '\n' | '\r' => Some(' '),
                c if needs_replacing(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// `display_safe` for a Mermaid label: also without the characters that end a label or a
/// statement there (`"`, `\\`, `:`, `;`). Newlines are already spaces.
pub fn graph_label(text: &str) -> String {
    display_safe(text)
        .chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            ':' | ';' => ' ',
            c => c,
        })
        .collect()
}

/// Whether `text` holds a character `display_safe` would remove or replace: identifiers
/// (state ids, event names) with one are refused where they are defined.
pub fn has_controls(text: &str) -> bool {
    text.chars().any(needs_replacing)
}

fn needs_replacing(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Unicode bidi embedding/override/isolate marks (the "Trojan source" characters).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escape_sequences_and_controls() {
        assert_eq!(display_safe("ok\x1b[2J\x1b]0;x\x07done"), "ok[2J]0;xdone");
        assert_eq!(display_safe("a\u{9b}31mb"), "a31mb");
        assert_eq!(display_safe("line\nbreak\ttab"), "line break tab");
        assert_eq!(display_safe("evil\u{202E}txt.exe"), "eviltxt.exe");
    }

    #[test]
    fn graph_labels_cannot_end_their_label_or_line() {
        assert_eq!(
            graph_label("Open\x1b[2J\nrogue --> [*]; \"q\" a:b \\"),
            "Open[2J rogue --> [*]  'q' a b /"
        );
    }

    #[test]
    fn leaves_ordinary_text_borrowed() {
        assert!(matches!(display_safe("Café – 東京 שלום"), Cow::Borrowed(_)));
    }
}
