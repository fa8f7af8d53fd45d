//! The clipboard through the terminal (OSC 52), written by the runtime with the rest of
//! the output, never from `update`.

use std::io::Write;

/// The OSC 52 sequence that asks the terminal to put `text` on the clipboard: it travels
/// with the output, so it works over SSH and in tmux (with `set-clipboard on`).
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\u{1b}]52;c;{encoded}\u{7}")
}

pub fn copy(out: &mut impl Write, text: &str) -> Result<(), String> {
    out.write_all(osc52(text).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("not copied: the terminal refused the text ({e})"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_carries_the_text_in_base64() {
        assert_eq!(super::osc52("42"), "\u{1b}]52;c;NDI=\u{7}");
        let mut out = Vec::new();
        super::copy(&mut out, "#42 Logo").unwrap();
        assert_eq!(out, b"\x1b]52;c;IzQyIExvZ28=\x07");
    }
}
