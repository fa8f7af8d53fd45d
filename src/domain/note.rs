//! Free text people type (notes, titles): when it says nothing, and how much of it there may
//! be. The text itself is stored as typed, byte for byte; printing makes it safe.

/// The most bytes a note or a title may hold: beyond any real one (some 1,300 words), small
/// enough that no field can fill the database or a screen's memory, and that a note fits an
/// API request (64 KiB) even with every character escaped in its JSON, so a note the
/// database takes is one the server takes too.
pub const MAX_TEXT_BYTES: usize = 8 * 1024;

/// Whether the text shows nothing at all: empty, whitespace, control characters (escapes),
/// or invisible formatting such as zero-width spaces and direction marks. A required note
/// made only of these is no note.
pub fn is_blank(text: &str) -> bool {
    !text
        .chars()
        .any(|c| !c.is_whitespace() && !c.is_control() && !is_invisible(c))
}

/// Format characters that draw nothing: zero-width spaces and joiners, direction marks and
/// embeddings, the word joiner family, the soft hyphen and the byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_zero_width_spaces_are_blank() {
        assert!(is_blank(""));
        assert!(is_blank(" \t\n"));
        assert!(is_blank("\u{1b}"));
        assert!(is_blank("\u{200b}\u{200b}"));
        assert!(is_blank("\u{feff}\u{202e}"));
        assert!(!is_blank("ok"));
        assert!(!is_blank("\u{1b}[0m"));
        assert!(!is_blank("שלום"));
    }
}
