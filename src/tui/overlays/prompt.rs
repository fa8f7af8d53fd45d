//! A one-line prompt: the export's file path (asking before it replaces a file) and a saved
//! view's name. Typing uses the text box keys ([keys.input]), the overwrite question the
//! confirmation's ([keys.confirm]).

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::Outcome;
use crate::domain::text::display_safe;
use crate::tui::action::{ActionSet, ConfirmAction, InputAction};
use crate::tui::keymap::KeyMap;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{hint_spans, pad, popup};

/// Widest the prompt gets on a large terminal.
const MAX_WIDTH: u16 = 76;
const HEIGHT: u16 = 7;
/// The longest text a prompt takes: more than any path or name needs.
pub const MAX_PROMPT: usize = 1024;

/// What the typed text is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptFor {
    /// An export of one column (its state), or of the whole filtered board (`None`).
    Export {
        state: Option<String>,
    },
    ViewName,
}

pub struct Prompt {
    pub purpose: PromptFor,
    pub title: String,
    pub question: String,
    pub input: Input,
    pub error: Option<String>,
    /// The file exists: yes writes over it, no goes back to the text.
    pub confirm_overwrite: bool,
    /// Sent; what comes back closes the prompt or says what went wrong.
    pub busy: bool,
}

impl Prompt {
    pub fn new(purpose: PromptFor, title: String, question: &str, text: String) -> Prompt {
        Prompt {
            purpose,
            title,
            question: question.to_string(),
            input: Input::new(text),
            error: None,
            confirm_overwrite: false,
            busy: false,
        }
    }

    pub fn on_key(&mut self, keymap: &KeyMap, key: KeyEvent) -> Outcome {
        if self.busy {
            // Closing does not stop the work: its result still comes to the status line.
            return match keymap.input.action(&key) {
                Some(InputAction::Cancel) => Outcome::Close,
                _ => Outcome::Stay,
            };
        }
        if self.confirm_overwrite {
            match keymap.confirm.action(&key) {
                Some(ConfirmAction::Yes) => return self.submit(true),
                Some(ConfirmAction::No) => self.confirm_overwrite = false,
                None => {}
            }
            return Outcome::Stay;
        }
        match keymap.input.action(&key) {
            Some(InputAction::Submit) => self.submit(false),
            Some(InputAction::Cancel) => Outcome::Close,
            None => {
                self.input.handle_event(&crossterm::event::Event::Key(key));
                self.bound();
                self.error = None;
                Outcome::Stay
            }
        }
    }

    /// Pasted text goes into the box, within its bound.
    pub fn paste(&mut self, text: &str) {
        if self.busy || self.confirm_overwrite {
            return;
        }
        crate::tui::paste::insert(&mut self.input, text);
        self.bound();
        self.error = None;
    }

    fn bound(&mut self) {
        if self.input.value().chars().count() > MAX_PROMPT {
            let kept: String = self.input.value().chars().take(MAX_PROMPT).collect();
            self.input = Input::new(kept);
        }
    }

    fn submit(&self, overwrite: bool) -> Outcome {
        Outcome::Prompted {
            purpose: self.purpose.clone(),
            text: self.input.value().trim().to_string(),
            overwrite,
        }
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let width = area.width.saturating_sub(4).min(MAX_WIDTH);
        let inner = popup(area, width, HEIGHT, self.title.clone(), theme, buf);
        let field_width = inner.width.saturating_sub(2) as usize;
        let value = display_safe(self.input.value()).into_owned();
        let scroll = self.input.visual_scroll(field_width);
        let visible: String = value.chars().skip(scroll).take(field_width).collect();
        let mut lines = vec![
            Line::from(Span::styled(self.question.clone(), theme.text)),
            Line::from(Span::styled(
                pad(&format!(" {visible}"), inner.width as usize),
                theme.highlight,
            )),
        ];
        let hints = if self.confirm_overwrite {
            lines.push(Line::from(Span::styled(
                "That file exists. Write over it?",
                theme.status_error,
            )));
            context.keymap.confirm.hints(ConfirmAction::ALL)
        } else {
            lines.push(match (&self.error, self.busy) {
                (_, true) => Line::from(Span::styled("working… (esc hides this)", theme.muted)),
                (Some(error), _) => Line::from(Span::styled(
                    display_safe(error).into_owned(),
                    theme.status_error,
                )),
                _ => Line::from(""),
            });
            context.keymap.input.hints(InputAction::ALL)
        };
        // The keys keep the last row, however long a message wraps above them.
        let last = inner.height.saturating_sub(1);
        Paragraph::new(lines).wrap(Wrap { trim: false }).render(
            Rect {
                height: last,
                ..inner
            },
            buf,
        );
        Paragraph::new(Line::from(hint_spans(&hints, " · ", theme))).render(
            Rect {
                y: inner.y + last,
                height: 1.min(inner.height),
                ..inner
            },
            buf,
        );
    }
}
